//! The Kuwahara stages in plain Rust: loading the working image, the
//! structure tensor and each pixel's kernel, the kernel bank, the
//! baseline row and storing the result. The tensor bodies are also
//! compiled with AVX2 (`avx2.rs`); the row is written again there.

use std::sync::{Arc, Mutex};

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
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

/// Float buffers kept between calls on this thread: a video's frames
/// need the same ~20 MB (at 1080p) every time, and fresh allocations cost
/// a page fault per 4 KB touched (about a tenth of a frame's time). Freed
/// with the thread.
pub(crate) mod pool {
    use std::cell::RefCell;

    thread_local! {
        static FREE: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
    }

    /// At most this many buffers are kept.
    const KEEP: usize = 12;

    /// A buffer of `len` floats. A reused one keeps its old contents
    /// (not zeroed: every user writes all of it before reading).
    pub fn take(len: usize) -> Vec<f32> {
        let reused = FREE.with(|f| {
            let mut f = f.borrow_mut();
            let best = (0..f.len()).find(|&i| f[i].capacity() >= len)?;
            Some(f.swap_remove(best))
        });
        match reused {
            Some(mut v) => {
                v.truncate(len);
                v.resize(len, 0.0);
                v
            }
            None => vec![0.0; len],
        }
    }

    /// Keeps `v` for a later `take`.
    pub fn give(v: Vec<f32>) {
        FREE.with(|f| {
            let mut f = f.borrow_mut();
            if f.len() < KEEP {
                f.push(v);
            }
        });
    }
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
            ch: [pool::take(len), pool::take(len), pool::take(len)],
        }
    }

    /// Returns the buffers to the pool.
    pub fn recycle(self) {
        for c in self.ch {
            pool::give(c);
        }
    }

    /// Index of pixel (0, y) of the picture (not the padding).
    #[inline(always)]
    pub fn start(&self, y: usize) -> usize {
        (y + self.pad) * self.stride + self.pad
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
    // (Through i32: a plain conversion, which vectorises.)
    (v + 0.5).clamp(0.0, 255.0) as i32 as u8
}

/// The working image at 1/`scale` of the frame's size (1 or 2), padded by
/// `pad`: at 2 luma is averaged 2x2 (clamped at odd edges) and I420/NV12
/// chroma is taken as it is; at 1 chroma is repeated 2x2.
#[allow(clippy::needless_range_loop)] // x indexes three rows at once
#[allow(clippy::type_complexity)] // a band's index and three rows
pub(crate) fn load(img: &ImageMut<'_>, scale: usize, pad: usize, threads: usize) -> Planes {
    let img = img.as_image();
    let (w, h) = (img.layout.width, img.layout.height);
    let (ww, wh) = (w.div_ceil(scale), h.div_ceil(scale));
    let mut p = Planes::new(ww, wh, pad);
    let format = img.layout.format;
    let stride = p.stride;
    // One working row into its three (unpadded) plane rows.
    let load_row = |y: usize, out: [&mut [f32]; 3]| {
        let [oy, ou, ov] = out;
        let ys = [y * scale, (y * scale + scale - 1).min(h - 1)];
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
                [oy[x], ou[x], ov[x]] = rgb_to_yuv(rgb.map(|c| c * 0.25));
            }
            return;
        }
        let (r0, r1) = (img.row(0, ys[0]), img.row(0, ys[1]));
        if scale == 1 {
            for (o, &v) in oy.iter_mut().zip(r0) {
                *o = v as f32;
            }
        } else {
            // 2x2 means; an odd width's last column pairs with itself.
            let pairs = r0.chunks_exact(2).zip(r1.chunks_exact(2));
            for (o, (a, b)) in oy.iter_mut().zip(pairs) {
                *o = ((a[0] as f32 + a[1] as f32) + (b[0] as f32 + b[1] as f32)) * 0.25;
            }
            if w % 2 == 1 {
                let (a, b) = (r0[w - 1] as f32, r1[w - 1] as f32);
                oy[ww - 1] = ((a + a) + (b + b)) * 0.25;
            }
        }
        // Chroma rows fetched once a row (not a `row()` per pixel).
        let cy = y * scale / 2;
        let (u, v) = match format {
            Format::Nv12 => (img.row(1, cy), &[][..]),
            _ => (img.row(1, cy), img.row(2, cy)),
        };
        for x in 0..ww {
            let cx = x * scale / 2;
            (ou[x], ov[x]) = match format {
                Format::Nv12 => (u[2 * cx] as f32, u[2 * cx + 1] as f32),
                _ => (u[cx] as f32, v[cx] as f32),
            };
        }
    };
    // Bands of rows on the threads, each its own part of the planes.
    let band = band_rows(wh, threads);
    let [py, pu, pv] = &mut p.ch;
    let body = pad * stride;
    let parts = py[body..]
        .chunks_mut(band * stride)
        .zip(pu[body..].chunks_mut(band * stride))
        .zip(pv[body..].chunks_mut(band * stride))
        .take(wh.div_ceil(band))
        .enumerate();
    let run = |(i, ((by, bu), bv)): (usize, ((&mut [f32], &mut [f32]), &mut [f32]))| {
        for y in i * band..((i + 1) * band).min(wh) {
            let at = (y - i * band) * stride + pad;
            load_row(
                y,
                [
                    &mut by[at..at + ww],
                    &mut bu[at..at + ww],
                    &mut bv[at..at + ww],
                ],
            );
        }
    };
    std::thread::scope(|s| {
        let mut parts = parts;
        let first = parts.next();
        for part in parts {
            s.spawn(move || run(part));
        }
        if let Some(part) = first {
            run(part);
        }
    });
    p.fill_padding();
    p
}

