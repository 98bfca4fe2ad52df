//! The cartoon ("toon") look: colours posterised to a palette, and dark
//! lines where XDoG (the extended difference of Gaussians, Winnemöller,
//! Kyprianidis and Olsen 2012) finds edges.
//!
//! `palette.rs` holds the [`Palette`] and its nearest-colour tables
//! (built once, in CIELAB); `reference.rs` the scalar posterising rows
//! and a pixel-at-a-time reference; `xdog.rs` the line steps, written
//! once as loops the compiler vectorises and compiled per level (again
//! in `sse41.rs` and `avx2.rs`): the same float operations in the same
//! order, no fused multiply-adds, so every level gives the same bits.
//! `avx2.rs` also holds hand-written posterising rows (cells computed in
//! vectors, colours gathered); `sse41.rs` compiles the scalar RGBA row
//! again (its YUV conversion vectorises with SSE4.1's 32-bit multiplies).

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod palette;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;
mod xdog;

pub use palette::Palette;

/// Posterises a picture in place: every pixel becomes its nearest
/// [`Palette`] colour (CIELAB distance, looked up in the palette's YUV
/// table). On I420 and NV12 each luma pixel is looked up with its 2x2
/// block's chroma, and the block's chroma becomes the rounded mean of
/// the chosen colours' chroma; on RGBA each pixel is converted to YUV
/// (BT.709 limited range, as `convert`), looked up, and given the
/// colour's RGB, alpha kept.
pub fn posterize(img: &mut ImageMut<'_>, palette: &Palette) -> Result<(), LayoutError> {
    posterize_with(CpuLevel::active(), img, palette)
}

/// [`posterize`] on a chosen instruction-set level; every level gives the
/// same bytes. AVX2 has its own rows (gathers from the table: 30% faster
/// on I420 than the scalar rows, 3x on RGBA); SSE4.1 its RGBA row.
pub fn posterize_with(
    level: CpuLevel,
    img: &mut ImageMut<'_>,
    palette: &Palette,
) -> Result<(), LayoutError> {
    let (w, h) = (img.layout.width, img.layout.height);
    if w == 0 || h == 0 {
        return Ok(());
    }
    let tables = palette.tables();
    match img.layout.format {
        Format::Rgba => {
            let row: unsafe fn(&mut [u8], &palette::Tables) = match level.isa() {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => avx2::posterize_rgba_row,
                #[cfg(target_arch = "x86_64")]
                Isa::Sse41 => sse41::posterize_rgba_row,
                _ => reference::rgba_row,
            };
            for y in 0..h {
                // SAFETY: `row` was chosen for `level`, and a `CpuLevel` is
                // only made by run-time detection: its instruction set is
                // present.
                unsafe { row(img.row_mut(0, y), tables) };
            }
        }
        Format::I420 | Format::Nv12 => {
            let rows: YuvRowsFn = match level.isa() {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => avx2::posterize_yuv_rows,
                _ => reference::yuv_rows,
            };
            let nv12 = img.layout.format == Format::Nv12;
            let cw = w.div_ceil(2);
            let (mut u, mut v) = (vec![0u8; cw], vec![0u8; cw]);
            for cy in 0..h.div_ceil(2) {
                if nv12 {
                    for ((pair, cu), cv) in img.row(1, cy).chunks_exact(2).zip(&mut u).zip(&mut v) {
                        (*cu, *cv) = (pair[0], pair[1]);
                    }
                } else {
                    u.copy_from_slice(img.row(1, cy));
                    v.copy_from_slice(img.row(2, cy));
                }
                let (top, bottom) = if 2 * cy + 1 < h {
                    let (top, bottom) = img.rows_mut2((0, 2 * cy), (0, 2 * cy + 1));
                    (top, Some(bottom))
                } else {
                    (img.row_mut(0, 2 * cy), None)
                };
                // SAFETY: `rows` was chosen for `level`, and a `CpuLevel`
                // is only made by run-time detection: its instruction set
                // is present.
                unsafe { rows(top, bottom, &mut u, &mut v, tables) };
                if nv12 {
                    for ((pair, cu), cv) in img.row_mut(1, cy).chunks_exact_mut(2).zip(&u).zip(&v) {
                        pair.copy_from_slice(&[*cu, *cv]);
                    }
                } else {
                    let (du, dv) = img.rows_mut2((1, cy), (2, cy));
                    du.copy_from_slice(&u);
                    dv.copy_from_slice(&v);
                }
            }
        }
    }
    Ok(())
}

/// Two luma rows (the bottom one absent on an odd height's last row)
/// and their planar chroma row, posterised in place.
type YuvRowsFn = unsafe fn(&mut [u8], Option<&mut [u8]>, &mut [u8], &mut [u8], &palette::Tables);

