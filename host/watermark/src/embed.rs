//! Embedding: the keyed tile, spread over the picture, added to luma with
//! a strength shaped by local texture.
//!
//! `Y' = Y + round(A * P)`, where `P` is the tile interpolated to the
//! picture's pixels (unit RMS, the same every frame) and `A` the mark's
//! local amplitude, set by texture (the standard deviation `s` of luma
//! over 12 x 12 pixels) so the mark costs every region about the same
//! structural similarity: SSIM (Wang et al. 2004) falls by about
//! `A^2 / (2 s^2 + C2)` where noise of RMS `A` is added, so
//! `A = sqrt(SSIM_LOSS * (2 s^2 + C2))`, at most [`STRENGTH`]. Truly flat
//! areas (`s` under half a code value), where any pattern would show,
//! get only [`FLAT`] (below one code value), ramping up to that curve by
//! `s` = 2. A frame whose mark would cost more than [`MAX_MSE`] is
//! marked more weakly, so every frame keeps a PSNR of at least 43 dB.

use crate::code::encode;
use crate::key::Key;
use crate::pattern::{Keyed, TILE, grid_size};

/// The largest amplitude (code values RMS), on strong texture.
pub const STRENGTH: f32 = 5.0;
/// The amplitude on flat areas (code values RMS).
pub const FLAT: f32 = 0.45;
/// The SSIM a region may lose to the mark.
const SSIM_LOSS: f32 = 0.02;
/// SSIM's stabilising constant for 8-bit pictures, (0.03 * 255)^2.
const C2: f32 = 58.5;
/// The mark's mean square a frame may not exceed: a PSNR of 43 dB.
pub const MAX_MSE: f32 = 255.0 * 255.0 / 19_952.62; // 10^(43/10)
/// The mask's blocks, in pixels.
const BLOCK: usize = 4;

/// A mark, ready for pictures of one size.
pub struct Embedder {
    width: usize,
    height: usize,
    /// The pattern at each pixel, times 256.
    pattern: Vec<i16>,
    /// The pattern's sum of squares in each mask block (for the PSNR
    /// bound), at `pattern`'s scale.
    block_energy: Vec<f32>,
    strength: f32,
    /// Scratch kept between frames (fresh buffers would cost page faults
    /// every frame): block sums, their 3 x 3 sums, the mask, a row's gains.
    sums: Vec<[u32; 3]>,
    across: Vec<[u32; 3]>,
    mask: Vec<f32>,
    gains: Vec<i32>,
}

/// What embedding a frame did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Embedded {
    /// The strength used (lower than asked when the PSNR bound held it
    /// back).
    pub strength: f32,
    /// The mark's mean square, before rounding (code values squared).
    pub mse: f32,
}

