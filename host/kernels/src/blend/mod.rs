//! Premultiplied-alpha "over": an RGBA picture onto an RGBA, I420 or NV12
//! one at a position, scaled by a global opacity.
//!
//! This file holds the API, the row plumbing and the choice of row kernels
//! (`Rows`, once per call). `reference.rs` is the pixel-at-a-time
//! reference and the plain scalar rows (the baseline level); `sse41.rs`
//! and `avx2.rs` hold the hand-written RGBA and luma rows and the chroma
//! rows compiled for their instruction set. Only AVX2 has the fused 2x2
//! chroma-block kernel.

use std::ops::Range;

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, Image, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;

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
    let rows = Rows::new(level);
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
    let sy = (ys.start as i64 - y as i64) as usize;
    let live = Live::measure(&src, (sx, sy), xs.len(), ys.len());
    let mut runs = Vec::new();
    for dy in ys.clone() {
        live.runs(&[dy - ys.start], &xs, &mut runs);
        for run in &runs {
            let from = sx + (run.start - xs.start);
            let srow = &src.row(0, sy + (dy - ys.start))[4 * from..4 * (from + run.len())];
            match dst.layout.format {
                Format::Rgba => rows.rgba(
                    srow,
                    &mut dst.row_mut(0, dy)[4 * run.start..4 * run.end],
                    op,
                ),
                _ => rows.luma(srow, &mut dst.row_mut(0, dy)[run.clone()], op),
            }
        }
    }
    if dst.layout.format != Format::Rgba {
        blend_chroma_rows(&rows, dst, src, (x as i64, y as i64), op, (&xs, &ys), &live);
    }
    Ok(())
}

/// Which stretches of the source hold anything to blend. A pixel whose
/// four bytes are all zero (wholly transparent, premultiplied) leaves the
/// picture exactly as it was, so spans of them are skipped: most of a
/// keyed presenter's frame is screen. Measured in chunks of `CHUNK`
/// source pixels from the overlap's left edge.
struct Live {
    /// Per overlap row, per chunk: whether any of its bytes is not zero.
    chunks: Vec<bool>,
    per_row: usize,
}

const CHUNK: usize = 16;

impl Live {
    /// The overlap's rows: `rows` source rows from `sy`, `width` pixels
    /// from `sx`.
    fn measure(src: &Image<'_>, (sx, sy): (usize, usize), width: usize, rows: usize) -> Live {
        let per_row = width.div_ceil(CHUNK);
        let mut chunks = Vec::with_capacity(per_row * rows);
        for row in 0..rows {
            let pixels = &src.row(0, sy + row)[4 * sx..4 * (sx + width)];
            // An OR over each chunk's bytes (no early exit, so it vectorises).
            chunks.extend(
                pixels
                    .chunks(4 * CHUNK)
                    .map(|c| c.iter().fold(0u8, |a, b| a | b) != 0),
            );
        }
        Live { chunks, per_row }
    }

    /// The runs of live chunks in any of the overlap rows `rows`, as dst
    /// columns within `xs`, their ends moved out to even columns so that
    /// each chroma block lies wholly inside a run or outside all of them.
    fn runs(&self, rows: &[usize], xs: &Range<usize>, runs: &mut Vec<Range<usize>>) {
        runs.clear();
        let live = |k: usize| rows.iter().any(|r| self.chunks[r * self.per_row + k]);
        let mut k = 0;
        while k < self.per_row {
            if !live(k) {
                k += 1;
                continue;
            }
            let first = k;
            while k < self.per_row && live(k) {
                k += 1;
            }
            let start = (xs.start + first * CHUNK) & !1;
            let end = (xs.start + k * CHUNK).div_ceil(2) * 2;
            runs.push(start.max(xs.start)..end.min(xs.end));
        }
    }
}

/// The fused chroma kernel: 2x2 blocks wholly under the source.
type BlocksFn = unsafe fn(&[u8], &[u8], u32, &mut [u8], &mut [u8]);

/// The row kernels of one instruction-set level, chosen once per call.
///
/// Only `Rows::new` makes one, from a [`CpuLevel`], which only run-time
/// detection makes: so the instruction set each pointer was compiled for
/// is present on this CPU. That is what makes calling them sound (a
/// `#[target_feature]` function only coerces to an `unsafe fn` pointer).
struct Rows {
    rgba: unsafe fn(&[u8], &mut [u8], u32),
    luma: unsafe fn(&[u8], &mut [u8], u32),
    accumulate: unsafe fn(&[u8], u32, &mut [u32]),
    chroma_over: unsafe fn(&[u32], u32, &mut [u8], &mut [u8]),
    /// AVX2 only.
    blocks: Option<BlocksFn>,
}

impl Rows {
    fn new(level: CpuLevel) -> Rows {
        match level.isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Rows {
                rgba: avx2::blend_rgba_row,
                luma: avx2::blend_luma_row,
                accumulate: avx2::accumulate_premultiplied,
                chroma_over: avx2::chroma_over_shift,
                blocks: Some(avx2::chroma_blocks_row),
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => Rows {
                rgba: sse41::blend_rgba_row,
                luma: sse41::blend_luma_row,
                accumulate: sse41::accumulate_premultiplied,
                chroma_over: sse41::chroma_over_shift,
                blocks: None,
            },
            _ => Rows {
                rgba: reference::blend_rgba_row,
                luma: reference::blend_luma_row,
                accumulate: reference::accumulate_premultiplied,
                chroma_over: reference::chroma_over_shift,
                blocks: None,
            },
        }
    }

