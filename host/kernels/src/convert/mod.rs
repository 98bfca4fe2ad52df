//! Conversion between I420, NV12 and RGBA (BT.709, limited range).
//!
//! Chroma is replicated when upsampling and averaged over each 2x2 block
//! (edges replicated on odd sizes) when downsampling.
//!
//! This file holds the API, the row plumbing and the choice of row kernels
//! (`Rows`, once per call). `reference.rs` is the pixel-at-a-time
//! reference and the plain scalar rows (the baseline level); `sse41.rs`
//! and `avx2.rs` hold the hand-written rows and the NV12 (de)interleaving
//! rows compiled for their instruction set. AVX2 has no RGBA-to-chroma
//! kernel of its own: its level uses the SSE4.1 one.

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, Image, ImageMut, Layout, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;

/// Converts `src` into `dst`; both must have the same width and height.
pub fn convert(src: Image<'_>, dst: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    convert_with(CpuLevel::active(), src, dst)
}

/// [`convert`] on a chosen instruction-set level.
pub fn convert_with(
    level: CpuLevel,
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
) -> Result<(), LayoutError> {
    same_size(&src, dst)?;
    let rows = Rows::new(level);
    let (w, h) = (src.layout.width, src.layout.height);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    match (src.layout.format, dst.layout.format) {
        (a, b) if a == b => {
            for plane in 0..a.plane_count() {
                for y in 0..src.layout.plane(plane).rows {
                    dst.row_mut(plane, y).copy_from_slice(src.row(plane, y));
                }
            }
        }
        (Format::I420 | Format::Nv12, Format::Rgba) => {
            // NV12 chroma is split into planar rows once per chroma row, so
            // one row kernel serves both formats.
            let (mut u, mut v) = (vec![0u8; cw], vec![0u8; cw]);
            for y in 0..h {
                let cy = y / 2;
                let (ur, vr): (&[u8], &[u8]) = if src.layout.format == Format::I420 {
                    (src.row(1, cy), src.row(2, cy))
                } else {
                    if y % 2 == 0 {
                        rows.deinterleave(src.row(1, cy), &mut u, &mut v);
                    }
                    (&u, &v)
                };
                rows.yuv_to_rgba(src.row(0, y), ur, vr, dst.row_mut(0, y));
            }
        }
        (Format::Rgba, Format::I420 | Format::Nv12) => {
            for y in 0..h {
                rows.rgba_to_y(src.row(0, y), dst.row_mut(0, y));
            }
            let (mut u, mut v) = (vec![0u8; cw], vec![0u8; cw]);
            for cy in 0..ch {
                let bottom = (2 * cy + 1).min(h - 1);
                rows.rgba_to_uv(src.row(0, 2 * cy), src.row(0, bottom), &mut u, &mut v);
                write_chroma(&rows, dst, cy, &u, &v);
            }
        }
        (Format::I420 | Format::Nv12, Format::I420 | Format::Nv12) => {
            for y in 0..h {
                dst.row_mut(0, y).copy_from_slice(src.row(0, y));
            }
            let (mut u, mut v) = (vec![0u8; cw], vec![0u8; cw]);
            for cy in 0..ch {
                if src.layout.format == Format::I420 {
                    u.copy_from_slice(src.row(1, cy));
                    v.copy_from_slice(src.row(2, cy));
                } else {
                    rows.deinterleave(src.row(1, cy), &mut u, &mut v);
                }
                write_chroma(&rows, dst, cy, &u, &v);
            }
        }
        _ => unreachable!("every pair of formats is handled above"),
    }
    Ok(())
}

/// Any frame's rows as RGBA, one at a time: for kernels that work on RGBA
/// but take a YUV frame without converting all of it first (the rows they
/// make are exactly `convert`'s).
pub(crate) struct RgbaRows<'a> {
    src: Image<'a>,
    rows: Rows,
    u: Vec<u8>,
    v: Vec<u8>,
    /// The NV12 chroma row now split into `u` and `v`.
    split: Option<usize>,
}

