//! Bilinear resizing, plane by plane.
//!
//! No hand-written intrinsics: `sse41.rs` and `avx2.rs` compile the scalar
//! rows of `reference.rs` again with their instruction set enabled, so the
//! compiler vectorises each for it; `Rows` picks them once per call.

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, Image, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;

/// Resizes `src` into `dst`; both must have the same format.
pub fn scale(src: Image<'_>, dst: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    scale_with(CpuLevel::active(), src, dst)
}

/// Source position of each destination sample: index of the left (or top)
/// neighbour and the weight of the right one in 0..=256. Pixel centres are
/// aligned, as in GStreamer's and ffmpeg's bilinear scalers.
fn taps(src_len: usize, dst_len: usize) -> Vec<(usize, u32)> {
    let ratio = src_len as f64 / dst_len as f64;
    (0..dst_len)
        .map(|d| {
            let pos = ((d as f64 + 0.5) * ratio - 0.5).max(0.0);
            let i = (pos as usize).min(src_len - 1);
            let w = if i + 1 < src_len {
                ((pos - i as f64) * 256.0).round() as u32
            } else {
                0
            };
            (i, w)
        })
        .collect()
}

fn channels(format: Format, plane: usize) -> usize {
    match (format, plane) {
        (Format::Rgba, _) => 4,
        (Format::Nv12, 1) => 2,
        _ => 1,
    }
}

pub fn scale_with(
    level: CpuLevel,
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
) -> Result<(), LayoutError> {
    let format = src.layout.format;
    if format != dst.layout.format {
        return Err(LayoutError(format!(
            "scale keeps the format, got {format} and {}",
            dst.layout.format
        )));
    }
    let rows = Rows::new(level);
    for plane in 0..format.plane_count() {
        let ch = channels(format, plane);
        let (sp, dp) = (src.layout.plane(plane), *dst.layout.plane(plane));
        let (sw, dw) = (sp.row_bytes / ch, dp.row_bytes / ch);
        if sw == 0 || sp.rows == 0 {
            continue;
        }
        let xtaps = taps(sw, dw);
        let ytaps = taps(sp.rows, dp.rows);
        // Separable: blend the two source rows first (a plain vector loop),
        // then pick and blend columns. Exact: the weights multiply out to
        // the same integer as the two-dimensional formula.
        let mut blended = vec![0u32; sp.row_bytes];
        for (y, &(sy, wy)) in ytaps.iter().enumerate() {
            let top = src.row(plane, sy);
            let bottom = src.row(plane, (sy + 1).min(sp.rows - 1));
            rows.vertical(top, bottom, wy, &mut blended);
            rows.horizontal(&blended, &xtaps, ch, dst.row_mut(plane, y));
        }
    }
    Ok(())
}

/// A vertically blended row, its column taps and channel count, to a row.
type HorizontalFn = unsafe fn(&[u32], &[(usize, u32)], usize, &mut [u8]);

/// The row kernels of one instruction-set level, chosen once per call.
///
/// Only `Rows::new` makes one, from a [`CpuLevel`], which only run-time
/// detection makes: so the instruction set each pointer was compiled for
/// is present on this CPU. That is what makes calling them sound (a
/// `#[target_feature]` function only coerces to an `unsafe fn` pointer).
struct Rows {
    vertical: unsafe fn(&[u8], &[u8], u32, &mut [u32]),
    horizontal: HorizontalFn,
}

impl Rows {
    fn new(level: CpuLevel) -> Rows {
        match level.isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Rows {
                vertical: avx2::vertical,
                horizontal: avx2::horizontal,
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => Rows {
                vertical: sse41::vertical,
                horizontal: sse41::horizontal,
            },
            _ => Rows {
                vertical: reference::vertical,
                horizontal: reference::horizontal,
            },
        }
    }

    /// `out = top * (256 - wy) + bottom * wy`, sample by sample.
    fn vertical(&self, top: &[u8], bottom: &[u8], wy: u32, out: &mut [u32]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.vertical)(top, bottom, wy, out) }
    }

    /// Each output sample from two columns of a vertically blended row.
    fn horizontal(&self, row: &[u32], xtaps: &[(usize, u32)], ch: usize, out: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.horizontal)(row, xtaps, ch, out) }
    }
}
