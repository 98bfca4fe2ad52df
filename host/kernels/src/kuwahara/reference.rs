//! The Kuwahara stages in plain Rust: loading the working image, the
//! structure tensor, the sector weight table, the generic row body (the
//! baseline level runs it as it is, `avx2.rs` with AVX2 enabled) and
//! storing the result.

use std::sync::OnceLock;

use crate::layout::{Format, ImageMut};

/// Y, U, V planes of the working size, each with `pad` replicated pixels
/// on every side so the kernel reads around a pixel without clamping.
pub(crate) struct Planes {
    pub w: usize,
    pub h: usize,
    pub pad: usize,
    pub stride: usize,
    pub ch: [Vec<f32>; 3],
}

impl Planes {
    fn new(w: usize, h: usize, pad: usize) -> Planes {
        let stride = w + 2 * pad;
        let len = stride * (h + 2 * pad);
        Planes {
            w,
            h,
            pad,
            stride,
            ch: [vec![0.0; len], vec![0.0; len], vec![0.0; len]],
        }
    }

    /// Index of pixel (0, y) of the picture (not the padding).
    #[inline(always)]
    pub fn start(&self, y: usize) -> usize {
        (y + self.pad) * self.stride + self.pad
    }

    fn row_mut(&mut self, c: usize, y: usize) -> &mut [f32] {
        let s = self.start(y);
        &mut self.ch[c][s..s + self.w]
    }

    /// Replicates the edge pixels into the padding.
    fn fill_padding(&mut self) {
        let (w, h, pad, stride) = (self.w, self.h, self.pad, self.stride);
        for plane in &mut self.ch {
            for y in pad..pad + h {
                let row = &mut plane[y * stride..][..stride];
                let (first, last) = (row[pad], row[pad + w - 1]);
                row[..pad].fill(first);
                row[pad + w..].fill(last);
            }
            let (top, bottom) = (pad * stride, (pad + h - 1) * stride);
            for y in 0..pad {
                plane.copy_within(top..top + stride, y * stride);
                plane.copy_within(bottom..bottom + stride, (pad + h + y) * stride);
            }
        }
    }
}

/// RGB to a luma and two colour differences, exactly inverted by
/// `yuv_to_rgb` up to float rounding (no scaling of U and V needed: only
/// luma's variance is used).
#[inline(always)]
fn rgb_to_yuv([r, g, b]: [f32; 3]) -> [f32; 3] {
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    [y, b - y, r - y]
}

#[inline(always)]
fn yuv_to_rgb([y, u, v]: [f32; 3]) -> [f32; 3] {
    let (r, b) = (v + y, u + y);
    [r, (y - 0.299 * r - 0.114 * b) * (1.0 / 0.587), b]
}

/// A float to a byte, rounded to nearest and clamped.
#[inline(always)]
fn to_u8(v: f32) -> u8 {
    // `as` saturates (negative to 0, NaN to 0); adding 0.5 then truncating
    // rounds the non-negative values (no libm `round` on the baseline).
    (v + 0.5).clamp(0.0, 255.0) as u8
}

/// The (U, V) bytes of chroma sample `cx` of chroma row `cy`.
#[inline(always)]
fn chroma(img: &ImageMut<'_>, cx: usize, cy: usize) -> (u8, u8) {
    match img.layout.format {
        Format::Nv12 => {
            let row = img.row(1, cy);
            (row[2 * cx], row[2 * cx + 1])
        }
        _ => (img.row(1, cy)[cx], img.row(2, cy)[cx]),
    }
}