impl<'a> RgbaRows<'a> {
    pub(crate) fn new(level: CpuLevel, src: Image<'a>) -> RgbaRows<'a> {
        let cw = src.layout.width.div_ceil(2);
        RgbaRows {
            src,
            rows: Rows::new(level),
            u: vec![0; cw],
            v: vec![0; cw],
            split: None,
        }
    }

    pub(crate) fn layout(&self) -> &Layout {
        self.src.layout
    }

    /// Row `y` as RGBA into `out`, 4 bytes for each pixel of the row.
    pub(crate) fn read(&mut self, y: usize, out: &mut [u8]) {
        let src = &self.src;
        match src.layout.format {
            Format::Rgba => out.copy_from_slice(src.row(0, y)),
            Format::I420 => {
                self.rows
                    .yuv_to_rgba(src.row(0, y), src.row(1, y / 2), src.row(2, y / 2), out)
            }
            Format::Nv12 => {
                if self.split != Some(y / 2) {
                    self.rows
                        .deinterleave(src.row(1, y / 2), &mut self.u, &mut self.v);
                    self.split = Some(y / 2);
                }
                self.rows.yuv_to_rgba(src.row(0, y), &self.u, &self.v, out);
            }
        }
    }

    /// Chroma row `cy` as planar U and V (NV12 split; I420 as it is).
    pub(crate) fn chroma(&mut self, cy: usize) -> (&[u8], &[u8]) {
        let src = &self.src;
        if src.layout.format == Format::Nv12 {
            if self.split != Some(cy) {
                self.rows
                    .deinterleave(src.row(1, cy), &mut self.u, &mut self.v);
                self.split = Some(cy);
            }
            (&self.u, &self.v)
        } else {
            (src.row(1, cy), src.row(2, cy))
        }
    }

    /// Luma row `y` of a YUV frame.
    pub(crate) fn luma(&self, y: usize) -> &'a [u8] {
        self.src.row(0, y)
    }
}

fn same_size(src: &Image<'_>, dst: &ImageMut<'_>) -> Result<(), LayoutError> {
    if (src.layout.width, src.layout.height) != (dst.layout.width, dst.layout.height) {
        return Err(LayoutError(format!(
            "convert needs equal sizes, got {}x{} and {}x{}",
            src.layout.width, src.layout.height, dst.layout.width, dst.layout.height
        )));
    }
    Ok(())
}

fn write_chroma(rows: &Rows, dst: &mut ImageMut<'_>, cy: usize, u: &[u8], v: &[u8]) {
    if dst.layout.format == Format::I420 {
        let (du, dv) = dst.rows_mut2((1, cy), (2, cy));
        du.copy_from_slice(u);
        dv.copy_from_slice(v);
    } else {
        rows.interleave(u, v, dst.row_mut(1, cy));
    }
}

/// Planar Y, U and V rows to an RGBA row.
type YuvToRgbaFn = unsafe fn(&[u8], &[u8], &[u8], &mut [u8]);
/// Two RGBA rows to a row of U and one of V.
type RgbaToUvFn = unsafe fn(&[u8], &[u8], &mut [u8], &mut [u8]);

/// The row kernels of one instruction-set level, chosen once per call.
///
/// Only `Rows::new` makes one, from a [`CpuLevel`], which only run-time
/// detection makes: so the instruction set each pointer was compiled for
/// is present on this CPU. That is what makes calling them sound (a
/// `#[target_feature]` function only coerces to an `unsafe fn` pointer).
struct Rows {
    yuv_to_rgba: YuvToRgbaFn,
    rgba_to_y: unsafe fn(&[u8], &mut [u8]),
    rgba_to_uv: RgbaToUvFn,
    interleave: unsafe fn(&[u8], &[u8], &mut [u8]),
    deinterleave: unsafe fn(&[u8], &mut [u8], &mut [u8]),
}

impl Rows {
    fn new(level: CpuLevel) -> Rows {
        match level.isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Rows {
                yuv_to_rgba: avx2::yuv_to_rgba_row,
                rgba_to_y: avx2::rgba_to_y_row,
                // AVX2 implies SSE4.1.
                rgba_to_uv: sse41::rgba_to_uv_row,
                interleave: avx2::interleave_row,
                deinterleave: avx2::deinterleave_row,
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => Rows {
                yuv_to_rgba: sse41::yuv_to_rgba_row,
                rgba_to_y: sse41::rgba_to_y_row,
                rgba_to_uv: sse41::rgba_to_uv_row,
                interleave: sse41::interleave_row,
                deinterleave: sse41::deinterleave_row,
            },
            _ => Rows {
                yuv_to_rgba: reference::yuv_to_rgba_row,
                rgba_to_y: reference::rgba_to_y_row,
                rgba_to_uv: reference::rgba_to_uv_row,
                interleave: reference::interleave_row,
                deinterleave: reference::deinterleave_row,
            },
        }
    }

    /// One row of planar YUV (chroma at half width) to RGBA.
    fn yuv_to_rgba(&self, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.yuv_to_rgba)(y, u, v, out) }
    }

    /// One row of RGBA to luma.
    fn rgba_to_y(&self, rgba: &[u8], y: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.rgba_to_y)(rgba, y) }
    }

    /// Two RGBA rows to a row of U and V.
    fn rgba_to_uv(&self, top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.rgba_to_uv)(top, bottom, u, v) }
    }

    /// Planar U and V to an NV12 UV row.
    fn interleave(&self, u: &[u8], v: &[u8], uv: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.interleave)(u, v, uv) }
    }

    /// An NV12 UV row to planar U and V.
    fn deinterleave(&self, uv: &[u8], u: &mut [u8], v: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.deinterleave)(uv, u, v) }
    }
}
