//! Trilinear-free reference: the same tetrahedral formula, one pixel at a
//! time through the public lookup; and the plain scalar row (the baseline
//! and SSE4.1 levels, and the tail of the AVX2 row).

use super::Lut3d;
use crate::layout::ImageMut;

pub fn apply_lut3d(img: &mut ImageMut<'_>, lut: &Lut3d, strength: f32) {
    let strength = strength.clamp(0.0, 1.0);
    for y in 0..img.layout.height {
        for x in 0..img.layout.width {
            let px = &mut img.row_mut(0, y)[4 * x..4 * x + 4];
            let out = lut.lookup([px[0], px[1], px[2]]);
            for c in 0..3 {
                px[c] = mix(px[c], out[c], strength);
            }
        }
    }
}

#[inline(always)]
fn mix(original: u8, mapped: f32, strength: f32) -> u8 {
    let o = original as f32;
    (o + (mapped * 255.0 - o) * strength + 0.5) as u8
}

/// One row of RGBA, the per-pixel lookup mixed in by `strength`.
#[inline]
pub(super) fn lut_row(row: &mut [u8], lut: &Lut3d, strength: f32) {
    for px in row.chunks_exact_mut(4) {
        let out = lut.lookup([px[0], px[1], px[2]]);
        for c in 0..3 {
            px[c] = mix(px[c], out[c], strength);
        }
    }
}
