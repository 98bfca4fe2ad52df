//! Pixel-at-a-time blend, the reference for the fast paths; and the plain
//! scalar rows: the baseline level's path, the tails of the SIMD rows, and
//! the bodies `sse41.rs` and `avx2.rs` compile again for their instruction
//! set (hence `#[inline(always)]`).

use std::ops::Range;

use super::{opacity_255, overlap};
use crate::color::{clamp_u8, div255, premultiplied_yuv};
use crate::layout::{Format, Image, ImageMut, LayoutError};

pub fn blend(
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    x: i32,
    y: i32,
    opacity: f32,
) -> Result<(), LayoutError> {
    if src.layout.format != Format::Rgba {
        return Err(LayoutError("blend source must be RGBA".into()));
    }
    let op = opacity_255(opacity);
    let (dw, dh) = (dst.layout.width, dst.layout.height);
    let Some((xs, ys)) = overlap(
        (dw, dh),
        (src.layout.width, src.layout.height),
        x as i64,
        y as i64,
    ) else {
        return Ok(());
    };
    for dy in ys.clone() {
        for dx in xs.clone() {
            let s = &src.row(0, (dy as i64 - y as i64) as usize)
                [4 * (dx as i64 - x as i64) as usize..][..4];
            let premul = [s[0], s[1], s[2], s[3]].map(|c| div255(c as u32 * op));
            let a = premul[3];
            if dst.layout.format == Format::Rgba {
                let d = &mut dst.row_mut(0, dy)[4 * dx..4 * dx + 4];
                for c in 0..4 {
                    d[c] = (premul[c] + div255(d[c] as u32 * (255 - a))).min(255) as u8;
                }
            } else {
                let [r, g, b, a] = premul.map(|c| c as i32);
                let (yc, _, _) = premultiplied_yuv(r, g, b, a);
                let d = &mut dst.row_mut(0, dy)[dx];
                *d = clamp_u8(yc + div255(*d as u32 * (255 - a as u32)) as i32);
            }
        }
    }
    if dst.layout.format != Format::Rgba {
        blend_chroma(dst, src, x as i64, y as i64, op, &xs, &ys);
    }
    Ok(())
}

/// Chroma of a YUV destination, sample by sample: each sample takes the
/// average premultiplied colour and coverage of the pixels of its 2x2
/// block that lie in the picture (pixels the source does not cover add
/// nothing).
fn blend_chroma(
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    x: i64,
    y: i64,
    op: u32,
    xs: &Range<usize>,
    ys: &Range<usize>,
) {
    let (dw, dh) = (dst.layout.width, dst.layout.height);
    let nv12 = dst.layout.format == Format::Nv12;
    for cy in ys.start / 2..ys.end.div_ceil(2) {
        for cx in xs.start / 2..xs.end.div_ceil(2) {
            let (mut sum, mut n) = ([0u32; 4], 0u32);
            for py in [2 * cy, 2 * cy + 1] {
                for px in [2 * cx, 2 * cx + 1] {
                    if px >= dw || py >= dh {
                        continue;
                    }
                    n += 1;
                    if xs.contains(&px) && ys.contains(&py) {
                        let srow = src.row(0, (py as i64 - y) as usize);
                        let sx = (px as i64 - x) as usize;
                        for c in 0..4 {
                            sum[c] += div255(srow[4 * sx + c] as u32 * op);
                        }
                    }
                }
            }
            let [r, g, b, a] = sum.map(|s| ((s + n / 2) / n) as i32);
            let (_, uc, vc) = premultiplied_yuv(r, g, b, a);
            let keep = 255 - a as u32;
            let (ui, vi) = if nv12 { (2 * cx, 2 * cx + 1) } else { (cx, cx) };
            let (uplane, vplane) = if nv12 { (1, 1) } else { (1, 2) };
            let u = dst.row(uplane, cy)[ui];
            dst.row_mut(uplane, cy)[ui] = clamp_u8(uc + div255(u as u32 * keep) as i32);
            let v = dst.row(vplane, cy)[vi];
            dst.row_mut(vplane, cy)[vi] = clamp_u8(vc + div255(v as u32 * keep) as i32);
        }
    }
}

