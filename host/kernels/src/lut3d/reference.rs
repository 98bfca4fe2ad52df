//! Trilinear-free reference: the same tetrahedral formula, one pixel at a
//! time through the public lookup; and the plain scalar row (the baseline
//! level, SSE4.1's RGBA row, and the tail of the SIMD rows).

use super::Lut3d;
use super::yuv::{self, YuvTable};
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
pub(super) fn mix(original: u8, mapped: f32, strength: f32) -> u8 {
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

/// Two luma rows of a YUV picture and their chroma (planar, half width),
/// all in place, through the YUV-domain table: a 2x2 block at a time, the
/// last column of an odd width a block whose right pixels repeat its left
/// ones (as `convert` averages it). `bottom` is as wide as `top`; on an
/// odd height the caller passes a copy of `top` and drops what it gets.
#[inline(always)]
pub(super) fn yuv_row(
    top: &mut [u8],
    bottom: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
    table: &YuvTable,
) {
    yuv_row_from(top, bottom, u, v, table, 0);
}

/// [`yuv_row`] from block `from` on (the tail of a SIMD row).
#[inline(always)]
pub(super) fn yuv_row_from(
    top: &mut [u8],
    bottom: &mut [u8],
    u: &mut [u8],
    v: &mut [u8],
    table: &YuvTable,
    from: usize,
) {
    let width = top.len().min(bottom.len());
    let blocks = width.div_ceil(2).min(u.len()).min(v.len());
    for cx in from..blocks {
        let (run, w) = table.cell(u[cx], v[cx]);
        let (x0, x1) = (2 * cx, (2 * cx + 1).min(width - 1));
        let e = [top[x0], top[x1], bottom[x0], bottom[x1]].map(|l| &run[l as usize]);
        (u[cx], v[cx]) = yuv::chroma(e).finish(w);
        // x1 == x0 on the last block of an odd width: the same value twice.
        top[x0] = yuv::luma(e[0][0], w);
        top[x1] = yuv::luma(e[1][0], w);
        bottom[x0] = yuv::luma(e[2][0], w);
        bottom[x1] = yuv::luma(e[3][0], w);
    }
}
