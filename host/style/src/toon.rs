//! The `toon` look: colours posterised to the style's palette, and dark
//! lines where XDoG (the extended difference of Gaussians, Winnemöller,
//! Kyprianidis and Olsen 2012) finds edges, as dense as the style's.

use crate::colour::to_lab;
use crate::format::PaletteColour;

/// XDoG at the learning size (512 pixels on the long side): the inner
/// blur, the outer blur's ratio, how much of the outer is taken away, and
/// the threshold `train` counts lines with.
pub const XDOG_SIGMA: f32 = 1.0;
pub const XDOG_K: f32 = 1.6;
pub const XDOG_TAU: f32 = 0.98;
pub const XDOG_EPSILON: f32 = -0.01;
/// How sharply a line darkens past the threshold (XDoG's phi).
const XDOG_PHI: f32 = 200.0;

/// Posterising: every colour to the nearest colour of a palette (in
/// CIELAB), looked up by its BT.709 limited-range YUV: a table of 64 luma
/// by 32 by 32 chroma cells, each holding its nearest palette colour, so
/// a pixel costs one lookup and borders stay crisp, as a cartoon's are.
pub struct PaletteTable {
    index: Vec<u8>,
    yuv: Vec<[u8; 3]>,
}

impl PaletteTable {
    pub fn new(palette: &[PaletteColour]) -> PaletteTable {
        let lab: Vec<[f32; 3]> = palette.iter().map(|p| to_lab(p.rgb)).collect();
        let yuv = palette.iter().map(|p| to_yuv(p.rgb)).collect();
        let mut index = vec![0u8; 64 * 32 * 32];
        if !lab.is_empty() {
            for (cell, slot) in index.iter_mut().enumerate() {
                // The cell's centre.
                let (y, u, v) = (
                    (cell >> 10) * 4 + 2,
                    (cell >> 5 & 31) * 8 + 4,
                    (cell & 31) * 8 + 4,
                );
                let c = to_lab(to_rgb(y as f32, u as f32, v as f32));
                let d = |p: &[f32; 3]| {
                    (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2)
                };
                *slot = (0..lab.len())
                    .min_by(|&a, &b| d(&lab[a]).total_cmp(&d(&lab[b])))
                    .unwrap_or(0) as u8;
            }
        }
        PaletteTable { index, yuv }
    }

    /// The palette colour (YUV) nearest to a pixel's YUV; the pixel
    /// itself when the palette is empty.
    #[inline]
    pub fn nearest(&self, y: u8, u: u8, v: u8) -> [u8; 3] {
        if self.yuv.is_empty() {
            return [y, u, v];
        }
        let cell = (y as usize >> 2) << 10 | (u as usize >> 3) << 5 | v as usize >> 3;
        self.yuv[self.index[cell] as usize]
    }
}

/// BT.709 limited-range YUV (codes) to RGB in 0..=1.
fn to_rgb(y: f32, u: f32, v: f32) -> [f32; 3] {
    let (y, u, v) = ((y - 16.0) / 219.0, (u - 128.0) / 224.0, (v - 128.0) / 224.0);
    [y + 1.5748 * v, y - 0.1873 * u - 0.4681 * v, y + 1.8556 * u].map(|c| c.clamp(0.0, 1.0))
}

/// RGB in 0..=1 to BT.709 limited-range YUV codes.
fn to_yuv(rgb: [f32; 3]) -> [u8; 3] {
    let y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    let (u, v) = ((rgb[2] - y) / 1.8556, (rgb[0] - y) / 1.5748);
    [16.0 + 219.0 * y, 128.0 + 224.0 * u, 128.0 + 224.0 * v]
        .map(|c| c.round().clamp(0.0, 255.0) as u8)
}

/// The XDoG response of a luma plane, at half its size (where the plugin
/// computes lines: a quarter of the work, and lines two pixels wide).
pub struct Response {
    pub width: usize,
    pub height: usize,
    /// Inner blur minus `XDOG_TAU` times the outer, luma 0..=1.
    pub values: Vec<f32>,
}

/// The XDoG response of `luma` (`width` x `height`, packed rows). The
/// blurs scale with the picture, as they would at the learning size.
pub fn response(luma: &[u8], width: usize, height: usize) -> Response {
    let (hw, hh) = (width.div_ceil(2), height.div_ceil(2));
    let mut half = vec![0f32; hw * hh];
    for y in 0..hh {
        for x in 0..hw {
            let (x0, y0) = (2 * x, 2 * y);
            let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
            let sum = luma[y0 * width + x0] as u32
                + luma[y0 * width + x1] as u32
                + luma[y1 * width + x0] as u32
                + luma[y1 * width + x1] as u32;
            half[y * hw + x] = sum as f32 / (4.0 * 255.0);
        }
    }
    // At least 2 half-size pixels: below that the box approximation
    // rounds the inner and outer blurs to the same box.
    let sigma = (XDOG_SIGMA * hw.max(hh) as f32 / 512.0).max(2.0);
    let inner = gaussian(&half, hw, hh, sigma);
    let outer = gaussian(&half, hw, hh, sigma * XDOG_K);
    Response {
        width: hw,
        height: hh,
        values: inner
            .iter()
            .zip(&outer)
            .map(|(a, b)| a - XDOG_TAU * b)
            .collect(),
    }
}

/// The threshold that marks `density` of the response as lines (its
/// quantile): lines as dense as the style's, whatever the content.
pub fn threshold(response: &Response, density: f32) -> f32 {
    let mut v = response.values.clone();
    if v.is_empty() {
        return 0.0;
    }
    let i = ((density.clamp(0.0, 0.5) * v.len() as f32) as usize).min(v.len() - 1);
    let (_, at, _) = v.select_nth_unstable_by(i, f32::total_cmp);
    at.min(0.0)
}