/// Writes the filtered working planes `out` (unpadded, the working size)
/// back into the frame: at scale 1 luma directly and chroma averaged 2x2;
/// at scale 2 chroma directly and luma upsampled bilinearly (the working
/// pixel (i, j) sits at frame position (2i + 0.5, 2j + 0.5)). RGBA's
/// alpha is left alone.
pub(crate) fn store(img: &mut ImageMut<'_>, out: &[Vec<f32>; 3], scale: usize, threads: usize) {
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
        if format == Format::Rgba {
            let yt = taps(y, wh);
            let row = img.row_mut(0, y);
            for (x, &xt) in xtaps.iter().enumerate() {
                let yuv = [0, 1, 2].map(|c| sample(c, xt, yt));
                let rgb = yuv_to_rgb(yuv);
                for c in 0..3 {
                    row[4 * x + c] = to_u8(rgb[c]);
                }
            }
        }
    }
    if format != Format::Rgba {
        // Luma, bands of rows on the threads: each band its own part of
        // the buffer (a plane's rows lie in order, planes never overlap).
        let plane = *img.layout.plane(0);
        let band = band_rows(h, threads);
        let mut parts = Vec::new();
        let end = plane.offset + (plane.rows - 1) * plane.stride + plane.row_bytes;
        let mut rest = &mut img.data[plane.offset..end];
        while parts.len() * band + band < plane.rows {
            let (head, tail) = rest.split_at_mut(band * plane.stride);
            parts.push(head);
            rest = tail;
        }
        parts.push(rest);
        let luma = &out[0][..];
        let run = |i: usize, part: &mut [u8]| {
            let mut mixed = vec![0f32; ww];
            let (mut lo, mut hi) = (vec![0u8; ww], vec![0u8; ww]);
            for y in i * band..((i + 1) * band).min(h) {
                let row = &mut part[(y - i * band) * plane.stride..][..w];
                // The two working rows mixed first, then each frame pixel
                // from that row (at scale 1 a copy).
                let (y0, y1, fy) = taps(y, wh);
                let (r0, r1) = (&luma[y0 * ww..][..ww], &luma[y1 * ww..][..ww]);
                for ((m, &a), &b) in mixed.iter_mut().zip(r0).zip(r1) {
                    *m = a + (b - a) * fy;
                }
                if scale == 1 {
                    for (d, &m) in row.iter_mut().zip(&mixed) {
                        *d = to_u8(m);
                    }
                    continue;
                }
                // Frame pixels 2i + 1 and 2i + 2 lie a quarter and three
                // quarters of the way from working pixel i to i + 1; pixel
                // 0 (and an even width's last) on a working pixel.
                for (i, pair) in mixed.windows(2).enumerate() {
                    let (a, b) = (pair[0], pair[1]);
                    lo[i] = to_u8(a + (b - a) * 0.25);
                    hi[i] = to_u8(a + (b - a) * 0.75);
                }
                row[0] = to_u8(mixed[0]);
                for (d, (&l, &h)) in row[1..].chunks_mut(2).zip(lo.iter().zip(&hi)) {
                    d[0] = l;
                    if let Some(d1) = d.get_mut(1) {
                        *d1 = h;
                    }
                }
                if w % 2 == 0 {
                    row[w - 1] = to_u8(mixed[ww - 1]);
                }
            }
        };
        std::thread::scope(|s| {
            let mut it = parts.into_iter().enumerate();
            let first = it.next();
            for (i, part) in it {
                s.spawn(move || run(i, part));
            }
            if let Some((i, part)) = first {
                run(i, part);
            }
        });
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

/// Per working pixel, the index in `bank` of its kernel: the direction
/// of the local structure (the tangent, the eigenvector of the smaller
/// eigenvalue) and the anisotropy A = (l1 - l2) / (l1 + l2), from Sobel on
/// luma smoothed by a Gaussian of `sigma` working pixels (truncated at 2
/// sigma).
pub(crate) fn tensor(level: CpuLevel, p: &Planes, sigma: f32, threads: usize) -> Vec<u16> {
    let (w, h) = (p.w, p.h);
    let taps: Vec<f32> = {
        let r = (2.0 * sigma).ceil() as i32;
        let k: Vec<f32> = (-r..=r)
            .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f32 = k.iter().sum();
        k.iter().map(|v| v / sum).collect()
    };
    assert!(p.pad > taps.len() / 2 + 1, "padding for Sobel and the blur");
    let (rows_h, rows_v) = tensor_kernels(level);
    // Sobel products blurred horizontally: three planes.
    let mut e = pool::take(w * h);
    let mut f = pool::take(w * h);
    let mut g = pool::take(w * h);
    {
        let mut bands: Vec<_> = e
            .chunks_mut(band_rows(h, threads) * w)
            .zip(f.chunks_mut(band_rows(h, threads) * w))
            .zip(g.chunks_mut(band_rows(h, threads) * w))
            .map(|((e, f), g)| [e, f, g])
            .collect();
        let band = band_rows(h, threads);
        let taps = &taps;
        let run = |i: usize, out: &mut [&mut [f32]; 3]| {
            // SAFETY: chosen for `level`, which run-time detection made.
            unsafe { rows_h(p, taps, i * band, out) }
        };
        std::thread::scope(|s| {
            let mut it = bands.iter_mut().enumerate();
            let first = it.next();
            for (i, out) in it {
                s.spawn(move || run(i, out));
            }
            if let Some((i, out)) = first {
                run(i, out);
            }
        });
    }
    let mut out = vec![0u16; w * h];
    let band = band_rows(h, threads);
    let planes = [&e[..], &f[..], &g[..]];
    let taps = &taps;
    let run = |i: usize, rows: &mut [u16]| {
        // SAFETY: chosen for `level`, which run-time detection made.
        unsafe { rows_v(planes, w, h, taps, i * band, rows) }
    };
    std::thread::scope(|s| {
        let mut it = out.chunks_mut(band * w).enumerate();
        let first = it.next();
        for (i, rows) in it {
            s.spawn(move || run(i, rows));
        }
        if let Some((i, rows)) = first {
            run(i, rows);
        }
    });
    for v in [e, f, g] {
        pool::give(v);
    }
    out
}

/// Rows a thread takes (of `h`, over `threads`).
fn band_rows(h: usize, threads: usize) -> usize {
    h.div_ceil(threads.max(1)).max(1)
}

/// Sobel products and horizontal blur of rows `y0..` into `out` (E, F, G).
pub(crate) type TensorH = unsafe fn(&Planes, &[f32], usize, &mut [&mut [f32]; 3]);
/// Vertical blur and kernel choice of rows `y0..` into `out`.
pub(crate) type TensorV = unsafe fn([&[f32]; 3], usize, usize, &[f32], usize, &mut [u16]);

fn tensor_kernels(level: CpuLevel) -> (TensorH, TensorV) {
    match level.isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => (super::avx2::tensor_h, super::avx2::tensor_v),
        _ => (tensor_h, tensor_v),
    }
}