/// The working image at 1/`scale` of the frame's size (1 or 2), padded by
/// `pad`: at 2 luma is averaged 2x2 (clamped at odd edges) and I420/NV12
/// chroma is taken as it is; at 1 chroma is repeated 2x2.
#[allow(clippy::needless_range_loop)] // x indexes three rows at once
pub(crate) fn load(img: &ImageMut<'_>, scale: usize, pad: usize) -> Planes {
    let (w, h) = (img.layout.width, img.layout.height);
    let (ww, wh) = (w.div_ceil(scale), h.div_ceil(scale));
    let mut p = Planes::new(ww, wh, pad);
    let format = img.layout.format;
    for y in 0..wh {
        let ys = [y * scale, (y * scale + scale - 1).min(h - 1)];
        let mut rows: [Vec<f32>; 3] = [vec![0.0; ww], vec![0.0; ww], vec![0.0; ww]];
        if format == Format::Rgba {
            for x in 0..ww {
                let xs = [x * scale, (x * scale + scale - 1).min(w - 1)];
                let mut rgb = [0f32; 3];
                for sy in ys {
                    let row = img.row(0, sy);
                    for sx in xs {
                        for c in 0..3 {
                            rgb[c] += row[4 * sx + c] as f32;
                        }
                    }
                }
                let yuv = rgb_to_yuv(rgb.map(|c| c * 0.25));
                for c in 0..3 {
                    rows[c][x] = yuv[c];
                }
            }
        } else {
            let (r0, r1) = (img.row(0, ys[0]), img.row(0, ys[1]));
            for (x, out) in rows[0].iter_mut().enumerate() {
                let xs = [x * scale, (x * scale + scale - 1).min(w - 1)];
                let sum = r0[xs[0]] as f32 + r0[xs[1]] as f32 + r1[xs[0]] as f32 + r1[xs[1]] as f32;
                *out = sum * 0.25;
            }
            let cy = y * scale / 2;
            for x in 0..ww {
                let (u, v) = chroma(img, x * scale / 2, cy);
                rows[1][x] = u as f32;
                rows[2][x] = v as f32;
            }
        }
        for (c, row) in rows.iter().enumerate() {
            p.row_mut(c, y).copy_from_slice(row);
        }
    }
    p.fill_padding();
    p
}

/// Writes the filtered working planes `out` (unpadded, the working size)
/// back into the frame: at scale 1 luma directly and chroma averaged 2x2;
/// at scale 2 chroma directly and luma upsampled bilinearly (the working
/// pixel (i, j) sits at frame position (2i + 0.5, 2j + 0.5)). RGBA's
/// alpha is left alone.
pub(crate) fn store(img: &mut ImageMut<'_>, out: &[Vec<f32>; 3], scale: usize) {
    let (w, h) = (img.layout.width, img.layout.height);
    let (ww, wh) = (w.div_ceil(scale), h.div_ceil(scale));
    let at = |c: usize, x: usize, y: usize| out[c][y * ww + x];
    // Bilinear taps from the working grid for frame coordinate `i` (at
    // scale 1: the pixel itself).
    let taps = |i: usize, n: usize| -> (usize, usize, f32) {
        if scale == 1 {
            return (i, i, 0.0);
        }
        let pos = (i as f32 - 0.5) * 0.5;
        let p0 = pos.max(0.0) as usize;
        let p0 = p0.min(n - 1);
        let p1 = (p0 + 1).min(n - 1);
        (p0, p1, (pos - p0 as f32).clamp(0.0, 1.0))
    };
    let xtaps: Vec<_> = (0..w).map(|x| taps(x, ww)).collect();
    let sample =
        |c: usize, (x0, x1, fx): (usize, usize, f32), (y0, y1, fy): (usize, usize, f32)| {
            let top = at(c, x0, y0) + (at(c, x1, y0) - at(c, x0, y0)) * fx;
            let bottom = at(c, x0, y1) + (at(c, x1, y1) - at(c, x0, y1)) * fx;
            top + (bottom - top) * fy
        };
    let format = img.layout.format;
    for y in 0..h {
        let yt = taps(y, wh);
        if format == Format::Rgba {
            let row = img.row_mut(0, y);
            for (x, &xt) in xtaps.iter().enumerate() {
                let yuv = [0, 1, 2].map(|c| sample(c, xt, yt));
                let rgb = yuv_to_rgb(yuv);
                for c in 0..3 {
                    row[4 * x + c] = to_u8(rgb[c]);
                }
            }
        } else {
            let row = img.row_mut(0, y);
            for (x, &xt) in xtaps.iter().enumerate() {
                row[x] = to_u8(sample(0, xt, yt));
            }
        }
    }
    if format == Format::Rgba {
        return;
    }
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut uv = vec![(0u8, 0u8); cw];
    for cy in 0..ch {
        for (cx, px) in uv.iter_mut().enumerate() {
            let [u, v] = [1, 2].map(|c| {
                if scale == 2 {
                    at(c, cx, cy)
                } else {
                    let (x0, x1) = (2 * cx, (2 * cx + 1).min(w - 1));
                    let (y0, y1) = (2 * cy, (2 * cy + 1).min(h - 1));
                    (at(c, x0, y0) + at(c, x1, y0) + at(c, x0, y1) + at(c, x1, y1)) * 0.25
                }
            });
            *px = (to_u8(u), to_u8(v));
        }
        if format == Format::Nv12 {
            for (pair, &(u, v)) in img.row_mut(1, cy).chunks_exact_mut(2).zip(&uv) {
                pair.copy_from_slice(&[u, v]);
            }
        } else {
            for (d, &(u, _)) in img.row_mut(1, cy).iter_mut().zip(&uv) {
                *d = u;
            }
            for (d, &(_, v)) in img.row_mut(2, cy).iter_mut().zip(&uv) {
                *d = v;
            }
        }
    }
}

