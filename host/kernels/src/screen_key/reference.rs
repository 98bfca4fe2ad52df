//! The row steps of the screen key, in plain loops over rows of floats
//! (the baseline level; `avx2.rs` compiles these same bodies again).

use super::{Ramp, Steps};

pub(super) const STEPS: Steps = Steps {
    key_row,
    project_row,
    yuv_blocks,
    yuv_row,
};

/// Per-pixel screen colours for one row, channel by channel, and what
/// the key needs of them: the chroma `u` (colour minus its grey mean) and
/// `w = u / |u|^2`, on which a pixel's chroma projects to its share.
pub struct KeyRow {
    pub r: Vec<f32>,
    pub g: Vec<f32>,
    pub b: Vec<f32>,
    u: [Vec<f32>; 3],
    w: [Vec<f32>; 3],
}

impl KeyRow {
    pub fn new(width: usize) -> KeyRow {
        let row = || vec![0.0f32; width];
        KeyRow {
            r: row(),
            g: row(),
            b: row(),
            u: [row(), row(), row()],
            w: [row(), row(), row()],
        }
    }

    /// `u` and `w` from the colours, after they change.
    pub fn derive(&mut self) {
        let third = 1.0f32 / 3.0;
        let [ur, ug, ub] = &mut self.u;
        let [wr, wg, wb] = &mut self.w;
        let w = self.r.len();
        let (r, g, b) = (&self.r[..w], &self.g[..w], &self.b[..w]);
        let (ur, ug, ub, wr, wg, wb) = (
            &mut ur[..w],
            &mut ug[..w],
            &mut ub[..w],
            &mut wr[..w],
            &mut wg[..w],
            &mut wb[..w],
        );
        for x in 0..w {
            let m = (r[x] + g[x] + b[x]) * third;
            let (cr, cg, cb) = (r[x] - m, g[x] - m, b[x] - m);
            let inv_n = 1.0 / (cr * cr + cg * cg + cb * cb);
            (ur[x], ug[x], ub[x]) = (cr, cg, cb);
            (wr[x], wg[x], wb[x]) = (cr * inv_n, cg * inv_n, cb * inv_n);
        }
    }
}

/// Working rows, made once per frame.
pub struct Scratch {
    r: Vec<f32>,
    g: Vec<f32>,
    b: Vec<f32>,
    a: Vec<f32>,
    /// The row's pixels as little-endian words.
    words: Vec<u32>,
}

impl Scratch {
    pub fn new(width: usize) -> Scratch {
        let row = || vec![0.0f32; width];
        Scratch {
            r: row(),
            g: row(),
            b: row(),
            a: row(),
            words: vec![0; width],
        }
    }
}

fn key_row(row: &mut [u8], key: &KeyRow, s: &mut Scratch, ramp: &Ramp) {
    key_row_body(row, key, s, ramp)
}

fn project_row(row: &[u8], key: [f32; 3], proj: &mut [f32], off: &mut [f32]) {
    project_row_body(row, key, proj, off)
}