pub(crate) fn tensor_h(p: &Planes, taps: &[f32], y0: usize, out: &mut [&mut [f32]; 3]) {
    tensor_h_body(p, taps, y0, out);
}

pub(crate) fn tensor_v(
    planes: [&[f32]; 3],
    w: usize,
    h: usize,
    taps: &[f32],
    y0: usize,
    out: &mut [u16],
) {
    tensor_v_body(planes, w, h, taps, y0, out);
}

/// Sobel on the padded luma (the padding stands in for the edge), the
/// products E = gx^2, F = gx gy, G = gy^2, then the horizontal blur; the
/// loops run along x so the compiler vectorises them (the same floats
/// either way: element by element, in the same order).
#[inline(always)]
pub(crate) fn tensor_h_body(p: &Planes, taps: &[f32], y0: usize, out: &mut [&mut [f32]; 3]) {
    let (w, s) = (p.w, p.stride);
    let r = taps.len() / 2;
    let n = w + 2 * r;
    let luma = &p.ch[0];
    let mut prod = [vec![0f32; n], vec![0f32; n], vec![0f32; n]];
    let [oe, of, og] = out;
    let rows = oe.chunks_mut(w).zip(of.chunks_mut(w)).zip(og.chunks_mut(w));
    for (j, ((oe, of), og)) in rows.enumerate() {
        // Column -r - 1 of the rows above, at and below.
        let c = p.start(y0 + j) - r - 1;
        let up = &luma[c - s..][..n + 2];
        let mid = &luma[c..][..n + 2];
        let down = &luma[c + s..][..n + 2];
        let [pe, pf, pg] = &mut prod;
        for i in 0..n {
            let gx =
                (up[i + 2] + 2.0 * mid[i + 2] + down[i + 2]) - (up[i] + 2.0 * mid[i] + down[i]);
            let gy =
                (down[i] + 2.0 * down[i + 1] + down[i + 2]) - (up[i] + 2.0 * up[i + 1] + up[i + 2]);
            pe[i] = gx * gx;
            pf[i] = gx * gy;
            pg[i] = gy * gy;
        }
        for (o, src) in [(oe, &*pe), (of, &*pf), (og, &*pg)] {
            o.fill(0.0);
            for (k, &t) in taps.iter().enumerate() {
                for (o, &v) in o.iter_mut().zip(&src[k..k + w]) {
                    *o += t * v;
                }
            }
        }
    }
}

