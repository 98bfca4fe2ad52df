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
    gaussian,
    response,
    upsample,
    darken_luma,
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

/// Buffers a Gaussian reuses: a plane, a padded row and a row.
#[derive(Default)]
pub(crate) struct Scratch {
    plane: Vec<f32>,
    padded: Vec<f32>,
    sums: Vec<f32>,
}

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
    let mut inner = vec![0f32; hw * hh];
    let mut luma = if rgba { vec![0u8; 2 * w] } else { Vec::new() };
    for (hy, out) in inner.chunks_exact_mut(hw).enumerate() {
        let (y0, y1) = (2 * hy, (2 * hy + 1).min(h - 1));
        let (top, bottom): (&[u8], &[u8]) = if rgba {
            let (a, b) = luma.split_at_mut(w);
            rgba_luma(img.row(0, y0), a);
            rgba_luma(img.row(0, y1), b);
            (a, b)
        } else {
            (img.row(0, y0), img.row(0, y1))
        };
        // SAFETY: `steps` was chosen for a `CpuLevel`, which only
        // run-time detection makes: its instruction set is present.
        unsafe { (steps.half_row)(top, bottom, out) };
    }

    // The response, in `inner`.
    let mut outer = inner.clone();
    let mut scratch = Scratch::default();
    // SAFETY: as above (every call through `steps` below too).
    unsafe {
        (steps.gaussian)(&mut inner, hw, hh, params.inner, &mut scratch);
        (steps.gaussian)(&mut outer, hw, hh, params.outer, &mut scratch);
        (steps.response)(&mut inner, &outer, params.tau);
    }
    let response = inner;
    let threshold = match threshold {
        LineThreshold::Value(t) => t,
        LineThreshold::Density(d) => quantile(&response, d),
    };

    // Half-size factors, and which rows have any line.
    let mut factors = vec![ONE; hw * hh];
    let mut lined = vec![false; hh];
    for ((r, f), any) in response
        .chunks_exact(hw)
        .zip(factors.chunks_exact_mut(hw))
        .zip(&mut lined)
    {
        *any = factor_row(r, f, threshold, params.phi);
    }

    // Full size: row y takes half rows y / 2 (weight 3/4) and its
    // neighbour on y's side (1/4), edges repeated.
    let mut row_factors = vec![ONE; w];
    for y in 0..h {
        let j = y / 2;
        let n = if y % 2 == 0 {
            j.saturating_sub(1)
        } else {
            (j + 1).min(hh - 1)
        };
        if !lined[j] && !lined[n] {
            continue;
        }
        let (a, b) = (&factors[j * hw..][..hw], &factors[n * hw..][..hw]);
        unsafe {
            // SAFETY: as above.
            (steps.upsample)(a, b, &mut row_factors);
            if !rgba {
                (steps.darken_luma)(img.row_mut(0, y), &row_factors);
            }
        }
        if rgba {
            darken_rgba(img.row_mut(0, y), &row_factors);
        }
    }
    threshold
}