/// Keys one RGBA row against `key`: alpha by the ramp, colour unmixed
/// and despilled, premultiplied.
#[inline(always)]
pub(super) fn key_row_body(row: &mut [u8], key: &KeyRow, s: &mut Scratch, ramp: &Ramp) {
    let w = row.len() / 4;
    let (r, g, b, a) = (&mut s.r[..w], &mut s.g[..w], &mut s.b[..w], &mut s.a[..w]);
    let (kr, kg, kb) = (&key.r[..w], &key.g[..w], &key.b[..w]);
    let [ur, ug, ub] = &key.u;
    let [wr, wg, wb] = &key.w;
    let (ur, ug, ub, wr, wg, wb) = (&ur[..w], &ug[..w], &ub[..w], &wr[..w], &wg[..w], &wb[..w]);
    // Bytes to words one pixel at a time, then words to channels in plain
    // slice loops the compiler turns into vectors (shifts and masks).
    let words = &mut s.words[..w];
    for (word, px) in words.iter_mut().zip(row.chunks_exact(4)) {
        *word = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
    }
    for x in 0..w {
        let v = words[x];
        r[x] = (v & 0xff) as f32;
        g[x] = ((v >> 8) & 0xff) as f32;
        b[x] = ((v >> 16) & 0xff) as f32;
        a[x] = (v >> 24) as f32 * (1.0 / 255.0);
    }
    let third = 1.0f32 / 3.0;
    for x in 0..w {
        // The pixel's chroma on the screen's, as a share of it.
        let m = (r[x] + g[x] + b[x]) * third;
        let proj = (r[x] - m) * wr[x] + (g[x] - m) * wg[x] + (b[x] - m) * wb[x];
        let alpha = ((ramp.high - proj) * ramp.inv_width).clamp(0.0, 1.0);
        // a F = C - (1 - a) K.
        let rest = 1.0 - alpha;
        let (pr, pg, pb) = (
            r[x] - rest * kr[x],
            g[x] - rest * kg[x],
            b[x] - rest * kb[x],
        );
        // What is left of the screen's chroma on the subject.
        let pm = (pr + pg + pb) * third;
        let left = (pr - pm) * wr[x] + (pg - pm) * wg[x] + (pb - pm) * wb[x];
        let cut = ramp.spill * left.max(0.0);
        let top = 255.0 * alpha;
        let coverage = a[x];
        r[x] = (pr - cut * ur[x]).max(0.0).min(top) * coverage;
        g[x] = (pg - cut * ug[x]).max(0.0).min(top) * coverage;
        b[x] = (pb - cut * ub[x]).max(0.0).min(top) * coverage;
        a[x] = top * coverage;
    }
    // Every value lies in 0..=255 by now. Adding 2^23 leaves the value,
    // rounded to nearest (even), in the float's low mantissa bits: a
    // rounding the vectors do with an add and a subtract, where Rust's
    // saturating `as` goes lane by lane.
    let magic = 8_388_608.0f32;
    let round = |v: f32| (v + magic).to_bits() - magic.to_bits();
    for x in 0..w {
        words[x] = round(r[x]) | round(g[x]) << 8 | round(b[x]) << 16 | round(a[x]) << 24;
    }
    for (px, word) in row.chunks_exact_mut(4).zip(words.iter()) {
        px.copy_from_slice(&word.to_le_bytes());
    }
}

/// Working rows of the key from YUV: per pixel, what its chroma sample
/// (shared by a 2x2 block) makes of it.
pub struct YuvScratch {
    /// What is added to the pixel's luma (scaled to RGB) for each channel
    /// of its keyed colour: the sample's colour offset, less the screen's
    /// share and the spill.
    off_r: Vec<f32>,
    off_g: Vec<f32>,
    off_b: Vec<f32>,
    /// The alpha, as a byte value.
    top: Vec<f32>,
    /// The chroma row widened to one sample per pixel.
    u: Vec<u8>,
    v: Vec<u8>,
    words: Vec<u32>,
}

impl YuvScratch {
    pub fn new(width: usize) -> YuvScratch {
        let row = || vec![0.0f32; width];
        YuvScratch {
            off_r: row(),
            off_g: row(),
            off_b: row(),
            top: row(),
            u: vec![0; width],
            v: vec![0; width],
            words: vec![0; width],
        }
    }
}

fn yuv_blocks(u: &[u8], v: &[u8], key: &KeyRow, y: &mut YuvScratch, ramp: &Ramp) {
    yuv_blocks_body(u, v, key, y, ramp)
}

fn yuv_row(luma: &[u8], out: &mut [u8], y: &mut YuvScratch) {
    yuv_row_body(luma, out, y)
}

/// BT.709 limited range to RGB, as `convert` does it (its fixed point
/// over 2^13), in floats: luma's scale and the chroma's offsets.
const Y_SCALE: f32 = 9539.0 / 8192.0;
const R_V: f32 = 14686.0 / 8192.0;
const G_U: f32 = 1747.0 / 8192.0;
const G_V: f32 = 4366.0 / 8192.0;
const B_U: f32 = 17305.0 / 8192.0;