/// The vertical blur (rows clamped at the picture's edges), then each
/// pixel's kernel from the tensor's eigenvectors.
#[inline(always)]
pub(crate) fn tensor_v_body(
    planes: [&[f32]; 3],
    w: usize,
    h: usize,
    taps: &[f32],
    y0: usize,
    out: &mut [u16],
) {
    let r = taps.len() / 2;
    let mut acc = [vec![0f32; w], vec![0f32; w], vec![0f32; w]];
    for (j, out) in out.chunks_mut(w).enumerate() {
        for (a, plane) in acc.iter_mut().zip(planes) {
            a.fill(0.0);
            for (k, &t) in taps.iter().enumerate() {
                let sy = (y0 + j + k).saturating_sub(r).min(h - 1);
                for (a, &v) in a.iter_mut().zip(&plane[sy * w..][..w]) {
                    *a += t * v;
                }
            }
        }
        let [ae, af, ag] = &acc;
        for (((o, &e), &f), &g) in out.iter_mut().zip(ae).zip(af).zip(ag) {
            let root = ((e - g) * (e - g) + 4.0 * f * f).sqrt();
            let (l1, l2) = (0.5 * (e + g + root), 0.5 * (e + g - root));
            let (tx, ty) = (l1 - e, -f);
            // Flat: no direction (A is 0 there, any angle will do).
            let angle = if tx * tx + ty * ty > 1e-12 {
                atan2_approx(ty, tx)
            } else {
                0.0
            };
            let a = if l1 + l2 > 1e-6 {
                (l1 - l2) / (l1 + l2)
            } else {
                0.0
            };
            *o = Bank::index(angle, a);
        }
    }
}

