//! Bilinear resizing, plane by plane.

use crate::cpu::{CpuLevel, multiversion};
use crate::layout::{Format, Image, ImageMut, LayoutError};

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
            vertical(level, top, bottom, wy, &mut blended);
            horizontal(level, &blended, &xtaps, ch, dst.row_mut(plane, y));
        }
    }
    Ok(())
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

multiversion! {
    /// `out = top * (256 - wy) + bottom * wy`, sample by sample.
    fn vertical(top: &[u8], bottom: &[u8], wy: u32, out: &mut [u32]) {
        for ((o, &t), &b) in out.iter_mut().zip(top).zip(bottom) {
            *o = t as u32 * (256 - wy) + b as u32 * wy;
        }
    }
}

multiversion! {
    /// Each output sample from two neighbouring columns of a vertically
    /// blended row, rounded back to 8 bits.
    fn horizontal(row: &[u32], xtaps: &[(usize, u32)], ch: usize, out: &mut [u8]) {
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
}

/// Sample-at-a-time reference for the fast path.
pub mod reference {
    use super::*;

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
}
