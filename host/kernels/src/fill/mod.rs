//! Filling a rectangle with one colour.

use crate::blend::overlap;
use crate::color::{clamp_u8, div255, premultiplied_yuv};
use crate::cpu::{CpuLevel, multiversion};
use crate::layout::{Format, ImageMut};

/// A rectangle in pixels; it may reach outside the picture (it is clipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: i64,
    pub y: i64,
    pub width: usize,
    pub height: usize,
}

/// Fills `rect` with straight-alpha `rgba`. On RGBA pictures the colour
/// replaces the pixels, alpha included; on YUV pictures (which have no
/// alpha) it is blended over them by its alpha.
pub fn fill_rect(dst: &mut ImageMut<'_>, rect: Rect, rgba: [u8; 4]) {
    fill_rect_with(CpuLevel::active(), dst, rect, rgba)
}

pub fn fill_rect_with(level: CpuLevel, dst: &mut ImageMut<'_>, rect: Rect, rgba: [u8; 4]) {
    let (w, h) = (dst.layout.width, dst.layout.height);
    let Some((xs, ys)) = overlap((w, h), (rect.width, rect.height), rect.x, rect.y) else {
        return;
    };
    let (yc, uc, vc, keep) = yuv_over(rgba);
    match dst.layout.format {
        Format::Rgba => {
            for y in ys {
                fill_pattern_row(
                    level,
                    &mut dst.row_mut(0, y)[4 * xs.start..4 * xs.end],
                    &rgba,
                );
            }
        }
        format => {
            for y in ys.clone() {
                over_row(level, &mut dst.row_mut(0, y)[xs.clone()], &[yc], keep);
            }
            let cxs = xs.start / 2..xs.end.div_ceil(2);
            for cy in ys.start / 2..ys.end.div_ceil(2) {
                if format == Format::I420 {
                    over_row(level, &mut dst.row_mut(1, cy)[cxs.clone()], &[uc], keep);
                    over_row(level, &mut dst.row_mut(2, cy)[cxs.clone()], &[vc], keep);
                } else {
                    let span = 2 * cxs.start..2 * cxs.end;
                    over_row(level, &mut dst.row_mut(1, cy)[span], &[uc, vc], keep);
                }
            }
        }
    }
}

/// What a straight-alpha colour adds to each Y, U and V sample it covers,
/// and how much of the sample (out of 255) stays.
fn yuv_over(rgba: [u8; 4]) -> (i32, i32, i32, u32) {
    let a = rgba[3] as u32;
    let [r, g, b] = [rgba[0], rgba[1], rgba[2]].map(|c| div255(c as u32 * a) as i32);
    let (yc, uc, vc) = premultiplied_yuv(r, g, b, a as i32);
    (yc, uc, vc, 255 - a)
}

multiversion! {
    fn fill_pattern_row(row: &mut [u8], pattern: &[u8]) {
        for chunk in row.chunks_exact_mut(pattern.len()) {
            chunk.copy_from_slice(pattern);
        }
    }
}

multiversion! {
    /// `sample = add + sample * keep / 255`, `add` cycling per sample (one
    /// value for a plane, two for interleaved UV). The lengths are spelled
    /// out so each loop has a fixed shape the compiler can vectorise.
    fn over_row(row: &mut [u8], add: &[i32], keep: u32) {
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
}

/// Sample-at-a-time fill: the reference for the fast path.
pub mod reference {
    use super::*;

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
}
