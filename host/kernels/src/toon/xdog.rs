//! XDoG lines: the steps of [`super::draw_lines`], written once as
//! `#[inline(always)]` loops that the compiler vectorises; `avx2.rs`
//! compiles them again for AVX2. Floats are only added, subtracted,
//! multiplied and divided, element by element in the same order in both
//! (the compiler never reorders float arithmetic, nor fuses it without
//! FMA enabled), so both levels give the same bits.

use std::sync::OnceLock;

use super::{LineThreshold, Steps, Xdog};
use crate::color::rgb_to_y;
use crate::layout::{Format, ImageMut, LayoutError};

/// A factor of 1.0 (no darkening), in the fixed point factors are held in.
pub(crate) const ONE: u16 = 1 << FACTOR_BITS;
const FACTOR_BITS: u32 = 12;

/// The largest `sigma * k` taken, in frame pixels: the horizontal box
/// sums cost their width per pixel.
const MAX_OUTER_SIGMA: f32 = 128.0;

/// The baseline level's steps.
pub(crate) const BASELINE: Steps = Steps {
    half_row,
    response,
    blend_rows,
    full_factors,
    darken_luma,
    rgba_luma,
    darken_rgba,
};

/// Checked parameters: box radii at half size, tau and phi.
pub(crate) struct Params {
    inner: usize,
    outer: usize,
    tau: f32,
    phi: f32,
}

impl Params {
    pub(crate) fn new(x: &Xdog) -> Result<Params, LayoutError> {
        let bad = |what: &str| Err(LayoutError(format!("XDoG {what} ({x:?})")));
        if !(x.sigma.is_finite() && x.sigma > 0.0) {
            return bad("sigma must be a finite number above 0");
        }
        if !(x.k.is_finite() && x.k > 1.0) {
            return bad("k must be a finite number above 1");
        }
        if x.sigma * x.k > MAX_OUTER_SIGMA {
            return bad(&format!(
                "sigma * k must be at most {MAX_OUTER_SIGMA} pixels"
            ));
        }
        if !x.tau.is_finite() {
            return bad("tau must be a finite number");
        }
        if !(x.phi.is_finite() && x.phi > 0.0) {
            return bad("phi must be a finite number above 0");
        }
        // At least 2 half-size pixels: below that the box approximation
        // rounds the inner and outer blurs to the same box.
        let sigma = (x.sigma / 2.0).max(2.0);
        Ok(Params {
            inner: box_radius(sigma),
            outer: box_radius(sigma * x.k),
            tau: x.tau,
            phi: x.phi,
        })
    }
}

/// The radius of the box whose three passes have variance `sigma`^2
/// (Wells 1986), at least 1.
fn box_radius(sigma: f32) -> usize {
    (((4.0 * sigma * sigma + 1.0).sqrt() - 1.0) / 2.0)
        .round()
        .max(1.0) as usize
}

/// Half-size pixels per flag of "a line somewhere here" (a row's factors
/// are only upsampled where a flag of its or a neighbour's is up).
const CHUNK: usize = 32;

