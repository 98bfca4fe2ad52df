//! Filling a rectangle with one colour.
//!
//! No hand-written intrinsics: `sse41.rs` and `avx2.rs` compile the scalar
//! rows of `reference.rs` again with their instruction set enabled, so the
//! compiler vectorises each for it; `Rows` picks them once per call.

use crate::blend::overlap;
use crate::color::{div255, premultiplied_yuv};
use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, ImageMut};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;

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
    let rows = Rows::new(level);
    let (yc, uc, vc, keep) = yuv_over(rgba);
    let keep = keep as u8; // 255 - alpha
    match dst.layout.format {
        Format::Rgba => {
            for y in ys {
                rows.pattern(&mut dst.row_mut(0, y)[4 * xs.start..4 * xs.end], &rgba);
            }
        }
        format => {
            for y in ys.clone() {
                rows.over(&mut dst.row_mut(0, y)[xs.clone()], &[yc], keep);
            }
            let cxs = xs.start / 2..xs.end.div_ceil(2);
            for cy in ys.start / 2..ys.end.div_ceil(2) {
                if format == Format::I420 {
                    rows.over(&mut dst.row_mut(1, cy)[cxs.clone()], &[uc], keep);
                    rows.over(&mut dst.row_mut(2, cy)[cxs.clone()], &[vc], keep);
                } else {
                    let span = 2 * cxs.start..2 * cxs.end;
                    rows.over(&mut dst.row_mut(1, cy)[span], &[uc, vc], keep);
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

/// The row kernels of one instruction-set level, chosen once per call.
///
/// Only `Rows::new` makes one, from a [`CpuLevel`], which only run-time
/// detection makes: so the instruction set each pointer was compiled for
/// is present on this CPU. That is what makes calling them sound (a
/// `#[target_feature]` function only coerces to an `unsafe fn` pointer).
struct Rows {
    pattern: unsafe fn(&mut [u8], &[u8; 4]),
    over: unsafe fn(&mut [u8], &[i32], u8),
}

impl Rows {
    fn new(level: CpuLevel) -> Rows {
        match level.isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Rows {
                pattern: avx2::fill_pattern_row,
                over: avx2::over_row,
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => Rows {
                pattern: sse41::fill_pattern_row,
                over: sse41::over_row,
            },
            _ => Rows {
                pattern: reference::fill_pattern_row,
                over: reference::over_row,
            },
        }
    }

    /// `row` filled with copies of `pattern`.
    fn pattern(&self, row: &mut [u8], pattern: &[u8; 4]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.pattern)(row, pattern) }
    }

    /// `sample = add + sample * keep / 255`, `add` cycling per sample.
    fn over(&self, row: &mut [u8], add: &[i32], keep: u8) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.over)(row, add, keep) }
    }
}