/// atan2 within ~0.01 rad (an octant polynomial), no libm.
#[inline(always)]
fn atan2_approx(y: f32, x: f32) -> f32 {
    use std::f32::consts::{FRAC_PI_2, PI};
    let (ax, ay) = (x.abs(), y.abs());
    let t = ax.min(ay) / ax.max(ay).max(1e-30);
    let t2 = t * t;
    let r = ((-0.046_496_47 * t2 + 0.159_314_22) * t2 - 0.327_622_76) * t2 * t + t;
    let r = if ay > ax { FRAC_PI_2 - r } else { r };
    let r = if x < 0.0 { PI - r } else { r };
    if y < 0.0 { -r } else { r }
}

/// Kernel directions over half a turn (an ellipse is symmetric): 7.5
/// degrees apart, a tip of a 2r-long axis moves at most r / 8 pixels.
const ANGLES: usize = 24;
/// Anisotropy levels (A quantised to the middles of 6 equal steps).
const LEVELS: usize = 6;

/// Eight sector weights of a sample, Gaussian falloff included.
#[repr(C, align(32))]
#[derive(Clone, Copy)]
pub(crate) struct Weights(pub [f32; 8]);

/// The precomputed kernels of one radius and lattice step: for each
/// quantised direction and anisotropy, the samples inside its ellipse, as
/// offsets into the padded planes and eight sector weights each. Pixels
/// pick a kernel instead of building their own ellipse: no per-pixel
/// geometry, and a sample is two loads and five sums per sector.
pub(crate) struct Bank {
    pub radius: f32,
    pub step: usize,
    /// At step 1: only the samples with dx + dy even (half of them).
    pub quincunx: bool,
    pub stride: usize,
    /// Kernel k's samples are `start[k]..start[k + 1]`.
    pub start: Vec<usize>,
    pub offsets: Vec<isize>,
    pub weights: Vec<Weights>,
    /// The largest |offset|.
    pub max_offset: usize,
}

impl Bank {
    /// The kernel index of a structure at `angle` (radians, any turn)
    /// with anisotropy `a`.
    #[inline(always)]
    fn index(angle: f32, a: f32) -> u16 {
        use std::f32::consts::PI;
        // Nearest direction, modulo half a turn: `angle` is within -+pi,
        // `i` within 24..=72 (selects, not `%`, so the loop vectorises).
        let i = (angle * (ANGLES as f32 / PI) + (0.5 + 2.0 * ANGLES as f32)) as i32;
        let n = ANGLES as i32;
        let i = if i >= 2 * n { i - 2 * n } else { i };
        let i = if i >= n { i - n } else { i };
        let level = ((a * LEVELS as f32) as i32).clamp(0, LEVELS as i32 - 1);
        (i * LEVELS as i32 + level) as u16
    }