/// Everything after the parameters were checked.
pub(crate) fn draw_lines(
    steps: &Steps,
    img: &mut ImageMut<'_>,
    params: &Params,
    threshold: LineThreshold,
) -> f32 {
    let (w, h) = (img.layout.width, img.layout.height);
    if w == 0 || h == 0 {
        return match threshold {
            LineThreshold::Value(t) => t,
            LineThreshold::Density(_) => 0.0,
        };
    }
    let (hw, hh) = (w.div_ceil(2), h.div_ceil(2));
    let rgba = img.layout.format == Format::Rgba;

    // Half-size luma, 0..=1.
    let mut half = vec![0f32; hw * hh];
    let mut luma = if rgba { vec![0u8; 2 * w] } else { Vec::new() };
    for (hy, out) in half.chunks_exact_mut(hw).enumerate() {
        let (y0, y1) = (2 * hy, (2 * hy + 1).min(h - 1));
        let (top, bottom): (&[u8], &[u8]) = if rgba {
            let (a, b) = luma.split_at_mut(w);
            // SAFETY: `steps` was chosen for a `CpuLevel`, which only
            // run-time detection makes: its instruction set is present.
            unsafe {
                (steps.rgba_luma)(img.row(0, y0), a);
                (steps.rgba_luma)(img.row(0, y1), b);
            }
            (a, b)
        } else {
            (img.row(0, y0), img.row(0, y1))
        };
        // SAFETY: `steps` was chosen for a `CpuLevel`, which only
        // run-time detection makes: its instruction set is present.
        unsafe { (steps.half_row)(top, bottom, out) };
    }

    // The response, in place.
    // SAFETY: as above (every call through `steps` below too).
    unsafe { (steps.response)(&mut half, hw, hh, params.inner, params.outer, params.tau) };
    let response = half;
    let threshold = match threshold {
        LineThreshold::Value(t) => t,
        LineThreshold::Density(d) => quantile(&response, d),
    };

    // Half-size factors, and which chunks of each row have a line.
    let chunks = hw.div_ceil(CHUNK);
    let mut factors = vec![ONE; hw * hh];
    let mut flags = vec![false; chunks * hh];
    for ((r, f), flags) in response
        .chunks_exact(hw)
        .zip(factors.chunks_exact_mut(hw))
        .zip(flags.chunks_exact_mut(chunks))
    {
        for ((r, f), flag) in r.chunks(CHUNK).zip(f.chunks_mut(CHUNK)).zip(flags) {
            *flag = factor_chunk(r, f, threshold, params.phi);
        }
    }
    drop(response);

    // Full size: row y takes half rows y / 2 (weight 3/4) and its
    // neighbour on y's side (1/4), edges repeated; then each pixel its
    // column's and its neighbour's on its side, as much.
    let (mut blend, mut full) = (vec![0u16; hw + 2], vec![0u16; w]);
    let mut wanted = vec![false; chunks];
    for y in 0..h {
        let j = y / 2;
        let n = if y % 2 == 0 {
            j.saturating_sub(1)
        } else {
            (j + 1).min(hh - 1)
        };
        // A chunk is wanted if it or a chunk beside it, in either row,
        // has a line.
        let (fj, fn_) = (
            &flags[j * chunks..][..chunks],
            &flags[n * chunks..][..chunks],
        );
        let mut any = false;
        for (c, want) in wanted.iter_mut().enumerate() {
            let near = c.saturating_sub(1)..(c + 2).min(chunks);
            *want = fj[near.clone()].iter().chain(&fn_[near]).any(|&f| f);
            any |= *want;
        }
        if !any {
            continue;
        }
        let (a, b) = (&factors[j * hw..][..hw], &factors[n * hw..][..hw]);
        // SAFETY: as above.
        unsafe { (steps.blend_rows)(a, b, &mut blend) };
        let row = img.row_mut(0, y);
        let mut c = 0;
        while c < chunks {
            if !wanted[c] {
                c += 1;
                continue;
            }
            let start = c;
            while c < chunks && wanted[c] {
                c += 1;
            }
            // Half pixels [i0, i1), full pixels [2 i0, min(2 i1, w)).
            let (i0, i1) = (start * CHUNK, (c * CHUNK).min(hw));
            let (x0, x1) = (2 * i0, (2 * i1).min(w));
            let full = &mut full[x0..x1];
            // SAFETY: as above.
            unsafe {
                (steps.full_factors)(&blend[i0..i1 + 2], full);
                if rgba {
                    (steps.darken_rgba)(&mut row[4 * x0..4 * x1], full);
                } else {
                    (steps.darken_luma)(&mut row[x0..x1], full);
                }
            }
        }
    }
    threshold
}

/// The luma (as `convert`) of an RGBA row.
#[inline(always)]
pub(crate) fn rgba_luma(row: &[u8], out: &mut [u8]) {
    for (px, y) in row.chunks_exact(4).zip(out) {
        *y = rgb_to_y(px[0] as i32, px[1] as i32, px[2] as i32);
    }
}