/// Per working pixel: the direction of the local structure (cos, sin of
/// the tangent, the eigenvector of the smaller eigenvalue) and the
/// anisotropy A = (l1 - l2) / (l1 + l2), from Sobel on luma smoothed by a
/// Gaussian of `sigma` working pixels (truncated at 2 sigma).
pub(crate) fn tensor(p: &Planes, sigma: f32, threads: usize) -> Vec<[f32; 3]> {
    let (w, h) = (p.w, p.h);
    let y = &p.ch[0];
    let s = p.stride;
    // Sobel products, then the horizontal blur, per row.
    let taps: Vec<f32> = {
        let r = (2.0 * sigma).ceil() as i32;
        let k: Vec<f32> = (-r..=r)
            .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f32 = k.iter().sum();
        k.iter().map(|v| v / sum).collect()
    };
    let r = taps.len() / 2;
    let mut horiz = vec![[0f32; 3]; w * h];
    let sobel_rows = |y0: usize, band: &mut [[f32; 3]]| {
        let mut prod = vec![[0f32; 3]; w + 2 * r];
        for (j, out) in band.chunks_mut(w).enumerate() {
            let c = p.start(y0 + j);
            for (i, e) in prod.iter_mut().enumerate() {
                // Clamped column (the padding holds at least one pixel).
                let x = (i as isize - r as isize).clamp(0, w as isize - 1) as usize;
                let at = |dx: isize, dy: isize| {
                    y[(c as isize + x as isize + dx + dy * s as isize) as usize]
                };
                let gx = (at(1, -1) + 2.0 * at(1, 0) + at(1, 1))
                    - (at(-1, -1) + 2.0 * at(-1, 0) + at(-1, 1));
                let gy = (at(-1, 1) + 2.0 * at(0, 1) + at(1, 1))
                    - (at(-1, -1) + 2.0 * at(0, -1) + at(1, -1));
                *e = [gx * gx, gx * gy, gy * gy];
            }
            for (x, o) in out.iter_mut().enumerate() {
                let mut acc = [0f32; 3];
                for (k, t) in taps.iter().enumerate() {
                    let v = prod[x + k];
                    for c in 0..3 {
                        acc[c] += t * v[c];
                    }
                }
                *o = acc;
            }
        }
    };
    par_bands(&mut horiz, w, h, threads, sobel_rows);
    let mut out = vec![[0f32; 3]; w * h];
    let vert_rows = |y0: usize, band: &mut [[f32; 3]]| {
        let mut acc = vec![[0f32; 3]; w];
        for (j, out) in band.chunks_mut(w).enumerate() {
            acc.fill([0.0; 3]);
            for (k, t) in taps.iter().enumerate() {
                let sy = (y0 + j + k).saturating_sub(r).min(h - 1);
                for (a, v) in acc.iter_mut().zip(&horiz[sy * w..][..w]) {
                    for c in 0..3 {
                        a[c] += t * v[c];
                    }
                }
            }
            for (o, &[e, f, g]) in out.iter_mut().zip(&acc) {
                let root = ((e - g) * (e - g) + 4.0 * f * f).sqrt();
                let (l1, l2) = (0.5 * (e + g + root), 0.5 * (e + g - root));
                let (tx, ty) = (l1 - e, -f);
                let len = (tx * tx + ty * ty).sqrt();
                let (c, s) = if len > 1e-6 {
                    (tx / len, ty / len)
                } else {
                    (1.0, 0.0)
                };
                let a = if l1 + l2 > 1e-6 {
                    (l1 - l2) / (l1 + l2)
                } else {
                    0.0
                };
                *o = [c, s, a.clamp(0.0, 1.0)];
            }
        }
    };
    par_bands(&mut out, w, h, threads, vert_rows);
    out
}

