//! Sample-at-a-time scale, the reference for the fast path; and the plain
//! scalar rows: the baseline level's path, and the bodies `sse41.rs` and
//! `avx2.rs` compile again for their instruction set (hence
//! `#[inline(always)]`).

use super::{channels, taps};
use crate::layout::{Image, ImageMut};

pub fn scale(src: Image<'_>, dst: &mut ImageMut<'_>) {
    let format = src.layout.format;
    for plane in 0..format.plane_count() {
        let ch = channels(format, plane);
        let (sp, dp) = (src.layout.plane(plane), *dst.layout.plane(plane));
        let xtaps = taps(sp.row_bytes / ch, dp.row_bytes / ch);
        let ytaps = taps(sp.rows, dp.rows);
        for (y, &(sy, wy)) in ytaps.iter().enumerate() {
            for (x, &(sx, wx)) in xtaps.iter().enumerate() {
                for c in 0..ch {
                    let top = src.row(plane, sy);
                    let bottom = src.row(plane, (sy + 1).min(sp.rows - 1));
                    dst.row_mut(plane, y)[x * ch + c] = sample(top, bottom, wy, sx, wx, ch, c);
                }
            }
        }
    }
}

#[inline(always)]
fn lerp(a: u8, b: u8, w: u32) -> u32 {
    a as u32 * (256 - w) + b as u32 * w
}

#[inline(always)]
fn sample(top: &[u8], bottom: &[u8], wy: u32, x: usize, wx: u32, ch: usize, c: usize) -> u8 {
    let x1 = if wx > 0 { x + 1 } else { x };
    let t = lerp(top[x * ch + c], top[x1 * ch + c], wx);
    let b = lerp(bottom[x * ch + c], bottom[x1 * ch + c], wx);
    ((t * (256 - wy) + b * wy + (1 << 15)) >> 16) as u8
}

/// `out = top * (256 - wy) + bottom * wy`, sample by sample.
#[inline(always)]
pub(super) fn vertical(top: &[u8], bottom: &[u8], wy: u32, out: &mut [u32]) {
    for ((o, &t), &b) in out.iter_mut().zip(top).zip(bottom) {
        *o = t as u32 * (256 - wy) + b as u32 * wy;
    }
}

/// Each output sample from two neighbouring columns of a vertically
/// blended row, rounded back to 8 bits.
#[inline(always)]
pub(super) fn horizontal(row: &[u32], xtaps: &[(usize, u32)], ch: usize, out: &mut [u8]) {
    fn pick<const CH: usize>(row: &[u32], xtaps: &[(usize, u32)], out: &mut [u8]) {
        for (px, &(x, wx)) in out.chunks_exact_mut(CH).zip(xtaps) {
            let x1 = if wx > 0 { x + 1 } else { x };
            let (a, b) = (&row[x * CH..x * CH + CH], &row[x1 * CH..x1 * CH + CH]);
            for c in 0..CH {
                px[c] = ((a[c] * (256 - wx) + b[c] * wx + (1 << 15)) >> 16) as u8;
            }
        }
    }
    match ch {
        1 => pick::<1>(row, xtaps, out),
        2 => pick::<2>(row, xtaps, out),
        _ => pick::<4>(row, xtaps, out),
    }
}