/// Premultiplied RGBA over RGBA, one row.
#[inline]
pub(super) fn blend_rgba_row(src: &[u8], dst: &mut [u8], op: u32) {
    for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
        let a = div255(s[3] as u32 * op);
        for c in 0..4 {
            let v = div255(s[c] as u32 * op) + div255(d[c] as u32 * (255 - a));
            d[c] = v.min(255) as u8;
        }
    }
}

/// Premultiplied RGBA over a luma row.
#[inline]
pub(super) fn blend_luma_row(src: &[u8], dst: &mut [u8], op: u32) {
    for (s, d) in src.chunks_exact(4).zip(dst.iter_mut()) {
        let [r, g, b, a] = [s[0], s[1], s[2], s[3]].map(|c| div255(c as u32 * op) as i32);
        let (yc, _, _) = premultiplied_yuv(r, g, b, a);
        *d = clamp_u8(yc + div255(*d as u32 * (255 - a as u32)) as i32);
    }
}

/// Chroma of 2x2 blocks wholly under the source, from block `from` on:
/// the tail of `avx2::chroma_blocks`. `top` and `bottom` hold the blocks'
/// two rows of pixels, `u` and `v` their samples, blended in place.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn chroma_blocks_from(
    top: &[u8],
    bottom: &[u8],
    op: u32,
    u: &mut [u8],
    v: &mut [u8],
    from: usize,
) {
    for i in from..u.len() {
        let sum = |c: usize| {
            [&top[8 * i..8 * i + 8], &bottom[8 * i..8 * i + 8]]
                .iter()
                .map(|row| div255(row[c] as u32 * op) + div255(row[4 + c] as u32 * op))
                .sum::<u32>()
        };
        let [r, g, b, a] = [0, 1, 2, 3].map(|c| ((sum(c) + 2) >> 2) as i32);
        let (_, uc, vc) = premultiplied_yuv(r, g, b, a);
        let keep = 255 - a as u32;
        u[i] = clamp_u8(uc + div255(u[i] as u32 * keep) as i32);
        v[i] = clamp_u8(vc + div255(v[i] as u32 * keep) as i32);
    }
}

/// `acc[i] += src[i] * op / 255` for every byte of a row of pixels
/// (at full opacity, the common case, a plain sum).
#[inline(always)]
pub(super) fn accumulate_premultiplied(src: &[u8], op: u32, acc: &mut [u32]) {
    if op == 255 {
        for (a, &s) in acc.iter_mut().zip(src) {
            *a += s as u32;
        }
    } else {
        for (a, &s) in acc.iter_mut().zip(src) {
            *a += div255(s as u32 * op);
        }
    }
}

/// Each chroma sample over its block's average premultiplied colour, the
/// block sums in `acc` divided by `1 << shift`.
#[inline(always)]
pub(super) fn chroma_over_shift(acc: &[u32], shift: u32, u: &mut [u8], v: &mut [u8]) {
    let round = (1u32 << shift) >> 1;
    for ((pair, cu), cv) in acc.chunks_exact(8).zip(u.iter_mut()).zip(v.iter_mut()) {
        let avg = |c: usize| ((pair[c] + pair[4 + c] + round) >> shift) as i32;
        let (r, g, b, a) = (avg(0), avg(1), avg(2), avg(3));
        let (_, uc, vc) = premultiplied_yuv(r, g, b, a);
        let keep = 255 - a as u32;
        *cu = clamp_u8(uc + div255(*cu as u32 * keep) as i32);
        *cv = clamp_u8(vc + div255(*cv as u32 * keep) as i32);
    }
}