/// Runs `f(first_row, rows)` over bands of rows of `data` (`w` items a
/// row) on up to `threads` threads.
fn par_bands<T: Send>(
    data: &mut [T],
    w: usize,
    h: usize,
    threads: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let band = h.div_ceil(threads.max(1)).max(1);
    if threads <= 1 {
        f(0, data);
        return;
    }
    std::thread::scope(|s| {
        let mut chunks = data.chunks_mut(band * w).enumerate();
        let first = chunks.next();
        for (i, chunk) in chunks {
            let f = &f;
            s.spawn(move || f(i * band, chunk));
        }
        if let Some((_, chunk)) = first {
            f(0, chunk);
        }
    });
}

/// Cells of the weight table across the unit disc's diameter.
const CELLS: usize = 32;
/// The table's side: the cells plus a border cell each side (all zero),
/// which catches a sample rounding just past the ellipse.
pub(crate) const SIDE: usize = CELLS + 2;
/// Fixed-point bits of the table coordinates walked along a row.
const FIX: i32 = 16;

/// Eight sector weights for positions in the unit disc (the sample's
/// offset divided by the ellipse's axes), Gaussian falloff included.
#[repr(C, align(32))]
#[derive(Clone, Copy)]
pub(crate) struct Weights(pub [f32; 8]);

pub(crate) struct Table {
    pub cells: Vec<Weights>,
}

impl Table {
    /// The table (built once: it depends on no parameter).
    pub fn get() -> &'static Table {
        static TABLE: OnceLock<Table> = OnceLock::new();
        TABLE.get_or_init(Table::build)
    }

    /// Kyprianidis 2011's polynomial sectors: with v the position scaled
    /// to a disc of radius 1/2 (as in the paper), sector k's weight is
    /// max(0, x_k + zeta - eta y_k^2)^2, (x_k, y_k) being v turned by k
    /// eighths of a turn; the eight are normalised to sum to 1 and
    /// multiplied by exp(-3.125 |v|^2). zeta = 0.1 and a zero crossing at
    /// 0.58 rad, the values used by the paper's demo.
    fn build() -> Table {
        let zeta = 0.1f32;
        let cross = 0.58f32;
        let eta = (zeta + cross.cos()) / (cross.sin() * cross.sin());
        let half = CELLS as f32 / 2.0;
        let mut cells = vec![Weights([0.0; 8]); SIDE * SIDE];
        for iy in 0..CELLS {
            for ix in 0..CELLS {
                let vx = (ix as f32 + 0.5) / half - 1.0;
                let vy = (iy as f32 + 0.5) / half - 1.0;
                let r2 = vx * vx + vy * vy;
                if r2 > 1.0 {
                    continue;
                }
                let (vx, vy) = (0.5 * vx, 0.5 * vy);
                let mut w = [0f32; 8];
                for (k, wk) in w.iter_mut().enumerate() {
                    let angle = k as f32 * std::f32::consts::FRAC_PI_4;
                    let (s, c) = angle.sin_cos();
                    let along = c * vx + s * vy;
                    let across = -s * vx + c * vy;
                    let z = (along + zeta - eta * across * across).max(0.0);
                    *wk = z * z;
                }
                let sum: f32 = w.iter().sum();
                let g = (-3.125 * (vx * vx + vy * vy)).exp();
                if sum > 0.0 {
                    for wk in &mut w {
                        *wk *= g / sum;
                    }
                }
                cells[(iy + 1) * SIDE + ix + 1] = Weights(w);
            }
        }
        Table { cells }
    }
}

/// What the row kernels need.
pub(crate) struct Job<'a> {
    pub planes: &'a Planes,
    pub tensor: &'a [[f32; 3]],
    pub table: &'a Table,
    /// The radius in working pixels.
    pub radius: f32,
    /// Sample lattice step (1 or 2).
    pub step: usize,
    /// q / 2.
    pub half_q: f32,
}

/// One row of a pixel's ellipse: `n` samples from plane index `at`,
/// `step` apart, the table coordinates starting at (fx, fy) (fixed point,
/// `FIX` fractional bits) and moving by the ellipse's (dfx, dfy).
#[derive(Clone, Copy, Default)]
pub(crate) struct Span {
    pub at: usize,
    pub n: usize,
    pub fx: i32,
    pub fy: i32,
}

/// The most ellipse rows: 2 * (2 * 32 + 1) + 1 (radius 32 at step 1 and
/// full anisotropy; the axes are at most 2r, at least 1).
pub(crate) const MAX_SPANS: usize = 136;