/// The value at `density` of the response sorted (as `select_nth`
/// would find it), at most 0: only negative values can be it, so only
/// they are sorted.
fn quantile(response: &[f32], density: f32) -> f32 {
    let i = ((density * response.len() as f32) as usize).min(response.len() - 1);
    let mut below: Vec<f32> = response.iter().copied().filter(|&r| r < 0.0).collect();
    if i >= below.len() {
        return 0.0;
    }
    *below.select_nth_unstable_by(i, f32::total_cmp).1
}

/// `1 - tanh(x)` for x = phi (threshold - r) >= 0, every 1/`TANH_STEPS`
/// up to `TANH_RANGE` (beyond, 0 in the fixed point), nearest entry:
/// within 1/2048 + rounding of the exact factor.
const TANH_STEPS: f32 = 1024.0;
const TANH_RANGE: usize = 16;

fn tanh_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=TANH_RANGE * TANH_STEPS as usize)
            .map(|i| {
                let x = i as f64 / TANH_STEPS as f64;
                ((1.0 - x.tanh()) * ONE as f64).round() as u16
            })
            .collect()
    })
}

/// One chunk of a half-size row's factors: XDoG's soft step `1 +
/// tanh(phi (r - threshold))` where r is below the threshold, else 1.
/// Whether any is below 1.
#[inline]
fn factor_chunk(response: &[f32], out: &mut [u16], threshold: f32, phi: f32) -> bool {
    // Most chunks have no line: one (vectorised) look first.
    if !response.iter().fold(false, |any, &r| any | (r < threshold)) {
        return false;
    }
    let table = tanh_table();
    let last = table.len() - 1;
    for (&r, f) in response.iter().zip(out) {
        if r < threshold {
            let x = phi * (threshold - r) * TANH_STEPS + 0.5;
            // `as` saturates: a huge x takes the last entry.
            *f = table[(x as usize).min(last)];
        }
    }
    true
}

/// Two luma rows' 2x2 means, 0..=1 (`bottom` is `top` again on an odd
/// height's last row; an odd width's last column repeats).
#[inline(always)]
pub(crate) fn half_row(top: &[u8], bottom: &[u8], out: &mut [f32]) {
    let pairs = top.len() / 2;
    let sum = |a: u8, b: u8, c: u8, d: u8| (a as u32 + b as u32 + c as u32 + d as u32) as f32;
    for ((t, b), o) in top
        .chunks_exact(2)
        .zip(bottom.chunks_exact(2))
        .zip(out.iter_mut())
    {
        *o = sum(t[0], t[1], b[0], b[1]) / 1020.0;
    }
    if top.len() % 2 == 1 {
        let x = top.len() - 1;
        out[pairs] = sum(top[x], top[x], bottom[x], bottom[x]) / 1020.0;
    }
}

/// The XDoG response of a half-size luma plane (`w` x `h`), in place:
/// each row is blurred along (three box passes) as it comes, then goes
/// down two cascades of three running-sum column blurs (the inner and
/// the outer Gaussian) that hold only the rows they still need, so the
/// work stays in cache; a row of the response is written as soon as the
/// slower, outer, cascade gives it (its input row was read by then).
#[inline(always)]
pub(crate) fn response(
    plane: &mut [f32],
    w: usize,
    h: usize,
    inner: usize,
    outer: usize,
    tau: f32,
) {
    let (mut a, mut b) = (Cascade::new(w, h, inner), Cascade::new(w, h, outer));
    for y in 0..h {
        let row = &plane[y * w..][..w];
        a.push(row);
        b.push(row);
        // Inner rows come no later than outer ones (its radius is not
        // larger): each is in place when its outer row takes tau of it.
        while let Some((y, row)) = a.pull() {
            plane[y * w..][..w].copy_from_slice(row);
        }
        while let Some((y, row)) = b.pull() {
            for (i, o) in plane[y * w..][..w].iter_mut().zip(row) {
                *i -= tau * o;
            }
        }
    }
}

