//! Sample-at-a-time fill, the reference for the fast path; and the plain
//! scalar rows: the baseline level's path, and the bodies `sse41.rs` and
//! `avx2.rs` compile again for their instruction set (hence
//! `#[inline(always)]`).

use super::{Rect, yuv_over};
use crate::blend::overlap;
use crate::color::{clamp_u8, div255};
use crate::layout::{Format, ImageMut};

pub fn fill_rect(dst: &mut ImageMut<'_>, rect: Rect, rgba: [u8; 4]) {
    let (w, h) = (dst.layout.width, dst.layout.height);
    let Some((xs, ys)) = overlap((w, h), (rect.width, rect.height), rect.x, rect.y) else {
        return;
    };
    let (yc, uc, vc, keep) = yuv_over(rgba);
    let over = |s: u8, c: i32| clamp_u8(c + div255(s as u32 * keep) as i32);
    let format = dst.layout.format;
    for y in ys.clone() {
        for x in xs.clone() {
            match format {
                Format::Rgba => dst.row_mut(0, y)[4 * x..4 * x + 4].copy_from_slice(&rgba),
                _ => {
                    let s = dst.row(0, y)[x];
                    dst.row_mut(0, y)[x] = over(s, yc);
                }
            }
        }
    }
    if format == Format::Rgba {
        return;
    }
    for cy in ys.start / 2..ys.end.div_ceil(2) {
        for cx in xs.start / 2..xs.end.div_ceil(2) {
            let (ui, vi, up, vp) = if format == Format::I420 {
                (cx, cx, 1, 2)
            } else {
                (2 * cx, 2 * cx + 1, 1, 1)
            };
            let u = dst.row(up, cy)[ui];
            dst.row_mut(up, cy)[ui] = over(u, uc);
            let v = dst.row(vp, cy)[vi];
            dst.row_mut(vp, cy)[vi] = over(v, vc);
        }
    }
}

/// `row` filled with copies of one RGBA pixel (a fixed-size pattern, so
/// the copies become wide stores even behind a function pointer).
#[inline(always)]
pub(super) fn fill_pattern_row(row: &mut [u8], pattern: &[u8; 4]) {
    for chunk in row.chunks_exact_mut(pattern.len()) {
        chunk.copy_from_slice(pattern);
    }
}

/// `sample = add + sample * keep / 255`, `add` cycling per sample (one
/// value for a plane, two for interleaved UV). The lengths are spelled
/// out so each loop has a fixed shape the compiler can vectorise; `keep`
/// is a byte so it knows the products fit 16 bits (SSE2 has no 32-bit
/// multiply).
#[inline(always)]
pub(super) fn over_row(row: &mut [u8], add: &[i32], keep: u8) {
    let keep = keep as u32;
    let over = |s: &mut u8, c: i32| *s = clamp_u8(c + div255(*s as u32 * keep) as i32);
    match *add {
        [c] => row.iter_mut().for_each(|s| over(s, c)),
        [a, b] => row.chunks_exact_mut(2).for_each(|p| {
            over(&mut p[0], a);
            over(&mut p[1], b);
        }),
        _ => unreachable!("one or two samples per step"),
    }
}
