//! The pixel loop of `invert`, free of the SDK so the benchmark can compile
//! the very same code natively (tests/bench/stage.rs).

/// Inverts samples in place, mixed with the original by `strength`; for
/// RGBA every fourth byte (alpha) is kept.
pub fn invert(samples: &mut [u8], strength: f64, rgba: bool) {
    let s = (strength.clamp(0.0, 1.0) * 256.0).round() as i32;
    if s >= 256 {
        // Full strength: plain loops the compiler turns into wide SIMD.
        if rgba {
            for px in samples.chunks_exact_mut(4) {
                let v = u32::from_le_bytes([px[0], px[1], px[2], px[3]]) ^ 0x00ff_ffff;
                px.copy_from_slice(&v.to_le_bytes());
            }
        } else {
            // 64 bytes a step: four 16-byte vectors per loop iteration, as
            // Cranelift does not unroll loops itself.
            let mut chunks = samples.chunks_exact_mut(64);
            for chunk in &mut chunks {
                chunk.iter_mut().for_each(|b| *b = !*b);
            }
            chunks.into_remainder().iter_mut().for_each(|b| *b = !*b);
        }
        return;
    }
    let blend = |v: u8| (v as i32 + (((255 - 2 * v as i32) * s) >> 8)) as u8;
    if rgba {
        for px in samples.chunks_exact_mut(4) {
            for c in &mut px[..3] {
                *c = blend(*c);
            }
        }
    } else {
        samples.iter_mut().for_each(|b| *b = blend(*b));
    }
}