/// One Gaussian as rows go through it: three box passes along each row
/// (two padded rows, ping-pong), three [`Columns`] stages down.
struct Cascade {
    r: usize,
    norm: f32,
    pads: [Vec<f32>; 2],
    stages: [Columns; 3],
    out: Vec<f32>,
}

impl Cascade {
    #[inline(always)]
    fn new(w: usize, h: usize, r: usize) -> Cascade {
        let norm = 1.0 / (2 * r + 1) as f32;
        let stage = || Columns {
            r,
            w,
            h,
            norm,
            ring: vec![0.0; (2 * r + 2) * w],
            sums: vec![0.0; w],
            have: 0,
            next: 0,
        };
        Cascade {
            r,
            norm,
            pads: [vec![0.0; w + 2 * r], vec![0.0; w + 2 * r]],
            stages: [stage(), stage(), stage()],
            out: vec![0.0; w],
        }
    }

    /// The next half-size row, blurred along into the first stage.
    #[inline(always)]
    fn push(&mut self, row: &[f32]) {
        let (r, w) = (self.r, row.len());
        let [p, q] = &mut self.pads;
        p[r..r + w].copy_from_slice(row);
        pad_edges(p, r, w);
        box_taps(p, &mut q[r..r + w], r, self.norm);
        pad_edges(q, r, w);
        box_taps(q, &mut p[r..r + w], r, self.norm);
        pad_edges(p, r, w);
        box_taps(p, self.stages[0].slot(), r, self.norm);
        self.stages[0].have += 1;
    }

    /// Moves rows down the stages as far as they go; the next finished
    /// row (and its number) if there is one.
    #[inline(always)]
    fn pull(&mut self) -> Option<(usize, &[f32])> {
        loop {
            let [s0, s1, s2] = &mut self.stages;
            if s2.ready() {
                let y = s2.next;
                s2.emit(&mut self.out);
                return Some((y, &self.out));
            }
            if s1.ready() {
                s1.emit(s2.slot());
                s2.have += 1;
            } else if s0.ready() {
                s0.emit(s1.slot());
                s1.have += 1;
            } else {
                return None;
            }
        }
    }
}

/// A running-sum box blur down columns, a row in and a row out at a
/// time: a ring holds the last 2r + 2 rows in (all a row out needs,
/// edges repeated: the first and last rows stand for those beyond).
struct Columns {
    r: usize,
    w: usize,
    h: usize,
    norm: f32,
    ring: Vec<f32>,
    sums: Vec<f32>,
    /// Rows in so far, and the next row out.
    have: usize,
    next: usize,
}

impl Columns {
    /// Where the next row in goes (then `have += 1`). Rows leave in
    /// order as soon as they can (callers drain a stage before feeding
    /// it), so the slot's old row is no longer needed.
    #[inline(always)]
    fn slot(&mut self) -> &mut [f32] {
        let i = self.have % (2 * self.r + 2);
        &mut self.ring[i * self.w..][..self.w]
    }

    /// Row `y` in, `y` clamped to the picture.
    #[inline(always)]
    fn row(&self, y: isize) -> &[f32] {
        let y = y.clamp(0, self.h as isize - 1) as usize;
        &self.ring[(y % (2 * self.r + 2)) * self.w..][..self.w]
    }

    /// Whether the next row out has every row in it needs.
    #[inline(always)]
    fn ready(&self) -> bool {
        self.next < self.h && self.have > (self.next + self.r).min(self.h - 1)
    }

