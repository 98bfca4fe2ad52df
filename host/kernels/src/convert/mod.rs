//! Conversion between I420, NV12 and RGBA (BT.709, limited range).
//!
//! Chroma is replicated when upsampling and averaged over each 2x2 block
//! (edges replicated on odd sizes) when downsampling.

use crate::color::{rgb_to_u, rgb_to_v, rgb_to_y, yuv_to_rgb};
use crate::cpu::{CpuLevel, Isa, multiversion};
use crate::layout::{Format, Image, ImageMut, LayoutError};

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
                        deinterleave_row(level, src.row(1, cy), &mut u, &mut v);
                    }
                    (&u, &v)
                };
                yuv_to_rgba_row(level, src.row(0, y), ur, vr, dst.row_mut(0, y));
            }
        }
        (Format::Rgba, Format::I420 | Format::Nv12) => {
            for y in 0..h {
                rgba_to_y_row(level, src.row(0, y), dst.row_mut(0, y));
            }
            let (mut u, mut v) = (vec![0u8; cw], vec![0u8; cw]);
            for cy in 0..ch {
                let bottom = (2 * cy + 1).min(h - 1);
                rgba_to_uv_row(
                    level,
                    src.row(0, 2 * cy),
                    src.row(0, bottom),
                    &mut u,
                    &mut v,
                );
                write_chroma(dst, cy, &u, &v, level);
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
                    deinterleave_row(level, src.row(1, cy), &mut u, &mut v);
                }
                write_chroma(dst, cy, &u, &v, level);
            }
        }
        _ => unreachable!("every pair of formats is handled above"),
    }
    Ok(())
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

fn write_chroma(dst: &mut ImageMut<'_>, cy: usize, u: &[u8], v: &[u8], level: CpuLevel) {
    if dst.layout.format == Format::I420 {
        let (du, dv) = dst.rows_mut2((1, cy), (2, cy));
        du.copy_from_slice(u);
        dv.copy_from_slice(v);
    } else {
        interleave_row(level, u, v, dst.row_mut(1, cy));
    }
}

/// One row of planar YUV (chroma at half width) to RGBA: hand-written
/// SIMD for the bulk of the row, plain Rust for what is left.
fn yuv_to_rgba_row(level: CpuLevel, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
    let done = match level.isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a `CpuLevel` comes only from run-time detection, so AVX2 is there.
        Isa::Avx2 => unsafe { crate::x86::avx2::yuv_to_rgba(y, u, v, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, SSE4.1 was detected.
        Isa::Sse41 => unsafe { crate::x86::sse41::yuv_to_rgba(y, u, v, out) },
        _ => 0,
    };
    // `done` is a multiple of 4, so the tail starts on a chroma boundary.
    let (y, u, v, out) = (
        &y[done..],
        &u[done / 2..],
        &v[done / 2..],
        &mut out[4 * done..],
    );
    for (x, (px, &luma)) in out.chunks_exact_mut(4).zip(y).enumerate() {
        let [r, g, b] = yuv_to_rgb(luma, u[x / 2], v[x / 2]);
        px.copy_from_slice(&[r, g, b, 255]);
    }
}

/// One row of RGBA to luma: SIMD bulk, plain-Rust tail.
fn rgba_to_y_row(level: CpuLevel, rgba: &[u8], y: &mut [u8]) {
    let done = match level.isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a `CpuLevel` comes only from run-time detection, so AVX2 is there.
        Isa::Avx2 => unsafe { crate::x86::avx2::rgba_to_y(rgba, y) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, SSE4.1 was detected.
        Isa::Sse41 => unsafe { crate::x86::sse41::rgba_to_y(rgba, y) },
        _ => 0,
    };
    for (px, luma) in rgba[4 * done..].chunks_exact(4).zip(y[done..].iter_mut()) {
        *luma = rgb_to_y(px[0] as i32, px[1] as i32, px[2] as i32);
    }
}

/// Two RGBA rows to a row of U and V: SIMD bulk (SSE4.1, also used at the
/// AVX2 level), plain-Rust tail.
fn rgba_to_uv_row(level: CpuLevel, top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8]) {
    let done = match level.isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level was capped by run-time detection (AVX2 implies
        // SSE4.1).
        Isa::Avx2 | Isa::Sse41 => unsafe { crate::x86::sse41::rgba_to_uv(top, bottom, u, v) },
        _ => 0,
    };
    {
        let width = top.len() / 4;
        for (cx, (cu, cv)) in u.iter_mut().zip(v.iter_mut()).enumerate().skip(done) {
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
}

multiversion! {
    fn interleave_row(u: &[u8], v: &[u8], uv: &mut [u8]) {
        for ((pair, &cu), &cv) in uv.chunks_exact_mut(2).zip(u).zip(v) {
            pair[0] = cu;
            pair[1] = cv;
        }
    }
}

multiversion! {
    fn deinterleave_row(uv: &[u8], u: &mut [u8], v: &mut [u8]) {
        for ((pair, cu), cv) in uv.chunks_exact(2).zip(u.iter_mut()).zip(v.iter_mut()) {
            *cu = pair[0];
            *cv = pair[1];
        }
    }
}

/// Pixel-at-a-time conversion: the reference the fast paths are tested
/// against.
pub mod reference {
    use super::*;

    /// The (Y, U, V) or (R, G, B, A) of the pixel at (x, y).
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
}
