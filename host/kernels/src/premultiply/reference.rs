//! Pixel-at-a-time premultiply, the reference for the fast path; and the
//! plain scalar row: the baseline level's path, and the body `sse41.rs`
//! and `avx2.rs` compile again for their instruction set (hence
//! `#[inline(always)]`).

use super::not_rgba;
use crate::color::div255;
use crate::layout::{Format, ImageMut, LayoutError};

pub fn premultiply(img: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    if img.layout.format != Format::Rgba {
        return Err(not_rgba(img));
    }
    for y in 0..img.layout.height {
        for x in 0..img.layout.width {
            let px = &mut img.row_mut(0, y)[4 * x..4 * x + 4];
            let a = px[3] as f64;
            for c in &mut px[..3] {
                *c = (*c as f64 * a / 255.0).round() as u8;
            }
        }
    }
    Ok(())
}

#[inline(always)]
pub(super) fn premultiply_row(row: &mut [u8]) {
    for px in row.chunks_exact_mut(4) {
        let a = px[3] as u32;
        px[0] = div255(px[0] as u32 * a) as u8;
        px[1] = div255(px[1] as u32 * a) as u8;
        px[2] = div255(px[2] as u32 * a) as u8;
    }
}