    /// Kyprianidis 2011's polynomial sectors: with v the sample's offset
    /// in the ellipse's frame divided by its axes and halved (a disc of
    /// radius 1/2, as in the paper), sector k's weight is
    /// max(0, x_k + zeta - eta y_k^2)^2, (x_k, y_k) being v turned by k
    /// eighths of a turn; the eight are normalised to sum to 1 and
    /// multiplied by exp(-3.125 |v|^2). zeta = 0.1 and a zero crossing at
    /// 0.58 rad, the values of the paper's demo. The ellipse has axes
    /// a = r (1 + A), b = r / (1 + A) (alpha = 1), at least 1 pixel.
    pub fn build(radius: f32, step: usize, quincunx: bool, stride: usize) -> Bank {
        let zeta = 0.1f32;
        let cross = 0.58f32;
        let eta = (zeta + cross.cos()) / (cross.sin() * cross.sin());
        let sectors: [(f32, f32); 8] =
            std::array::from_fn(|k| (k as f32 * std::f32::consts::FRAC_PI_4).sin_cos());
        let mut bank = Bank {
            radius,
            step,
            quincunx,
            stride,
            start: vec![0],
            offsets: Vec::new(),
            weights: Vec::new(),
            max_offset: 0,
        };
        for i in 0..ANGLES {
            let (s, c) = (i as f32 * std::f32::consts::PI / ANGLES as f32).sin_cos();
            for level in 0..LEVELS {
                let an = (level as f32 + 0.5) / LEVELS as f32;
                let a = (radius * (1.0 + an)).max(1.0);
                let b = (radius / (1.0 + an)).max(1.0);
                let reach = (a.max(b) / step as f32).ceil() as isize;
                let step = step as isize;
                for j in -reach..=reach {
                    for i in -reach..=reach {
                        if quincunx && (i + j) % 2 != 0 {
                            continue;
                        }
                        let (dx, dy) = ((i * step) as f32, (j * step) as f32);
                        let vx = (c * dx + s * dy) / a;
                        let vy = (-s * dx + c * dy) / b;
                        if vx * vx + vy * vy > 1.0 {
                            continue;
                        }
                        let (vx, vy) = (0.5 * vx, 0.5 * vy);
                        let mut w = [0f32; 8];
                        for (wk, (ks, kc)) in w.iter_mut().zip(sectors) {
                            let along = kc * vx + ks * vy;
                            let across = -ks * vx + kc * vy;
                            let z = (along + zeta - eta * across * across).max(0.0);
                            *wk = z * z;
                        }
                        let sum: f32 = w.iter().sum();
                        if sum <= 0.0 {
                            continue;
                        }
                        let g = (-3.125 * (vx * vx + vy * vy)).exp() / sum;
                        bank.offsets.push(j * step * stride as isize + i * step);
                        bank.weights.push(Weights(w.map(|wk| wk * g)));
                    }
                }
                bank.start.push(bank.offsets.len());
            }
        }
        bank.max_offset = bank
            .offsets
            .iter()
            .map(|o| o.unsigned_abs())
            .max()
            .unwrap_or(0);
        bank
    }

    /// The bank for these parameters, rebuilt only when they change (a
    /// video's frames share one).
    pub fn cached(radius: f32, step: usize, quincunx: bool, stride: usize) -> Arc<Bank> {
        static LAST: Mutex<Option<Arc<Bank>>> = Mutex::new(None);
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        match &*last {
            Some(b)
                if b.radius == radius
                    && b.step == step
                    && b.quincunx == quincunx
                    && b.stride == stride =>
            {
                b.clone()
            }
            _ => {
                let b = Arc::new(Bank::build(radius, step, quincunx, stride));
                *last = Some(b.clone());
                b
            }
        }
    }

    /// Kernel `k`'s offsets and weights.
    #[inline(always)]
    pub fn kernel(&self, k: u16) -> (&[isize], &[Weights]) {
        let range = self.start[k as usize]..self.start[k as usize + 1];
        (&self.offsets[range.clone()], &self.weights[range])
    }

    /// How far from its pixel a kernel reads (for the padding).
    pub fn reach(radius: f32, step: usize) -> usize {
        let a = (2.0 * radius).max(1.0);
        (a / step as f32).ceil() as usize * step
    }
}

/// What the row kernels need.
pub(crate) struct Job<'a> {
    pub planes: &'a Planes,
    /// Each working pixel's kernel.
    pub kernels: &'a [u16],
    pub bank: &'a Bank,
    /// q / 2.
    pub half_q: f32,
    /// q / 2 when it is a whole number (q even, the usual 8 among them):
    /// the power is then a few multiplications (`powi`); 0 otherwise.
    pub int_q: u32,
}

