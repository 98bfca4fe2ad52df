//! Premultiplied-alpha "over": an RGBA picture onto an RGBA, I420 or NV12
//! one at a position, scaled by a global opacity.

use std::ops::Range;

use crate::color::{clamp_u8, div255, premultiplied_yuv};
use crate::cpu::{CpuLevel, Isa, multiversion};
use crate::layout::{Format, Image, ImageMut, LayoutError};

/// The part of `dst` that `src` placed at (x, y) covers, as ranges in dst
/// coordinates; None when they do not meet.
pub(crate) fn overlap(
    dst: (usize, usize),
    src: (usize, usize),
    x: i64,
    y: i64,
) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let x0 = x.max(0);
    let y0 = y.max(0);
    let x1 = (x + src.0 as i64).min(dst.0 as i64);
    let y1 = (y + src.1 as i64).min(dst.1 as i64);
    (x0 < x1 && y0 < y1).then_some((x0 as usize..x1 as usize, y0 as usize..y1 as usize))
}

pub(crate) fn opacity_255(opacity: f32) -> u32 {
    (opacity.clamp(0.0, 1.0) * 255.0).round() as u32
}

/// Blends `src` (premultiplied RGBA) over `dst` at (x, y) with `opacity`.
pub fn blend(
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    x: i32,
    y: i32,
    opacity: f32,
) -> Result<(), LayoutError> {
    blend_with(CpuLevel::active(), dst, src, x, y, opacity)
}

