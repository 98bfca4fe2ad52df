//! Pixel-at-a-time conversion, the reference the fast paths are tested
//! against; and the plain scalar rows: the baseline level's path, the
//! tails of the SIMD rows, and the bodies `sse41.rs` and `avx2.rs` compile
//! again for their instruction set (hence `#[inline(always)]`).

use super::same_size;
use crate::color::{rgb_to_u, rgb_to_v, rgb_to_y, yuv_to_rgb};
use crate::layout::{Format, Image, ImageMut, LayoutError};

/// The (Y, U, V) or (R, G, B, A) of the pixel at (x, y).
#[inline]
pub fn yuv_at(img: &Image<'_>, x: usize, y: usize) -> (u8, u8, u8) {
    let (cx, cy) = (x / 2, y / 2);
    match img.layout.format {
        Format::I420 => (img.row(0, y)[x], img.row(1, cy)[cx], img.row(2, cy)[cx]),
        Format::Nv12 => (
            img.row(0, y)[x],
            img.row(1, cy)[2 * cx],
            img.row(1, cy)[2 * cx + 1],
        ),
        Format::Rgba => unreachable!(),
    }
}

#[inline]
pub fn rgba_at(img: &Image<'_>, x: usize, y: usize) -> [u8; 4] {
    match img.layout.format {
        Format::Rgba => img.row(0, y)[4 * x..4 * x + 4].try_into().unwrap(),
        _ => {
            let (l, u, v) = yuv_at(img, x, y);
            let [r, g, b] = yuv_to_rgb(l, u, v);
            [r, g, b, 255]
        }
    }
}

pub fn convert(src: Image<'_>, dst: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    same_size(&src, dst)?;
    let (w, h) = (src.layout.width, src.layout.height);
    let (sf, df) = (src.layout.format, dst.layout.format);
    for y in 0..h {
        for x in 0..w {
            match df {
                Format::Rgba => {
                    let px = rgba_at(&src, x, y);
                    dst.row_mut(0, y)[4 * x..4 * x + 4].copy_from_slice(&px);
                }
                _ => {
                    let luma = if sf == Format::Rgba {
                        let [r, g, b, _] = rgba_at(&src, x, y);
                        rgb_to_y(r as i32, g as i32, b as i32)
                    } else {
                        yuv_at(&src, x, y).0
                    };
                    dst.row_mut(0, y)[x] = luma;
                }
            }
        }
    }
    if df == Format::Rgba {
        return Ok(());
    }
    for cy in 0..h.div_ceil(2) {
        for cx in 0..w.div_ceil(2) {
            let (u, v) = if sf == Format::Rgba {
                let mut sum = [0i32; 3];
                for y in [2 * cy, (2 * cy + 1).min(h - 1)] {
                    for x in [2 * cx, (2 * cx + 1).min(w - 1)] {
                        let px = rgba_at(&src, x, y);
                        for c in 0..3 {
                            sum[c] += px[c] as i32;
                        }
                    }
                }
                let [r, g, b] = sum.map(|s| (s + 2) >> 2);
                (rgb_to_u(r, g, b), rgb_to_v(r, g, b))
            } else {
                let (_, u, v) = yuv_at(&src, 2 * cx, 2 * cy);
                (u, v)
            };
            if df == Format::I420 {
                dst.row_mut(1, cy)[cx] = u;
                dst.row_mut(2, cy)[cx] = v;
            } else {
                dst.row_mut(1, cy)[2 * cx] = u;
                dst.row_mut(1, cy)[2 * cx + 1] = v;
            }
        }
    }
    Ok(())
}

/// One row of planar YUV (chroma at half width) to RGBA.
#[inline]
pub(super) fn yuv_to_rgba_row(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
    for (x, (px, &luma)) in out.chunks_exact_mut(4).zip(y).enumerate() {
        let [r, g, b] = yuv_to_rgb(luma, u[x / 2], v[x / 2]);
        px.copy_from_slice(&[r, g, b, 255]);
    }
}

/// One row of RGBA to luma.
#[inline]
pub(super) fn rgba_to_y_row(rgba: &[u8], y: &mut [u8]) {
    for (px, luma) in rgba.chunks_exact(4).zip(y.iter_mut()) {
        *luma = rgb_to_y(px[0] as i32, px[1] as i32, px[2] as i32);
    }
}

/// Two RGBA rows to a row of U and V (2x2 averages, the last column
/// replicated on odd widths).
#[inline]
pub(super) fn rgba_to_uv_row(top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8]) {
    rgba_to_uv_from(top, bottom, u, v, 0);
}

/// [`rgba_to_uv_row`] from chroma sample `from` on (the tail of a SIMD
/// row: the edge depends on the whole row's width).
#[inline]
pub(super) fn rgba_to_uv_from(top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8], from: usize) {
    let width = top.len() / 4;
    for (cx, (cu, cv)) in u.iter_mut().zip(v.iter_mut()).enumerate().skip(from) {
        let (x0, x1) = (2 * cx, (2 * cx + 1).min(width - 1));
        let mut sum = [0i32; 3];
        for row in [top, bottom] {
            for x in [x0, x1] {
                for (s, &c) in sum.iter_mut().zip(&row[4 * x..4 * x + 3]) {
                    *s += c as i32;
                }
            }
        }
        let [r, g, b] = sum.map(|s| (s + 2) >> 2);
        *cu = rgb_to_u(r, g, b);
        *cv = rgb_to_v(r, g, b);
    }
}

#[inline(always)]
pub(super) fn interleave_row(u: &[u8], v: &[u8], uv: &mut [u8]) {
    for ((pair, &cu), &cv) in uv.chunks_exact_mut(2).zip(u).zip(v) {
        pair[0] = cu;
        pair[1] = cv;
    }
}

#[inline(always)]
pub(super) fn deinterleave_row(uv: &[u8], u: &mut [u8], v: &mut [u8]) {
    for ((pair, cu), cv) in uv.chunks_exact(2).zip(u.iter_mut()).zip(v.iter_mut()) {
        *cu = pair[0];
        *cv = pair[1];
    }
}