impl Embedder {
    /// The mark of `payload` under `key` for `width` x `height` pictures,
    /// at `strength` (0..=1 of [`STRENGTH`]).
    pub fn new(key: &Key, payload: u64, width: usize, height: usize, strength: f32) -> Embedder {
        let tile = Keyed::new(key).tile(&encode(payload));
        let (gw, gh) = grid_size(width, height);
        // Each pixel's centre on the grid, and the tile there (bilinear,
        // wrapping: the tile repeats).
        let axis = |n: usize, g: usize| -> Vec<(usize, usize, f32)> {
            (0..n)
                .map(|i| {
                    let p = ((i as f64 + 0.5) * g as f64 / n as f64 - 0.5).rem_euclid(TILE as f64);
                    let i0 = p.floor() as usize % TILE;
                    (i0, (i0 + 1) % TILE, (p - p.floor()) as f32)
                })
                .collect()
        };
        let (xs, ys) = (axis(width, gw), axis(height, gh));
        let mut pattern = vec![0i16; width * height];
        for (y, &(y0, y1, fy)) in ys.iter().enumerate() {
            let (r0, r1) = (&tile[y0 * TILE..][..TILE], &tile[y1 * TILE..][..TILE]);
            for (x, &(x0, x1, fx)) in xs.iter().enumerate() {
                let top = r0[x0] + (r0[x1] - r0[x0]) * fx;
                let bottom = r1[x0] + (r1[x1] - r1[x0]) * fx;
                let v = top + (bottom - top) * fy;
                pattern[y * width + x] = (v * 256.0).round().clamp(-32767.0, 32767.0) as i16;
            }
        }
        let (bw, bh) = (width.div_ceil(BLOCK), height.div_ceil(BLOCK));
        let mut block_energy = vec![0f32; bw * bh];
        for y in 0..height {
            for x in 0..width {
                let p = pattern[y * width + x] as f32 / 256.0;
                block_energy[(y / BLOCK) * bw + x / BLOCK] += p * p;
            }
        }
        Embedder {
            width,
            height,
            pattern,
            block_energy,
            strength: strength.clamp(0.0, 1.0) * STRENGTH,
            sums: vec![[0; 3]; bw * bh],
            across: vec![[0; 3]; bw * bh],
            mask: vec![0.0; bw * bh],
            gains: vec![0; width],
        }
    }

    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Marks a luma plane in place (`stride` bytes a row).
    pub fn embed(&mut self, luma: &mut [u8], stride: usize) -> Embedded {
        let (w, h) = (self.width, self.height);
        let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        // Block sums and sums of squares, from every second pixel of
        // every second row (the mask is a local statistic: a quarter of
        // the pixels estimate it as well, at a quarter of the cost).
        let Embedder {
            sums, across, mask, ..
        } = self;
        sums.fill([0; 3]);
        for y in (0..h).step_by(2) {
            let row = &luma[y * stride..][..w];
            let blocks = &mut sums[(y / BLOCK) * bw..][..bw];
            for (block, px) in blocks.iter_mut().zip(row.chunks(BLOCK)) {
                for &v in px.iter().step_by(2) {
                    let v = v as u32;
                    block[0] += v;
                    block[1] += v * v;
                    block[2] += 1;
                }
            }
        }
        // Over each block and its eight neighbours (12 x 12 pixels):
        // along rows, then down columns.
        for (src, dst) in sums.chunks(bw).zip(across.chunks_mut(bw)) {
            for x in 0..bw {
                let mut t = [0u32; 3];
                for b in &src[x.saturating_sub(1)..(x + 2).min(bw)] {
                    t = [t[0] + b[0], t[1] + b[1], t[2] + b[2]];
                }
                dst[x] = t;
            }
        }
        for by in 0..bh {
            for bx in 0..bw {
                let mut t = [0u32; 3];
                for ny in by.saturating_sub(1)..(by + 2).min(bh) {
                    let b = across[ny * bw + bx];
                    t = [t[0] + b[0], t[1] + b[1], t[2] + b[2]];
                }
                let n = t[2].max(1) as f32;
                let mean = t[0] as f32 / n;
                let var = (t[1] as f32 / n - mean * mean).max(0.0);
                let ramp = ((var.sqrt() - 0.5) / 1.5).clamp(0.0, 1.0);
                let amplitude = (SSIM_LOSS * (2.0 * var + C2)).sqrt() * ramp;
                mask[by * bw + bx] = amplitude.clamp(FLAT, STRENGTH) / STRENGTH;
            }
        }
        // The strength a frame can afford.
        let energy: f32 = self
            .mask
            .iter()
            .zip(&self.block_energy)
            .map(|(m, e)| m * m * e)
            .sum::<f32>()
            * self.strength
            * self.strength
            / (w * h) as f32;
        let strength = if energy > MAX_MSE {
            self.strength * (MAX_MSE / energy).sqrt()
        } else {
            self.strength
        };
        // Each block row's gains, one a pixel (so the rows below run as
        // straight loops the compiler vectorises).
        for y in 0..h {
            if y % BLOCK == 0 {
                let row = &self.mask[(y / BLOCK) * bw..][..bw];
                for (g, m) in self.gains.chunks_mut(BLOCK).zip(row) {
                    g.fill((strength * m * 256.0).round() as i32);
                }
            }
            let row = &mut luma[y * stride..][..w];
            let pattern = &self.pattern[y * w..][..w];
            for ((v, &p), &g) in row.iter_mut().zip(pattern).zip(&self.gains) {
                // The mark in code values, rounded: (p * 256) * (g * 256) / 65536.
                let d = (p as i32 * g + 32768) >> 16;
                *v = (*v as i32 + d).clamp(0, 255) as u8;
            }
        }
        Embedded {
            strength,
            mse: energy.min(MAX_MSE),
        }
    }
}
