//! The pixel loop of `invert`, free of the SDK so the benchmark can compile
//! the very same code natively (tests/bench/stage.rs).

/// Inverts samples in place; for RGBA every fourth byte (alpha) is kept.
pub fn invert(samples: &mut [u8], strength: f64, rgba: bool) {
    let s = (strength * 256.0).round() as i32;
    let alpha_mask = if rgba {
        [0xff, 0xff, 0xff, 0]
    } else {
        [0xff; 4]
    };
    for quad in samples.chunks_mut(4) {
        for (sample, mask) in quad.iter_mut().zip(alpha_mask) {
            if s >= 256 {
                *sample ^= mask;
            } else if mask != 0 {
                let v = *sample as i32;
                *sample = (v + (((255 - 2 * v) * s) >> 8)) as u8;
            }
        }
    }
}