/// Darkens `luma` (`width` x `height`, packed) where the response falls
/// below `epsilon`: XDoG's soft step, `1 + tanh(phi (r - epsilon))`.
pub fn draw_lines(luma: &mut [u8], width: usize, height: usize, response: &Response, epsilon: f32) {
    let factors: Vec<f32> = response
        .values
        .iter()
        .map(|&r| {
            if r >= epsilon {
                1.0
            } else {
                1.0 + (XDOG_PHI * (r - epsilon)).tanh()
            }
        })
        .collect();
    for (y, line) in luma.chunks_exact_mut(width).take(height).enumerate() {
        let row = &factors[(y / 2) * response.width..(y / 2 + 1) * response.width];
        for (pair, &f) in line.chunks_mut(2).zip(row) {
            if f < 1.0 {
                // Towards black (luma 16, limited range).
                for px in pair {
                    *px = (16.0 + (*px as f32 - 16.0).max(0.0) * f).round() as u8;
                }
            }
        }
    }
}

/// A Gaussian blur approximated by three box blurs (Wells 1986): each
/// pixel costs the same whatever the width. Edges clamp.
fn gaussian(data: &[f32], width: usize, height: usize, sigma: f32) -> Vec<f32> {
    // Box radius whose three passes give variance sigma^2.
    let radius = (((12.0 * sigma * sigma / 3.0 + 1.0).sqrt() - 1.0) / 2.0)
        .round()
        .max(1.0) as usize;
    let mut a = data.to_vec();
    let mut b = vec![0f32; data.len()];
    for _ in 0..3 {
        box_pass(&a, &mut b, width, height, radius, true);
        box_pass(&b, &mut a, width, height, radius, false);
    }
    a
}

/// One running-sum box blur along rows (`horizontal`) or down columns
/// (a row at a time, so memory is read in order). Edges clamp.
fn box_pass(
    src: &[f32],
    dst: &mut [f32],
    width: usize,
    height: usize,
    radius: usize,
    horizontal: bool,
) {
    let norm = 1.0 / (2 * radius + 1) as f32;
    let r = radius as isize;
    if horizontal {
        // Each row padded with its edge samples, so the running sum needs
        // no clamping.
        let mut padded = vec![0f32; width + 2 * radius + 1];
        for (s, d) in src.chunks_exact(width).zip(dst.chunks_exact_mut(width)) {
            padded[..radius].fill(s[0]);
            padded[radius..radius + width].copy_from_slice(s);
            padded[radius + width..].fill(s[width - 1]);
            let mut sum: f32 = padded[..2 * radius + 1].iter().sum();
            for (i, out) in d.iter_mut().enumerate() {
                *out = sum * norm;
                sum += padded[i + 2 * radius + 1] - padded[i];
            }
        }
        return;
    }
    let row = |y: isize| {
        let y = y.clamp(0, height as isize - 1) as usize;
        &src[y * width..(y + 1) * width]
    };
    let mut sums = vec![0f32; width];
    for y in -r..=r {
        for (s, v) in sums.iter_mut().zip(row(y)) {
            *s += v;
        }
    }
    for y in 0..height {
        for ((out, s), _) in dst[y * width..(y + 1) * width]
            .iter_mut()
            .zip(&sums)
            .zip(0..width)
        {
            *out = s * norm;
        }
        let (add, sub) = (row(y as isize + r + 1), row(y as isize - r));
        for ((s, a), b) in sums.iter_mut().zip(add).zip(sub) {
            *s += a - b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posterising_picks_the_nearest_palette_colour() {
        let palette = [
            PaletteColour {
                rgb: [0.9, 0.2, 0.1],
                share: 0.5,
            },
            PaletteColour {
                rgb: [0.1, 0.3, 0.8],
                share: 0.5,
            },
        ];
        let table = PaletteTable::new(&palette);
        let red = to_yuv([0.8, 0.3, 0.2]);
        assert_eq!(
            table.nearest(red[0], red[1], red[2]),
            to_yuv(palette[0].rgb)
        );
        let blue = to_yuv([0.2, 0.3, 0.7]);
        assert_eq!(
            table.nearest(blue[0], blue[1], blue[2]),
            to_yuv(palette[1].rgb)
        );
        assert_eq!(PaletteTable::new(&[]).nearest(1, 2, 3), [1, 2, 3]);
    }

    #[test]
    fn lines_follow_edges_and_leave_flat_areas() {
        // A bright square on a dark ground.
        let (w, h) = (128, 96);
        let mut luma: Vec<u8> = (0..w * h)
            .map(|i| {
                if (32..96).contains(&(i % w)) && (24..72).contains(&(i / w)) {
                    200
                } else {
                    60
                }
            })
            .collect();
        let before = luma.clone();
        let r = response(&luma, w, h);
        let eps = threshold(&r, 0.05);
        draw_lines(&mut luma, w, h, &r, eps);
        let changed = |x: usize, y: usize| luma[y * w + x] != before[y * w + x];
        assert!(!changed(64, 48) && !changed(5, 5), "flat areas stay");
        // Along the square's left edge (at x = 32), on its dark side, a
        // line.
        assert!(
            (20..34).any(|x| luma[48 * w + x] + 20 < before[48 * w + x]),
            "{:?}",
            &luma[48 * w + 16..48 * w + 40]
        );
    }
}