/// x^n by squaring (n >= 1), capped at 2^64 like `exp2_approx`; `avx2.rs`
/// runs the same steps lane by lane.
#[inline(always)]
pub(crate) fn powi(x: f32, n: u32) -> f32 {
    let (mut base, mut n) = (x, n);
    // The lowest set bit starts the product (no multiplication by 1).
    while n & 1 == 0 {
        base *= base;
        n >>= 1;
    }
    let mut result = base;
    n >>= 1;
    while n > 0 {
        base *= base;
        if n & 1 == 1 {
            result *= base;
        }
        n >>= 1;
    }
    result.min(POW_CAP)
}

/// 2^64, the largest power `finish` uses (then every sector weighs at
/// least 2^-64, and their sum is never 0).
pub(crate) const POW_CAP: f32 = 18_446_744_073_709_551_616.0;

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

/// log2 of a positive normal float: exponent plus a quintic on the
/// mantissa (error ~3e-5, plenty for a weight). `avx2.rs` repeats these
/// steps lane by lane.
#[inline(always)]
pub(crate) fn log2_approx(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let t = m - 1.0;
    let p = LOG2_POLY[0]
        + t * (LOG2_POLY[1]
            + t * (LOG2_POLY[2] + t * (LOG2_POLY[3] + t * (LOG2_POLY[4] + t * LOG2_POLY[5]))));
    e as f32 + p
}

/// log2(1 + t) for t in 0..1, least squares, degree 5 (error 3e-5).
pub(crate) const LOG2_POLY: [f32; 6] = [
    3.180_727_4e-5,
    1.441_268_9,
    -0.705_711,
    0.408_734_17,
    -0.187_732_14,
    0.043_431_32,
];
/// 2^f for f in 0..1, least squares, degree 4 (relative error 7e-6).
pub(crate) const EXP2_POLY: [f32; 5] = [
    1.000_007_3,
    0.692_931_4,
    0.241_709_99,
    0.051_667_03,
    0.013_676_561,
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
    let p = EXP2_POLY[0]
        + f * (EXP2_POLY[1] + f * (EXP2_POLY[2] + f * (EXP2_POLY[3] + f * EXP2_POLY[4])));
    p * f32::from_bits(((i + 127) as u32) << 23)
}