    /// The next row out: the mean of the 2r + 1 rows in around it (a
    /// running sum: one row added, one taken off per row).
    #[inline(always)]
    fn emit(&mut self, out: &mut [f32]) {
        let (y, r) = (self.next as isize, self.r as isize);
        let mut sums = std::mem::take(&mut self.sums);
        if y == 0 {
            sums.fill(0.0);
            for d in -r..=r {
                for (s, v) in sums.iter_mut().zip(self.row(d)) {
                    *s += v;
                }
            }
        } else {
            let (add, sub) = (self.row(y + r), self.row(y - 1 - r));
            for ((s, a), b) in sums.iter_mut().zip(add).zip(sub) {
                *s += a - b;
            }
        }
        for (o, s) in out.iter_mut().zip(&sums) {
            *o = s * self.norm;
        }
        self.sums = sums;
        self.next += 1;
    }
}

/// The `r` values either side of a padded row of `w`: its edge values.
#[inline(always)]
fn pad_edges(padded: &mut [f32], r: usize, w: usize) {
    let (first, last) = (padded[r], padded[r + w - 1]);
    padded[..r].fill(first);
    padded[r + w..].fill(last);
}

/// One box blur along a padded row into `dst`: each value the mean of
/// the 2r + 1 around it, summed left to right. Radii up to 8 have their
/// taps unrolled, so the compiler vectorises across outputs (the same
/// additions in the same order); wider ones add a shifted copy per tap.
#[inline(always)]
fn box_taps(padded: &[f32], dst: &mut [f32], r: usize, norm: f32) {
    match r {
        1 => taps::<3>(padded, dst, norm),
        2 => taps::<5>(padded, dst, norm),
        3 => taps::<7>(padded, dst, norm),
        4 => taps::<9>(padded, dst, norm),
        5 => taps::<11>(padded, dst, norm),
        6 => taps::<13>(padded, dst, norm),
        7 => taps::<15>(padded, dst, norm),
        8 => taps::<17>(padded, dst, norm),
        _ => {
            let w = dst.len();
            dst.copy_from_slice(&padded[..w]);
            for k in 1..=2 * r {
                for (o, p) in dst.iter_mut().zip(&padded[k..k + w]) {
                    *o += p;
                }
            }
            for o in dst.iter_mut() {
                *o *= norm;
            }
        }
    }
}

#[inline(always)]
fn taps<const N: usize>(padded: &[f32], dst: &mut [f32], norm: f32) {
    for (win, o) in padded.windows(N).zip(dst.iter_mut()) {
        let mut sum = win[0];
        for v in &win[1..N] {
            sum += v;
        }
        *o = sum * norm;
    }
}

/// Half rows `a` (weight 3/4) and `b` (1/4) of factors, blended into
/// `out` (in quarters: at most 4 * `ONE`), its ends repeated:
/// `out[i + 1]` is column i, `out[0]` and `out[a.len() + 1]` the edges.
#[inline(always)]
pub(crate) fn blend_rows(a: &[u16], b: &[u16], out: &mut [u16]) {
    let hw = a.len();
    for ((o, &a), &b) in out[1..=hw].iter_mut().zip(a).zip(b) {
        *o = 3 * a + b;
    }
    (out[0], out[hw + 1]) = (out[1], out[hw]);
}

/// Full-size factors (Q12) from blended columns (see [`blend_rows`]:
/// pixel pair i takes `blend[i..i + 3]`): each pixel 3/4 of its column
/// and 1/4 of the neighbour on its side. Exact: the weights are
/// sixteenths.
#[inline(always)]
pub(crate) fn full_factors(blend: &[u16], out: &mut [u16]) {
    let pairs = out.len() / 2;
    let (l, c, r) = (&blend[..pairs], &blend[1..=pairs], &blend[2..pairs + 2]);
    for (((o, &l), &c), &r) in out.chunks_exact_mut(2).zip(l).zip(c).zip(r) {
        let c = 3 * c as u32 + 8;
        o[0] = ((c + l as u32) >> 4) as u16;
        o[1] = ((c + r as u32) >> 4) as u16;
    }
    if out.len() % 2 == 1 {
        let c = 3 * blend[pairs + 1] as u32 + 8;
        out[2 * pairs] = ((c + blend[pairs] as u32) >> 4) as u16;
    }
}

