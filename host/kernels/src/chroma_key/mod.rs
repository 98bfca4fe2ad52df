//! Chroma key: alpha from the distance to a key colour in the CbCr plane.

use crate::color::{div255, rgb_to_u, rgb_to_v};
use crate::cpu::{CpuLevel, Isa};
use crate::layout::{Format, ImageMut, LayoutError};

/// Keys an RGBA picture in place: pixels whose chroma lies within
/// `similarity` of `key` become transparent, those beyond
/// `similarity + smoothness` keep their alpha, with a linear ramp between.
/// Distances are in 0.0..=1.0 of the CbCr range. The result is
/// premultiplied, ready for [`crate::blend()`].
pub fn chroma_key(
    img: &mut ImageMut<'_>,
    key: [u8; 3],
    similarity: f32,
    smoothness: f32,
) -> Result<(), LayoutError> {
    chroma_key_with(CpuLevel::active(), img, key, similarity, smoothness)
}

pub fn chroma_key_with(
    level: CpuLevel,
    img: &mut ImageMut<'_>,
    key: [u8; 3],
    similarity: f32,
    smoothness: f32,
) -> Result<(), LayoutError> {
    if img.layout.format != Format::Rgba {
        return Err(LayoutError(format!(
            "chroma key needs RGBA, got {}",
            img.layout.format
        )));
    }
    let params = KeyParams::new(key, similarity, smoothness);
    for y in 0..img.layout.height {
        key_row(level, img.row_mut(0, y), &params);
    }
    Ok(())
}

pub(crate) struct KeyParams {
    ku: f32,
    kv: f32,
    similarity: f32,
    inv_smooth: f32,
}

impl KeyParams {
    fn new(key: [u8; 3], similarity: f32, smoothness: f32) -> Self {
        let [r, g, b] = key.map(|c| c as i32);
        KeyParams {
            ku: rgb_to_u(r, g, b) as f32,
            kv: rgb_to_v(r, g, b) as f32,
            similarity: similarity.clamp(0.0, 1.0),
            inv_smooth: 1.0 / smoothness.clamp(1.0 / 1024.0, 1.0),
        }
    }

    /// Alpha in 0..=255 for one pixel of alpha `a`.
    #[inline(always)]
    fn alpha(&self, r: u8, g: u8, b: u8, a: u8) -> u32 {
        let [r, g, b] = [r, g, b].map(|c| c as i32);
        let du = rgb_to_u(r, g, b) as f32 - self.ku;
        let dv = rgb_to_v(r, g, b) as f32 - self.kv;
        let distance = (du * du + dv * dv).sqrt() * (1.0 / 255.0);
        let t = ((distance - self.similarity) * self.inv_smooth).clamp(0.0, 1.0);
        (t * a as f32 + 0.5) as u32
    }
}

/// One row: SIMD bulk, plain-Rust tail.
fn key_row(level: CpuLevel, row: &mut [u8], params: &KeyParams) {
    let p = params;
    let done = match level.isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a `CpuLevel` comes only from run-time detection, so AVX2 is there.
        Isa::Avx2 => unsafe {
            crate::x86::avx2::chroma_key(row, p.ku, p.kv, p.similarity, p.inv_smooth)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, SSE4.1 was detected.
        Isa::Sse41 => unsafe {
            crate::x86::sse41::chroma_key(row, p.ku, p.kv, p.similarity, p.inv_smooth)
        },
        _ => 0,
    };
    {
        for px in row[4 * done..].chunks_exact_mut(4) {
            let a = params.alpha(px[0], px[1], px[2], px[3]);
            for c in px.iter_mut().take(3) {
                *c = div255(*c as u32 * a) as u8;
            }
            px[3] = a as u8;
        }
    }
}

/// Pixel-at-a-time key: the reference for the fast paths.
pub mod reference {
    use super::*;

    pub fn chroma_key(
        img: &mut ImageMut<'_>,
        key: [u8; 3],
        similarity: f32,
        smoothness: f32,
    ) -> Result<(), LayoutError> {
        assert_eq!(img.layout.format, Format::Rgba);
        let params = KeyParams::new(key, similarity, smoothness);
        for y in 0..img.layout.height {
            for x in 0..img.layout.width {
                let px = &mut img.row_mut(0, y)[4 * x..4 * x + 4];
                let a = params.alpha(px[0], px[1], px[2], px[3]);
                for c in px.iter_mut().take(3) {
                    *c = div255(*c as u32 * a) as u8;
                }
                px[3] = a as u8;
            }
        }
        Ok(())
    }
}
