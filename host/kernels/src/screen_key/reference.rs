//! The row steps of the screen key, in plain loops over rows of floats
//! (the baseline level; `avx2.rs` compiles these same bodies again).

use super::{Ramp, Steps};

pub(super) const STEPS: Steps = Steps {
    key_row,
    project_row,
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
    fn new(width: usize) -> KeyRow {
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
    pub key: KeyRow,
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
            key: KeyRow::new(width),
            r: row(),
            g: row(),
            b: row(),
            a: row(),
            words: vec![0; width],
        }
    }
}

fn key_row(row: &mut [u8], s: &mut Scratch, ramp: &Ramp) {
    key_row_body(row, s, ramp)
}

fn project_row(row: &[u8], key: [f32; 3], proj: &mut [f32], off: &mut [f32]) {
    project_row_body(row, key, proj, off)
}

/// Keys one RGBA row against `s.key`: alpha by the ramp, colour unmixed
/// and despilled, premultiplied.
#[inline(always)]
pub(super) fn key_row_body(row: &mut [u8], s: &mut Scratch, ramp: &Ramp) {
    let w = row.len() / 4;
    let (r, g, b, a) = (&mut s.r[..w], &mut s.g[..w], &mut s.b[..w], &mut s.a[..w]);
    let (kr, kg, kb) = (&s.key.r[..w], &s.key.g[..w], &s.key.b[..w]);
    let [ur, ug, ub] = &s.key.u;
    let [wr, wg, wb] = &s.key.w;
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