pub fn blend_with(
    level: CpuLevel,
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    x: i32,
    y: i32,
    opacity: f32,
) -> Result<(), LayoutError> {
    if src.layout.format != Format::Rgba {
        return Err(LayoutError(format!(
            "blend source must be RGBA, got {}",
            src.layout.format
        )));
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
    let sx = (xs.start as i64 - x as i64) as usize;
    for dy in ys.clone() {
        let srow = &src.row(0, (dy as i64 - y as i64) as usize)[4 * sx..4 * (sx + xs.len())];
        match dst.layout.format {
            Format::Rgba => blend_rgba_row(
                level,
                srow,
                &mut dst.row_mut(0, dy)[4 * xs.start..4 * xs.end],
                op,
            ),
            _ => blend_luma_row(level, srow, &mut dst.row_mut(0, dy)[xs.clone()], op),
        }
    }
    if dst.layout.format != Format::Rgba {
        blend_chroma_rows(level, dst, src, (x as i64, y as i64), op, &xs, &ys);
    }
    Ok(())
}

/// Chroma of a YUV destination, row by row. Where both luma rows under a
/// chroma row are covered, the blocks whose two columns are covered too
/// go through a fused kernel (AVX2); the rest, and every row on other
/// levels, through the accumulator path. Both give exactly what the
/// reference's `blend_chroma` gives.
fn blend_chroma_rows(
    level: CpuLevel,
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    at: (i64, i64),
    op: u32,
    xs: &Range<usize>,
    ys: &Range<usize>,
) {
    let mut scratch = ChromaScratch::default();
    // Chroma columns whose whole 2x2 block lies under the source.
    let inner = xs.start.div_ceil(2)..(xs.end / 2).max(xs.start.div_ceil(2));
    for cy in ys.start / 2..ys.end.div_ceil(2) {
        let both_rows = ys.contains(&(2 * cy)) && ys.contains(&(2 * cy + 1));
        if both_rows && !inner.is_empty() && level.isa() == Isa::Avx2 {
            let left = xs.start..2 * inner.start;
            let right = 2 * inner.end..xs.end;
            chroma_row(level, dst, &src, at, op, &left, ys, cy, &mut scratch);
            chroma_blocks(dst, &src, at, op, &inner, cy, &mut scratch);
            chroma_row(level, dst, &src, at, op, &right, ys, cy, &mut scratch);
        } else {
            chroma_row(level, dst, &src, at, op, xs, ys, cy, &mut scratch);
        }
    }
}

/// Buffers reused from row to row.
#[derive(Default)]
struct ChromaScratch {
    acc: Vec<u32>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl ChromaScratch {
    /// The U and V samples of chroma row `cy`, columns `cxs`.
    fn load_uv(&mut self, dst: &ImageMut<'_>, cy: usize, cxs: &Range<usize>) {
        self.u.clear();
        self.v.clear();
        if dst.layout.format == Format::Nv12 {
            for pair in dst.row(1, cy)[2 * cxs.start..2 * cxs.end].chunks_exact(2) {
                self.u.push(pair[0]);
                self.v.push(pair[1]);
            }
        } else {
            self.u.extend_from_slice(&dst.row(1, cy)[cxs.clone()]);
            self.v.extend_from_slice(&dst.row(2, cy)[cxs.clone()]);
        }
    }

    fn store_uv(&self, dst: &mut ImageMut<'_>, cy: usize, cxs: &Range<usize>) {
        if dst.layout.format == Format::Nv12 {
            let uv = &mut dst.row_mut(1, cy)[2 * cxs.start..2 * cxs.end];
            for (i, pair) in uv.chunks_exact_mut(2).enumerate() {
                pair.copy_from_slice(&[self.u[i], self.v[i]]);
            }
        } else {
            dst.row_mut(1, cy)[cxs.clone()].copy_from_slice(&self.u);
            dst.row_mut(2, cy)[cxs.clone()].copy_from_slice(&self.v);
        }
    }
}

/// Chroma row `cy` under picture columns `xs`: the premultiplied colour
/// and coverage of the luma rows under it are summed into accumulators
/// (vectorised), then each chroma sample takes its block's average.
#[allow(clippy::too_many_arguments)]
fn chroma_row(
    level: CpuLevel,
    dst: &mut ImageMut<'_>,
    src: &Image<'_>,
    (x, y): (i64, i64),
    op: u32,
    xs: &Range<usize>,
    ys: &Range<usize>,
    cy: usize,
    scratch: &mut ChromaScratch,
) {
    if xs.is_empty() {
        return;
    }
    let (dw, dh) = (dst.layout.width, dst.layout.height);
    let cxs = xs.start / 2..xs.end.div_ceil(2);
    let first_px = 2 * cxs.start;
    scratch.acc.clear();
    scratch.acc.resize(4 * 2 * cxs.len(), 0);
    let rows = [2 * cy, 2 * cy + 1].into_iter().filter(|r| *r < dh);
    let mut row_count = 0;
    for py in rows {
        row_count += 1;
        if ys.contains(&py) {
            let sx = (xs.start as i64 - x) as usize;
            let srow = &src.row(0, (py as i64 - y) as usize)[4 * sx..4 * (sx + xs.len())];
            let from = 4 * (xs.start - first_px);
            accumulate_premultiplied(level, srow, op, &mut scratch.acc[from..from + srow.len()]);
        }
    }
    scratch.load_uv(dst, cy, &cxs);
    // Blocks at the right edge of an odd-width picture hold one column.
    let full_cols = (dw / 2).saturating_sub(cxs.start).min(cxs.len());
    let ChromaScratch { acc, u, v } = scratch;
    chroma_over(level, acc, row_count, full_cols, u, v);
    scratch.store_uv(dst, cy, &cxs);
}

/// Chroma row `cy`, columns `cxs`, every block of which lies wholly under
/// the source: its two luma rows and two columns averaged at once.
fn chroma_blocks(
    dst: &mut ImageMut<'_>,
    src: &Image<'_>,
    (x, y): (i64, i64),
    op: u32,
    cxs: &Range<usize>,
    cy: usize,
    scratch: &mut ChromaScratch,
) {
    let sx = (2 * cxs.start as i64 - x) as usize;
    let pixels = 4 * sx..4 * (sx + 2 * cxs.len());
    let top = &src.row(0, (2 * cy as i64 - y) as usize)[pixels.clone()];
    let bottom = &src.row(0, (2 * cy as i64 + 1 - y) as usize)[pixels];
    scratch.load_uv(dst, cy, cxs);
    let (u, v) = (&mut scratch.u, &mut scratch.v);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: only called at the AVX2 level, which run-time detection found.
    let done = unsafe { crate::x86::avx2::chroma_blocks(top, bottom, op, u, v) };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    for i in done..u.len() {
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
    scratch.store_uv(dst, cy, cxs);
}

multiversion! {
    /// `acc[i] += src[i] * op / 255` for every byte of a row of pixels
    /// (at full opacity, the common case, a plain sum).
    fn accumulate_premultiplied(src: &[u8], op: u32, acc: &mut [u32]) {
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
}

/// Each chroma sample over its block's average premultiplied colour:
/// `acc` holds per-pixel sums (4 channels) of `rows` luma rows; the first
/// `full_cols` blocks have two columns, the rest (at the right edge of an
/// odd-width picture) one. Split so that each loop divides by one constant
/// shift (n = rows x columns is 1, 2 or 4), which the compiler vectorises.
fn chroma_over(
    level: CpuLevel,
    acc: &[u32],
    rows: u32,
    full_cols: usize,
    u: &mut [u8],
    v: &mut [u8],
) {
    let (u_full, u_edge) = u.split_at_mut(full_cols);
    let (v_full, v_edge) = v.split_at_mut(full_cols);
    chroma_over_shift(level, &acc[..8 * full_cols], rows, u_full, v_full);
    chroma_over_shift(level, &acc[8 * full_cols..], rows - 1, u_edge, v_edge);
}

multiversion! {
    fn chroma_over_shift(acc: &[u32], shift: u32, u: &mut [u8], v: &mut [u8]) {
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
}

/// Premultiplied RGBA over RGBA, one row: SIMD bulk, plain-Rust tail.
fn blend_rgba_row(level: CpuLevel, src: &[u8], dst: &mut [u8], op: u32) {
    let done = match level.isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a `CpuLevel` comes only from run-time detection, so AVX2 is there.
        Isa::Avx2 => unsafe { crate::x86::avx2::blend_rgba(src, dst, op) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, SSE4.1 was detected.
        Isa::Sse41 => unsafe { crate::x86::sse41::blend_rgba(src, dst, op) },
        _ => 0,
    };
    {
        let (src, dst) = (&src[4 * done..], &mut dst[4 * done..]);
        for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
            let a = div255(s[3] as u32 * op);
            for c in 0..4 {
                let v = div255(s[c] as u32 * op) + div255(d[c] as u32 * (255 - a));
                d[c] = v.min(255) as u8;
            }
        }
    }
}

/// Premultiplied RGBA over a luma row: SIMD bulk, plain-Rust tail.
fn blend_luma_row(level: CpuLevel, src: &[u8], dst: &mut [u8], op: u32) {
    let done = match level.isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a `CpuLevel` comes only from run-time detection, so AVX2 is there.
        Isa::Avx2 => unsafe { crate::x86::avx2::blend_luma_madd(src, dst, op) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, SSE4.1 was detected.
        Isa::Sse41 => unsafe { crate::x86::sse41::blend_luma(src, dst, op) },
        _ => 0,
    };
    for (s, d) in src[4 * done..].chunks_exact(4).zip(dst[done..].iter_mut()) {
        let [r, g, b, a] = [s[0], s[1], s[2], s[3]].map(|c| div255(c as u32 * op) as i32);
        let (yc, _, _) = premultiplied_yuv(r, g, b, a);
        *d = clamp_u8(yc + div255(*d as u32 * (255 - a as u32)) as i32);
    }
}

/// Chroma of a YUV destination, sample by sample (the reference): each
/// sample takes the average premultiplied colour and coverage of the pixels
/// of its 2x2 block that lie in the picture (pixels the source does not
/// cover add nothing).
fn blend_chroma(
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    x: i64,
    y: i64,
    op: u32,
    xs: &std::ops::Range<usize>,
    ys: &std::ops::Range<usize>,
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

/// Pixel-at-a-time blend: the reference for the fast paths.
pub mod reference {
    use super::*;

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
}
