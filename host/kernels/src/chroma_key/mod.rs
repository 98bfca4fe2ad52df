//! Chroma key: alpha from the distance to a key colour in the CbCr plane.
//!
//! `reference.rs` holds the pixel-at-a-time reference and the scalar row
//! (the baseline level); `sse41.rs` and `avx2.rs` the hand-written rows.
//! The row kernel is chosen once per call (`row_kernel`).

use crate::color::{rgb_to_u, rgb_to_v};
use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;

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
    let key_row = row_kernel(level);
    for y in 0..img.layout.height {
        // SAFETY: `key_row` was chosen for `level`, and a `CpuLevel` is
        // only made by run-time detection: its instruction set is present.
        unsafe { key_row(img.row_mut(0, y), &params) };
    }
    Ok(())
}

/// The row kernel for `level`. Calling it is sound only on a CPU that has
/// `level` (`#[target_feature]` functions only coerce to `unsafe fn`).
fn row_kernel(level: CpuLevel) -> unsafe fn(&mut [u8], &KeyParams) {
    match level.isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::key_row,
        #[cfg(target_arch = "x86_64")]
        Isa::Sse41 => sse41::key_row,
        _ => reference::key_row,
    }
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