/// XDoG (Winnemöller, Kyprianidis, Olsen 2012) line parameters, blurs
/// in pixels of the frame. The restyle plugin's defaults: `sigma` =
/// frame long side / 512 (1 pixel at the training size), `k` = 1.6,
/// `tau` = 0.98, `phi` = 200. Refused (a `LayoutError`): anything not
/// finite, `sigma <= 0`, `k <= 1`, `phi <= 0`, `sigma * k` over 128.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Xdog {
    /// The inner Gaussian's standard deviation, in frame pixels (> 0).
    pub sigma: f32,
    /// The outer Gaussian's sigma as a multiple of the inner's (> 1).
    pub k: f32,
    /// How much of the outer blur is taken from the inner (just under 1).
    pub tau: f32,
    /// How sharply a line darkens past the threshold (> 0).
    pub phi: f32,
}

/// Where lines start: a fixed response, or the share of the frame to
/// mark (the threshold is then that quantile of this frame's response).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LineThreshold {
    Value(f32),
    Density(f32),
}

/// Darkens the frame where its XDoG response falls below a threshold:
/// towards luma 16 on I420 and NV12 (pixels at or below 16 are left), on
/// RGBA towards black, alpha kept. The response is inner blur minus
/// `tau` times outer blur of luma in 0..=1, computed at half size (2x2
/// means); each Gaussian is three box blurs (Wells 1986) of the radius
/// whose variance matches, the inner sigma in half-size pixels being
/// `max(sigma / 2, 2)` (below 2 the box radii of the inner and outer
/// blurs would round alike). Each half-size pixel's factor is XDoG's soft
/// step `1 + tanh(phi (r - threshold))` (1 where `r >= threshold`), read
/// from a table in 1/4096 (within 0.0007 of tanh); full-size pixels take
/// the factors bilinearly (weights 3/4 and 1/4 each way, in exact
/// integers). Memory: about 6 bytes a half-size pixel (the response and
/// the factors), and the blurs' rows.
///
/// With `Density(d)` the threshold is first set to the `d`-quantile of
/// this frame's response (`d` clamped to 0..=0.5, the result at most 0).
/// Returns the threshold used: passing it back as `Value` gives the same
/// bytes on the same frame.
pub fn draw_lines(
    img: &mut ImageMut<'_>,
    xdog: &Xdog,
    threshold: LineThreshold,
) -> Result<f32, LayoutError> {
    draw_lines_with(CpuLevel::active(), img, xdog, threshold)
}

/// [`draw_lines`] on a chosen instruction-set level; every level gives
/// the same bytes.
pub fn draw_lines_with(
    level: CpuLevel,
    img: &mut ImageMut<'_>,
    xdog: &Xdog,
    threshold: LineThreshold,
) -> Result<f32, LayoutError> {
    let params = xdog::Params::new(xdog)?;
    let threshold = match threshold {
        LineThreshold::Value(t) if t.is_finite() => LineThreshold::Value(t),
        LineThreshold::Density(d) if d.is_finite() => LineThreshold::Density(d.clamp(0.0, 0.5)),
        other => {
            return Err(LayoutError(format!(
                "line threshold {other:?} is not a finite number"
            )));
        }
    };
    let steps = Steps::new(level);
    Ok(xdog::draw_lines(&steps, img, &params, threshold))
}

/// The line steps that run per pixel, chosen once per call for a level.
/// Calling them is sound only on a CPU that has that level
/// (`#[target_feature]` functions only coerce to `unsafe fn`).
pub(crate) struct Steps {
    /// Half-size 2x2 means of two luma rows (the bottom one repeated on
    /// an odd height's last row).
    pub(crate) half_row: unsafe fn(&[u8], &[u8], &mut [f32]),
    /// The response of a half-size luma plane, in place: Gaussians
    /// (box radii `inner` and `outer`), inner - tau * outer.
    pub(crate) response: unsafe fn(&mut [f32], usize, usize, usize, usize, f32),
    /// Two half-size factor rows blended for one full-size row.
    pub(crate) blend_rows: unsafe fn(&[u16], &[u16], &mut [u16]),
    /// Full-size factors from blended ones.
    pub(crate) full_factors: unsafe fn(&[u16], &mut [u16]),
    /// Luma pixels darkened by their factors.
    pub(crate) darken_luma: unsafe fn(&mut [u8], &[u16]),
    /// The luma of an RGBA row.
    pub(crate) rgba_luma: unsafe fn(&[u8], &mut [u8]),
    /// RGBA pixels darkened by their factors.
    pub(crate) darken_rgba: unsafe fn(&mut [u8], &[u16]),
}

impl Steps {
    fn new(level: CpuLevel) -> Steps {
        match level.isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => avx2::STEPS,
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => sse41::STEPS,
            _ => xdog::BASELINE,
        }
    }
}