/// The sum of eight lanes in the order AVX2's pairwise `hadd` reduces
/// them: neighbours, pairs of pairs, then the two halves.
#[inline(always)]
pub(crate) fn sum8(a: [f32; 8]) -> f32 {
    ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

/// One pixel's output from its sector sums: the sectors' means weighted
/// by 1 / (1 + (3 var / 255)^(q/2)), var being the sector's luma variance
/// in code values squared (the paper sums three channels' variances in
/// 0..1 units times 255; three times luma's stands in for that).
#[inline(always)]
fn finish(s: &Sums, half_q: f32, int_q: u32) -> [f32; 3] {
    let mut alpha = [0f32; 8];
    let (mut ay, mut au, mut av) = ([0f32; 8], [0f32; 8], [0f32; 8]);
    for k in 0..8 {
        // The centre sample weighs in every sector: w > 0.
        let inv = 1.0 / s.w[k].max(1e-20);
        let my = s.y[k] * inv;
        let var = (s.yy[k] * inv - my * my).max(0.0);
        let x = (var * (3.0 / 255.0)).max(1e-12);
        let pow = if int_q > 0 {
            powi(x, int_q)
        } else {
            exp2_approx(half_q * log2_approx(x))
        };
        let a = 1.0 / (1.0 + pow);
        alpha[k] = a;
        ay[k] = a * my;
        au[k] = a * (s.u[k] * inv);
        av[k] = a * (s.v[k] * inv);
    }
    let inv = 1.0 / sum8(alpha);
    [sum8(ay) * inv, sum8(au) * inv, sum8(av) * inv]
}

/// The baseline row: for each pixel, its kernel's samples, even and odd
/// ones in two sets of sums (so two chains of additions overlap; AVX2
/// does the same), added together at the end.
#[allow(clippy::needless_range_loop)] // k indexes six arrays at once
pub(crate) fn filter_row(
    job: &Job<'_>,
    y: usize,
    out_y: &mut [f32],
    out_u: &mut [f32],
    out_v: &mut [f32],
) {
    let p = job.planes;
    let [py, pu, pv] = &p.ch;
    let row0 = p.start(y);
    let kernels = &job.kernels[y * p.w..][..p.w];
    for x in 0..p.w {
        let (offsets, weights) = job.bank.kernel(kernels[x]);
        let centre = (row0 + x) as isize;
        // Two named sets (not an indexed pair), so the compiler can keep
        // them in registers.
        let (mut even, mut odd) = (Sums::ZERO, Sums::ZERO);
        let add = |sums: &mut Sums, off: isize, wt: &Weights| {
            let at = (centre + off) as usize;
            let (sy, su, sv) = (py[at], pu[at], pv[at]);
            for k in 0..8 {
                let wk = wt.0[k];
                sums.w[k] += wk;
                let wy = wk * sy;
                sums.y[k] += wy;
                sums.yy[k] += wy * sy;
                sums.u[k] += wk * su;
                sums.v[k] += wk * sv;
            }
        };
        let pairs = offsets.chunks_exact(2).zip(weights.chunks_exact(2));
        for (off, wt) in pairs {
            add(&mut even, off[0], &wt[0]);
            add(&mut odd, off[1], &wt[1]);
        }
        if let (Some(&off), Some(wt)) = (
            offsets.chunks_exact(2).remainder().first(),
            weights.chunks_exact(2).remainder().first(),
        ) {
            add(&mut even, off, wt);
        }
        let (even, odd) = (&even, &odd);
        let add = |a: &[f32; 8], b: &[f32; 8]| std::array::from_fn(|k| a[k] + b[k]);
        let sums = Sums {
            w: add(&even.w, &odd.w),
            y: add(&even.y, &odd.y),
            yy: add(&even.yy, &odd.yy),
            u: add(&even.u, &odd.u),
            v: add(&even.v, &odd.v),
        };
        [out_y[x], out_u[x], out_v[x]] = finish(&sums, job.half_q, job.int_q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_match_powf() {
        for n in 1..=16u32 {
            for x in [1e-6f32, 0.01, 0.5, 1.0, 1.7, 3.0, 40.0] {
                let want = x.powi(n as i32).min(POW_CAP);
                let got = powi(x, n);
                assert!(
                    (got - want).abs() <= want * 1e-5,
                    "{x}^{n}: {got} against {want}"
                );
                // The log2/exp2 route, for odd q (clamped to 2^-64..2^64).
                let approx = exp2_approx(n as f32 * log2_approx(x));
                let want = want.max(1.0 / POW_CAP);
                assert!(
                    (approx / want - 1.0).abs() < 1e-3 * n as f32,
                    "{x}^{n}: {approx} against {want}"
                );
            }
        }
    }

    #[test]
    fn kernel_index_wraps_half_turns() {
        use std::f32::consts::PI;
        // Opposite directions are the same ellipse.
        assert_eq!(Bank::index(0.1, 0.5), Bank::index(0.1 + PI, 0.5));
        assert_eq!(Bank::index(-0.1, 0.5), Bank::index(PI - 0.1, 0.5));
        assert_eq!(Bank::index(PI, 0.0), Bank::index(0.0, 0.0));
        for angle in [-PI, -1.0, 0.0, 1.0, PI] {
            for a in [0.0, 0.5, 1.0] {
                assert!((Bank::index(angle, a) as usize) < ANGLES * LEVELS);
            }
        }
        for (y, x) in [(1.0f32, 2.0f32), (-3.0, 0.5), (0.2, -1.0), (-1.0, -1.0)] {
            assert!((atan2_approx(y, x) - y.atan2(x)).abs() < 0.01);
        }
    }
}