    /// Premultiplied RGBA over an RGBA row.
    fn rgba(&self, src: &[u8], dst: &mut [u8], op: u32) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.rgba)(src, dst, op) }
    }

    /// Premultiplied RGBA over a luma row.
    fn luma(&self, src: &[u8], dst: &mut [u8], op: u32) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.luma)(src, dst, op) }
    }

    /// `acc[i] += src[i] * op / 255` for every byte of a row of pixels.
    fn accumulate(&self, src: &[u8], op: u32, acc: &mut [u32]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.accumulate)(src, op, acc) }
    }

    /// Each chroma sample over its block's average (a sum shifted by `shift`).
    fn chroma_over(&self, acc: &[u32], shift: u32, u: &mut [u8], v: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.chroma_over)(acc, shift, u, v) }
    }
}

/// Chroma of a YUV destination, row by row. Where both luma rows under a
/// chroma row are covered, the blocks whose two columns are covered too
/// go through a fused kernel (AVX2); the rest, and every row on other
/// levels, through the accumulator path. Both give exactly what the
/// reference's `blend_chroma` gives.
fn blend_chroma_rows(
    rows: &Rows,
    dst: &mut ImageMut<'_>,
    src: Image<'_>,
    at: (i64, i64),
    op: u32,
    (xs, ys): (&Range<usize>, &Range<usize>),
    live: &Live,
) {
    let mut scratch = ChromaScratch::default();
    let mut runs = Vec::new();
    for cy in ys.start / 2..ys.end.div_ceil(2) {
        let both_rows = ys.contains(&(2 * cy)) && ys.contains(&(2 * cy + 1));
        let (mut under, mut n) = ([0; 2], 0);
        for r in [2 * cy, 2 * cy + 1].into_iter().filter(|r| ys.contains(r)) {
            (under[n], n) = (r - ys.start, n + 1);
        }
        live.runs(&under[..n], xs, &mut runs);
        for xs in &runs {
            // Chroma columns whose whole 2x2 block lies under the source.
            let inner = xs.start.div_ceil(2)..(xs.end / 2).max(xs.start.div_ceil(2));
            match rows.blocks {
                Some(blocks) if both_rows && !inner.is_empty() => {
                    let left = xs.start..2 * inner.start;
                    let right = 2 * inner.end..xs.end;
                    chroma_row(rows, dst, &src, at, op, &left, ys, cy, &mut scratch);
                    chroma_blocks(blocks, dst, &src, at, op, &inner, cy, &mut scratch);
                    chroma_row(rows, dst, &src, at, op, &right, ys, cy, &mut scratch);
                }
                _ => chroma_row(rows, dst, &src, at, op, xs, ys, cy, &mut scratch),
            }
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
    rows: &Rows,
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
    let luma_rows = [2 * cy, 2 * cy + 1].into_iter().filter(|r| *r < dh);
    let mut row_count = 0;
    for py in luma_rows {
        row_count += 1;
        if ys.contains(&py) {
            let sx = (xs.start as i64 - x) as usize;
            let srow = &src.row(0, (py as i64 - y) as usize)[4 * sx..4 * (sx + xs.len())];
            let from = 4 * (xs.start - first_px);
            rows.accumulate(srow, op, &mut scratch.acc[from..from + srow.len()]);
        }
    }
    scratch.load_uv(dst, cy, &cxs);
    // Blocks at the right edge of an odd-width picture hold one column.
    let full_cols = (dw / 2).saturating_sub(cxs.start).min(cxs.len());
    let ChromaScratch { acc, u, v } = scratch;
    chroma_over(rows, acc, row_count, full_cols, u, v);
    scratch.store_uv(dst, cy, &cxs);
}

/// Chroma row `cy`, columns `cxs`, every block of which lies wholly under
/// the source: its two luma rows and two columns averaged at once.
#[allow(clippy::too_many_arguments)]
fn chroma_blocks(
    blocks: BlocksFn,
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
    // SAFETY: `blocks` comes from a `Rows`, made by `Rows::new` from a
    // detected level: its instruction set (AVX2) is present.
    unsafe { blocks(top, bottom, op, &mut scratch.u, &mut scratch.v) };
    scratch.store_uv(dst, cy, cxs);
}

/// Each chroma sample over its block's average premultiplied colour:
/// `acc` holds per-pixel sums (4 channels) of `row_count` luma rows; the first
/// `full_cols` blocks have two columns, the rest (at the right edge of an
/// odd-width picture) one. Split so that each loop divides by one constant
/// shift (n = rows x columns is 1, 2 or 4), which the compiler vectorises.
fn chroma_over(
    rows: &Rows,
    acc: &[u32],
    row_count: u32,
    full_cols: usize,
    u: &mut [u8],
    v: &mut [u8],
) {
    let (u_full, u_edge) = u.split_at_mut(full_cols);
    let (v_full, v_edge) = v.split_at_mut(full_cols);
    rows.chroma_over(&acc[..8 * full_cols], row_count, u_full, v_full);
    rows.chroma_over(&acc[8 * full_cols..], row_count - 1, u_edge, v_edge);
}