/// The spans of the ellipse of working pixel (x, y) into `spans`; returns
/// their count and the table step (dfx, dfy) per sample. Every sample
/// lies within `2r + 1` pixels of (x, y), inside the planes' padding, and
/// every table coordinate inside the table (|v| <= 1 up to rounding,
/// which the zero border absorbs).
#[inline(always)]
pub(crate) fn ellipse(
    job: &Job<'_>,
    x: usize,
    y: usize,
    spans: &mut [Span; MAX_SPANS],
) -> (usize, i32, i32) {
    let p = job.planes;
    let stride = p.stride as isize;
    let r = job.radius;
    let step = job.step as i32;
    let st = job.step as f32;
    // 1 or 1/2: exact, so multiplying is dividing.
    let inv_st = 1.0 / st;
    let half = CELLS as f32 / 2.0;
    let one = (1i32 << FIX) as f32;
    let base = (half + 1.0) * one;
    let [c, s, an] = job.tensor[y * p.w + x];
    let a = (r * (1.0 + an)).max(1.0);
    let b = (r / (1.0 + an)).max(1.0);
    let (ia, ib) = (1.0 / a, 1.0 / b);
    // |v|^2 = qa dx^2 + 2 qb dx dy + qc dy^2, v = (R d) / (a, b), and
    // qa qc - qb^2 = 1 / (ab)^2.
    let qa = c * c * ia * ia + s * s * ib * ib;
    let qb = c * s * (ia * ia - ib * ib);
    // Rows with |dy| <= ymax cross the ellipse: dx in centre -+ half,
    // with centre = -qb dy / qa and half = sqrt(qa - dy^2 / (ab)^2) / qa.
    let iqa = 1.0 / qa;
    let det = (ia * ib) * (ia * ib);
    let ymax = (a * a * s * s + b * b * c * c).sqrt();
    let ny = ((ymax * inv_st) as i32).min((MAX_SPANS as i32 - 1) / 2);
    // Table coordinate (fixed point) per unit of dx and dy.
    let (kxx, kxy) = (c * ia * half * one, s * ia * half * one);
    let (kyx, kyy) = (-s * ib * half * one, c * ib * half * one);
    let (dfx, dfy) = ((kxx * st) as i32, (kyx * st) as i32);
    let centre = (p.start(y) + x) as isize;
    let mut count = 0;
    for j in -ny..=ny {
        let dy = (j * step) as f32;
        let root = (qa - dy * dy * det).max(0.0).sqrt() * iqa;
        let mid = -qb * dy * iqa;
        // First and last lattice columns inside, as lattice indices: a
        // floor by truncating a positive number (|dx| / step < 66 < 128),
        // branch-free (the ceil/floor branches were half mispredicted).
        let i0 = 128 - ((128.0 - (mid - root) * inv_st) as i32);
        let i1 = ((mid + root) * inv_st + 128.0) as i32 - 128;
        let n = (i1 - i0 + 1).max(0);
        let dx0 = (i0 * step) as f32;
        spans[count] = Span {
            at: (centre + (j * step) as isize * stride + (i0 * step) as isize) as usize,
            n: n as usize,
            fx: (base + kxx * dx0 + kxy * dy) as i32,
            fy: (base + kyx * dx0 + kyy * dy) as i32,
        };
        count += 1;
    }
    (count, dfx, dfy)
}

/// The table cell of fixed-point coordinates (fx, fy).
#[inline(always)]
pub(crate) fn cell(fx: i32, fy: i32) -> usize {
    (fy >> FIX) as usize * SIDE + (fx >> FIX) as usize
}

/// The five sums of each sector.
pub(crate) struct Sums {
    pub w: [f32; 8],
    pub y: [f32; 8],
    pub yy: [f32; 8],
    pub u: [f32; 8],
    pub v: [f32; 8],
}

impl Sums {
    const ZERO: Sums = Sums {
        w: [0.0; 8],
        y: [0.0; 8],
        yy: [0.0; 8],
        u: [0.0; 8],
        v: [0.0; 8],
    };
}

/// log2 of a positive normal float: exponent plus a quartic on the
/// mantissa (error ~1e-4, plenty for a weight). `avx2.rs` repeats these
/// steps lane by lane.
#[inline(always)]
pub(crate) fn log2_approx(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let p = LOG2_POLY[0]
        + (LOG2_POLY[1] + (LOG2_POLY[2] + (LOG2_POLY[3] + LOG2_POLY[4] * m) * m) * m) * m;
    e as f32 + p
}