/// The luma (as `convert`) of an RGBA row.
fn rgba_luma(row: &[u8], out: &mut [u8]) {
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

/// One half-size row's factors: XDoG's soft step `1 + tanh(phi (r -
/// threshold))` where r is below the threshold, else 1. Whether any is
/// below 1.
#[inline]
fn factor_row(response: &[f32], out: &mut [u16], threshold: f32, phi: f32) -> bool {
    let table = tanh_table();
    let last = table.len() - 1;
    let mut any = false;
    for (&r, f) in response.iter().zip(out) {
        if r < threshold {
            let x = phi * (threshold - r) * TANH_STEPS + 0.5;
            // `as` saturates: a huge x takes the last entry.
            *f = table[(x as usize).min(last)];
            any = true;
        }
    }
    any
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

/// A Gaussian of a `w` x `h` plane in place: three box blurs of radius
/// `r` along rows, then three down columns; edges repeat.
#[inline(always)]
pub(crate) fn gaussian(plane: &mut [f32], w: usize, h: usize, r: usize, s: &mut Scratch) {
    let norm = 1.0 / (2 * r + 1) as f32;
    s.padded.resize(w + 2 * r, 0.0);
    s.sums.resize(w, 0.0);
    for row in plane.chunks_exact_mut(w) {
        for _ in 0..3 {
            box_row(row, r, norm, &mut s.padded);
        }
    }
    s.plane.resize(w * h, 0.0);
    box_columns(plane, &mut s.plane, w, h, r, norm, &mut s.sums);
    box_columns(&s.plane, plane, w, h, r, norm, &mut s.sums);
    box_columns(plane, &mut s.plane, w, h, r, norm, &mut s.sums);
    plane.copy_from_slice(&s.plane);
}

/// One box blur of a row, in place: each value the mean of the 2r + 1
/// around it, summed left to right.
#[inline(always)]
fn box_row(row: &mut [f32], r: usize, norm: f32, padded: &mut [f32]) {
    let w = row.len();
    padded[..r].fill(row[0]);
    padded[r..r + w].copy_from_slice(row);
    padded[r + w..].fill(row[w - 1]);
    row.copy_from_slice(&padded[..w]);
    // A pass over the row per tap: each adds a shifted copy (plain
    // vector adds; the row stays in L1).
    for k in 1..=2 * r {
        for (o, p) in row.iter_mut().zip(&padded[k..k + w]) {
            *o += p;
        }
    }
    for o in row.iter_mut() {
        *o *= norm;
    }
}

/// One box blur down the columns, `src` to `dst`: a running sum per
/// column, rows read in order.
#[inline(always)]
fn box_columns(
    src: &[f32],
    dst: &mut [f32],
    w: usize,
    h: usize,
    r: usize,
    norm: f32,
    sums: &mut [f32],
) {
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &src[y * w..][..w]
    };
    let r = r as isize;
    sums.fill(0.0);
    for y in -r..=r {
        for (s, v) in sums.iter_mut().zip(row(y)) {
            *s += v;
        }
    }
    for (y, out) in dst.chunks_exact_mut(w).enumerate() {
        for (o, s) in out.iter_mut().zip(sums.iter()) {
            *o = s * norm;
        }
        let (add, sub) = (row(y as isize + r + 1), row(y as isize - r));
        for ((s, a), b) in sums.iter_mut().zip(add).zip(sub) {
            *s += a - b;
        }
    }
}

/// `inner - tau * outer`, into `inner`.
#[inline(always)]
pub(crate) fn response(inner: &mut [f32], outer: &[f32], tau: f32) {
    for (i, o) in inner.iter_mut().zip(outer) {
        *i -= tau * o;
    }
}

/// A full-size row's factors from half rows `a` (weight 3/4) and `b`
/// (1/4): each pixel 3/4 of its own column and 1/4 of the neighbour on
/// its side (edges repeated). Exact: the weights are sixteenths.
#[inline(always)]
pub(crate) fn upsample(a: &[u16], b: &[u16], out: &mut [u16]) {
    let hw = a.len();
    let v = |i: usize| 3 * a[i] as u32 + b[i] as u32;
    let mix = |near: u32, far: u32| ((3 * near + far + 8) >> 4) as u16;
    let w = out.len();
    out[0] = mix(v(0), v(0));
    if w > 1 {
        out[1] = mix(v(0), v(1.min(hw - 1)));
    }
    // The middle: pixel pairs (2i, 2i + 1) for 1 <= i < w / 2 (and the
    // last odd pixel, 2i with i = hw - 1, when w is odd).
    let vs = |i: usize| 3 * a[i] as u32 + b[i] as u32;
    for i in 1..w / 2 {
        let (l, c) = (vs(i - 1), vs(i));
        let r = if i + 1 < hw { vs(i + 1) } else { c };
        out[2 * i] = mix(c, l);
        out[2 * i + 1] = mix(c, r);
    }
    if w % 2 == 1 && w > 1 {
        let i = hw - 1;
        out[2 * i] = mix(v(i), v(i - 1));
    }
}

/// A luma row darkened towards 16 by its factors (Q12); codes at or
/// below 16 are left. A factor of one gives the code back.
#[inline(always)]
pub(crate) fn darken_luma(row: &mut [u8], factors: &[u16]) {
    for (px, &f) in row.iter_mut().zip(factors) {
        let y = *px as u32;
        if y > 16 {
            *px = (16 + (((y - 16) * f as u32 + (1 << (FACTOR_BITS - 1))) >> FACTOR_BITS)) as u8;
        }
    }
}

/// An RGBA row darkened towards black by its factors, alpha kept.
fn darken_rgba(row: &mut [u8], factors: &[u16]) {
    for (px, &f) in row.chunks_exact_mut(4).zip(factors) {
        if f < ONE {
            for c in &mut px[..3] {
                *c = ((*c as u32 * f as u32 + (1 << (FACTOR_BITS - 1))) >> FACTOR_BITS) as u8;
            }
        }
    }
}