/// Luma darkened towards 16 by its factors (Q12); codes at or below 16
/// are left, and a factor of one gives the code back (no branches: the
/// compiler vectorises it).
#[inline(always)]
pub(crate) fn darken_luma(row: &mut [u8], factors: &[u16]) {
    for (px, &f) in row.iter_mut().zip(factors) {
        let y = *px as u32;
        let above = y.saturating_sub(16);
        *px = (y - above + ((above * f as u32 + (1 << (FACTOR_BITS - 1))) >> FACTOR_BITS)) as u8;
    }
}

/// RGBA pixels darkened towards black by their factors (as
/// [`darken_luma`]), alpha kept.
#[inline(always)]
pub(crate) fn darken_rgba(row: &mut [u8], factors: &[u16]) {
    for (px, &f) in row.chunks_exact_mut(4).zip(factors) {
        for c in &mut px[..3] {
            *c = ((*c as u32 * f as u32 + (1 << (FACTOR_BITS - 1))) >> FACTOR_BITS) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three box blurs along rows then three down columns, whole planes,
    /// clamped edges, in f64: what the streamed cascades stand for.
    fn gaussian(src: &[f32], w: usize, h: usize, r: usize) -> Vec<f64> {
        let mut a: Vec<f64> = src.iter().map(|&v| v as f64).collect();
        let n = (2 * r + 1) as f64;
        let ri = r as isize;
        for pass in 0..6 {
            let along = pass < 3;
            let mut b = vec![0.0; w * h];
            for y in 0..h {
                for x in 0..w {
                    let at = |d: isize| {
                        if along {
                            let x = (x as isize + d).clamp(0, w as isize - 1) as usize;
                            a[y * w + x]
                        } else {
                            let y = (y as isize + d).clamp(0, h as isize - 1) as usize;
                            a[y * w + x]
                        }
                    };
                    b[y * w + x] = (-ri..=ri).map(at).sum::<f64>() / n;
                }
            }
            a = b;
        }
        a
    }

    #[test]
    fn streamed_response_matches_whole_plane_blurs() {
        let mut seed = 1u32;
        for (w, h) in [(1, 1), (5, 1), (1, 7), (7, 3), (40, 23), (17, 30)] {
            for (ri, ro) in [(1, 2), (2, 2), (2, 3), (3, 5), (9, 12)] {
                let plane: Vec<f32> = (0..w * h)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        (seed >> 8) as f32 / (1 << 24) as f32
                    })
                    .collect();
                let (a, b) = (gaussian(&plane, w, h, ri), gaussian(&plane, w, h, ro));
                let mut got = plane.clone();
                response(&mut got, w, h, ri, ro, 0.98);
                for i in 0..w * h {
                    let want = a[i] - 0.98 * b[i];
                    assert!(
                        (got[i] as f64 - want).abs() < 1e-5,
                        "{w}x{h} radii {ri}, {ro}: pixel {i} {} against {want}",
                        got[i]
                    );
                }
            }
        }
    }

    #[test]
    fn box_radii_follow_sigma() {
        // sigma 2 (the least at half size) and 3.2 (k = 1.6): boxes of 5
        // and 7, whose three passes have variances 4 * 3 * (r^2 + r) / 3.
        assert_eq!(box_radius(2.0), 2);
        assert_eq!(box_radius(3.2), 3);
        assert_eq!(box_radius(0.1), 1);
    }

    #[test]
    fn tanh_table_is_the_soft_step() {
        let table = tanh_table();
        for x in [0.0f32, 0.3, 1.0, 2.5, 7.0] {
            let i = (x * TANH_STEPS + 0.5) as usize;
            let want = (1.0 - (x as f64).tanh()) * ONE as f64;
            assert!((table[i] as f64 - want).abs() <= 1.5, "{x}");
        }
        assert_eq!(table[0], ONE);
        assert_eq!(*table.last().unwrap(), 0);
    }
}