/// What each chroma sample of a row makes of the pixels under it, for
/// the `out.top.len()` pixels of a row. A pixel's chroma is its sample's
/// whatever its luma (luma adds the same to each channel), so alpha and
/// spill are the block's; so is what keying takes off each channel, the
/// screen's share `(1 - a) K` and the spill along the screen's chroma:
/// only the luma is left to add per pixel.
#[inline(always)]
pub(super) fn yuv_blocks_body(u: &[u8], v: &[u8], key: &KeyRow, s: &mut YuvScratch, ramp: &Ramp) {
    let w = s.top.len();
    for (x, (pu, pv)) in s.u.iter_mut().zip(s.v.iter_mut()).enumerate() {
        (*pu, *pv) = (u[x / 2], v[x / 2]);
    }
    let (uw, vw) = (&s.u[..w], &s.v[..w]);
    let (off_r, off_g, off_b, top) = (
        &mut s.off_r[..w],
        &mut s.off_g[..w],
        &mut s.off_b[..w],
        &mut s.top[..w],
    );
    let (kr, kg, kb) = (&key.r[..w], &key.g[..w], &key.b[..w]);
    let [ur, ug, ub] = &key.u;
    let (ur, ug, ub) = (&ur[..w], &ug[..w], &ub[..w]);
    let [wr, wg, wb] = &key.w;
    let (wr, wg, wb) = (&wr[..w], &wg[..w], &wb[..w]);
    let third = 1.0f32 / 3.0;
    for x in 0..w {
        let (d, e) = (uw[x] as f32 - 128.0, vw[x] as f32 - 128.0);
        let (r, g, b) = (R_V * e, -G_U * d - G_V * e, B_U * d);
        // The chroma on the screen's, as a share of it.
        let m = (r + g + b) * third;
        let proj = (r - m) * wr[x] + (g - m) * wg[x] + (b - m) * wb[x];
        let alpha = ((ramp.high - proj) * ramp.inv_width).clamp(0.0, 1.0);
        // a F = C - (1 - a) K; its chroma's share of the screen's is what
        // is left of the screen on the subject, taken out along it.
        let rest = 1.0 - alpha;
        let cut = ramp.spill * (proj - rest).max(0.0);
        off_r[x] = r - rest * kr[x] - cut * ur[x];
        off_g[x] = g - rest * kg[x] - cut * ug[x];
        off_b[x] = b - rest * kb[x] - cut * ub[x];
        top[x] = 255.0 * alpha;
    }
}

/// One luma row keyed into an RGBA row: each channel its luma plus its
/// block's offset, within 0 and the block's alpha (premultiplied).
#[inline(always)]
pub(super) fn yuv_row_body(luma: &[u8], out: &mut [u8], s: &mut YuvScratch) {
    let w = out.len() / 4;
    let (off_r, off_g, off_b, top) = (&s.off_r[..w], &s.off_g[..w], &s.off_b[..w], &s.top[..w]);
    let luma = &luma[..w];
    let words = &mut s.words[..w];
    let magic = 8_388_608.0f32;
    let round = |v: f32| (v + magic).to_bits() - magic.to_bits();
    for x in 0..w {
        let yl = (luma[x] as f32 - 16.0) * Y_SCALE;
        let t = top[x];
        let r = (yl + off_r[x]).max(0.0).min(t);
        let g = (yl + off_g[x]).max(0.0).min(t);
        let b = (yl + off_b[x]).max(0.0).min(t);
        words[x] = round(r) | round(g) << 8 | round(b) << 16 | round(t) << 24;
    }
    for (px, word) in out.chunks_exact_mut(4).zip(words.iter()) {
        px.copy_from_slice(&word.to_le_bytes());
    }
}

/// Each pixel's chroma projected on `key`'s, as a share of it (`proj`),
/// and the square of what lies off that line, in the same unit (`off`).
#[inline(always)]
pub(super) fn project_row_body(row: &[u8], key: [f32; 3], proj: &mut [f32], off: &mut [f32]) {
    let third = 1.0f32 / 3.0;
    let km = (key[0] + key[1] + key[2]) * third;
    let (ur, ug, ub) = (key[0] - km, key[1] - km, key[2] - km);
    let inv_n = 1.0 / (ur * ur + ug * ug + ub * ub);
    for ((px, p), o) in row.chunks_exact(4).zip(proj.iter_mut()).zip(off.iter_mut()) {
        let (r, g, b) = (px[0] as f32, px[1] as f32, px[2] as f32);
        let m = (r + g + b) * third;
        let (cr, cg, cb) = (r - m, g - m, b - m);
        let along = (cr * ur + cg * ug + cb * ub) * inv_n;
        *p = along;
        *o = (cr * cr + cg * cg + cb * cb) * inv_n - along * along;
    }
}
