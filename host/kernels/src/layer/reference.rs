//! Pixel-at-a-time layer blending: the definition of every mode, and the
//! path the modes other than "over" take.

use super::{Alpha, BlendMode};
use crate::blend::{opacity_255, overlap};
use crate::color::{div255, rgb_to_u, rgb_to_v, rgb_to_y, yuv_to_rgb};
use crate::layout::{Format, Image, ImageMut, LayoutError};

/// A straight-alpha pixel premultiplied (`c * a / 255` rounded, as the
/// `premultiply` kernel does).
#[inline]
pub fn premultiplied(px: &[u8]) -> [u8; 4] {
    let a = px[3] as u32;
    [
        div255(px[0] as u32 * a) as u8,
        div255(px[1] as u32 * a) as u8,
        div255(px[2] as u32 * a) as u8,
        px[3],
    ]
}

/// One premultiplied source pixel `s` (opacity applied) onto the
/// premultiplied destination pixel `d`, in `mode`.
#[inline]
pub fn blend_pixel(s: [u32; 4], d: [u32; 4], mode: BlendMode) -> [u8; 4] {
    let (sa, da) = (s[3], d[3]);
    let union = sa + da - div255(sa * da);
    let mut out = [0u8; 4];
    for c in 0..3 {
        let v = match mode {
            BlendMode::Over => s[c] + div255(d[c] * (255 - sa)),
            BlendMode::Add => s[c] + d[c],
            // At most 255 * 255 when colour <= alpha; clamped otherwise.
            BlendMode::Multiply => {
                div255((s[c] * (255 - da) + d[c] * (255 - sa) + s[c] * d[c]).min(255 * 255))
            }
            BlendMode::Screen => s[c] + d[c] - div255(s[c] * d[c]),
        };
        out[c] = v.min(255) as u8;
    }
    out[3] = match mode {
        BlendMode::Add => (sa + da).min(255),
        _ => union.min(255),
    } as u8;
    out
}

pub fn blend_layer(
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    (x, y): (i32, i32),
    opacity: f32,
    mode: BlendMode,
    alpha: Alpha,
) -> Result<(), LayoutError> {
    if src.layout.format != Format::Rgba {
        return Err(LayoutError("a layer must be RGBA".into()));
    }
    let op = opacity_255(opacity);
    let Some((xs, ys)) = overlap(
        (dst.layout.width, dst.layout.height),
        (src.layout.width, src.layout.height),
        x as i64,
        y as i64,
    ) else {
        return Ok(());
    };
    // The source pixel over destination pixel (dx, dy), premultiplied and
    // with the opacity applied.
    let source = |dx: usize, dy: usize| -> [u32; 4] {
        let row = src.row(0, (dy as i64 - y as i64) as usize);
        let px = &row[4 * (dx as i64 - x as i64) as usize..][..4];
        let px = match alpha {
            Alpha::Premultiplied => [px[0], px[1], px[2], px[3]],
            Alpha::Straight => premultiplied(px),
        };
        px.map(|c| div255(c as u32 * op))
    };
    if dst.layout.format == Format::Rgba {
        for dy in ys {
            for dx in xs.clone() {
                let s = source(dx, dy);
                let d = &mut dst.row_mut(0, dy)[4 * dx..4 * dx + 4];
                let out = blend_pixel(s, [d[0], d[1], d[2], d[3]].map(u32::from), mode);
                d.copy_from_slice(&out);
            }
        }
        return Ok(());
    }
    // YUV: every pixel of each touched 2x2 block in RGB (an opaque
    // backdrop), the covered ones blended; luma per pixel, chroma from
    // the block's average.
    let (w, h) = (dst.layout.width, dst.layout.height);
    let nv12 = dst.layout.format == Format::Nv12;
    let chroma = |dst: &ImageMut<'_>, cx: usize, cy: usize| -> (u8, u8) {
        if nv12 {
            let row = dst.row(1, cy);
            (row[2 * cx], row[2 * cx + 1])
        } else {
            (dst.row(1, cy)[cx], dst.row(2, cy)[cx])
        }
    };
    for cy in ys.start / 2..ys.end.div_ceil(2) {
        for cx in xs.start / 2..xs.end.div_ceil(2) {
            let (u, v) = chroma(dst, cx, cy);
            let (mut sum, mut n) = ([0i32; 3], 0);
            for py in [2 * cy, 2 * cy + 1] {
                for px in [2 * cx, 2 * cx + 1] {
                    if px >= w || py >= h {
                        continue;
                    }
                    let luma = dst.row(0, py)[px];
                    let [r, g, b] = yuv_to_rgb(luma, u, v);
                    let rgb = if xs.contains(&px) && ys.contains(&py) {
                        let d = [r as u32, g as u32, b as u32, 255];
                        let out = blend_pixel(source(px, py), d, mode);
                        dst.row_mut(0, py)[px] =
                            rgb_to_y(out[0] as i32, out[1] as i32, out[2] as i32);
                        [out[0], out[1], out[2]]
                    } else {
                        [r, g, b]
                    };
                    for c in 0..3 {
                        sum[c] += rgb[c] as i32;
                    }
                    n += 1;
                }
            }
            let [r, g, b] = sum.map(|s| (s + n / 2) / n);
            let (u, v) = (rgb_to_u(r, g, b), rgb_to_v(r, g, b));
            if nv12 {
                let row = dst.row_mut(1, cy);
                row[2 * cx] = u;
                row[2 * cx + 1] = v;
            } else {
                dst.row_mut(1, cy)[cx] = u;
                dst.row_mut(2, cy)[cx] = v;
            }
        }
    }
    Ok(())
}