pub(crate) const LOG2_POLY: [f32; 5] = [
    -1.741_793_9,
    2.821_202_6,
    -1.469_956_8,
    0.447_179_55,
    -0.056_570_85,
];
pub(crate) const EXP2_POLY: [f32; 4] = [
    std::f32::consts::LN_2,
    0.240_226_5,
    0.055_504_1,
    0.009_618_1,
];

/// 2^t for t in -64..=64: the integer part into the exponent, a quartic
/// for the fraction.
#[inline(always)]
pub(crate) fn exp2_approx(t: f32) -> f32 {
    let t = t.clamp(-64.0, 64.0);
    let mut i = t as i32;
    // Truncation rounds towards zero: make it a floor (no libm `floor`).
    if (i as f32) > t {
        i -= 1;
    }
    let f = t - i as f32;
    let p = 1.0 + f * (EXP2_POLY[0] + f * (EXP2_POLY[1] + f * (EXP2_POLY[2] + f * EXP2_POLY[3])));
    p * f32::from_bits(((i + 127) as u32) << 23)
}

/// The sum of eight lanes in the order an 8-lane register reduces them:
/// halves, then quarters, then the pair.
#[inline(always)]
pub(crate) fn sum8(a: [f32; 8]) -> f32 {
    let q = [a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]];
    let h = [q[0] + q[2], q[1] + q[3]];
    h[0] + h[1]
}

/// One pixel's output from its sector sums: the sectors' means weighted
/// by 1 / (1 + (3 var / 255)^(q/2)), var being the sector's luma variance
/// in code values squared (the paper sums three channels' variances in
/// 0..1 units times 255; three times luma's stands in for that).
#[inline(always)]
fn finish(s: &Sums, half_q: f32) -> [f32; 3] {
    let mut alpha = [0f32; 8];
    let (mut ay, mut au, mut av) = ([0f32; 8], [0f32; 8], [0f32; 8]);
    for k in 0..8 {
        // The centre sample weighs in every sector: w > 0.
        let inv = 1.0 / s.w[k].max(1e-20);
        let my = s.y[k] * inv;
        let var = (s.yy[k] * inv - my * my).max(0.0);
        let x = (var * (3.0 / 255.0)).max(1e-12);
        let a = 1.0 / (1.0 + exp2_approx(half_q * log2_approx(x)));
        alpha[k] = a;
        ay[k] = a * my;
        au[k] = a * (s.u[k] * inv);
        av[k] = a * (s.v[k] * inv);
    }
    let inv = 1.0 / sum8(alpha);
    [sum8(ay) * inv, sum8(au) * inv, sum8(av) * inv]
}

/// The baseline row: for each pixel, its ellipse walked span by span.
#[allow(clippy::needless_range_loop)] // k indexes six arrays at once
pub(crate) fn filter_row(
    job: &Job<'_>,
    y: usize,
    out_y: &mut [f32],
    out_u: &mut [f32],
    out_v: &mut [f32],
) {
    let [py, pu, pv] = &job.planes.ch;
    let cells = &job.table.cells[..];
    let mut spans = [Span::default(); MAX_SPANS];
    for x in 0..job.planes.w {
        let (count, dfx, dfy) = ellipse(job, x, y, &mut spans);
        // Two sets of sums, even and odd spans, so that two rows' chains
        // of additions overlap; added together at the end.
        let mut sums = [Sums::ZERO, Sums::ZERO];
        for (i, span) in spans[..count].iter().enumerate() {
            let sums = &mut sums[i & 1];
            let (mut fx, mut fy, mut at) = (span.fx, span.fy, span.at);
            for _ in 0..span.n {
                let wt = &cells[cell(fx, fy)].0;
                let (sy, su, sv) = (py[at], pu[at], pv[at]);
                for k in 0..8 {
                    let wk = wt[k];
                    sums.w[k] += wk;
                    let wy = wk * sy;
                    sums.y[k] += wy;
                    sums.yy[k] += wy * sy;
                    sums.u[k] += wk * su;
                    sums.v[k] += wk * sv;
                }
                fx += dfx;
                fy += dfy;
                at += job.step;
            }
        }
        let [even, odd] = &sums;
        let add = |a: &[f32; 8], b: &[f32; 8]| std::array::from_fn(|k| a[k] + b[k]);
        let sums = Sums {
            w: add(&even.w, &odd.w),
            y: add(&even.y, &odd.y),
            yy: add(&even.yy, &odd.yy),
            u: add(&even.u, &odd.u),
            v: add(&even.v, &odd.v),
        };
        [out_y[x], out_u[x], out_v[x]] = finish(&sums, job.half_q);
    }
}
