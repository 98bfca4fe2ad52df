//! Tone and texture statistics of one image at the learning size: what
//! sets the painterly modes of `restyle`.

use crate::format::{Lines, Strokes, Tone};
use crate::toon::{XDOG_EPSILON, XDOG_K, XDOG_SIGMA, XDOG_TAU};

/// A luma picture (0..=1), row by row.
pub(crate) struct Luma {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Luma {
    fn at(&self, x: isize, y: isize) -> f32 {
        let x = x.clamp(0, self.width as isize - 1) as usize;
        let y = y.clamp(0, self.height as isize - 1) as usize;
        self.data[y * self.width + x]
    }

    /// Separable Gaussian blur (edges clamped).
    fn blurred(&self, sigma: f32) -> Luma {
        let radius = (3.0 * sigma).ceil() as isize;
        let taps: Vec<f32> = (-radius..=radius)
            .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f32 = taps.iter().sum();
        let taps: Vec<f32> = taps.iter().map(|t| t / sum).collect();
        let pass = |src: &Luma, dx: isize, dy: isize| {
            let mut data = vec![0.0; src.data.len()];
            for y in 0..src.height as isize {
                for x in 0..src.width as isize {
                    data[y as usize * src.width + x as usize] = taps
                        .iter()
                        .enumerate()
                        .map(|(k, t)| {
                            let o = k as isize - radius;
                            t * src.at(x + o * dx, y + o * dy)
                        })
                        .sum();
                }
            }
            Luma {
                width: src.width,
                height: src.height,
                data,
            }
        };
        pass(&pass(self, 1, 0), 0, 1)
    }

    /// Mean gradient magnitude (central differences).
    fn mean_gradient(&self) -> f32 {
        let mut sum = 0.0f64;
        for y in 0..self.height as isize {
            for x in 0..self.width as isize {
                let gx = (self.at(x + 1, y) - self.at(x - 1, y)) / 2.0;
                let gy = (self.at(x, y + 1) - self.at(x, y - 1)) / 2.0;
                sum += (gx * gx + gy * gy).sqrt() as f64;
            }
        }
        (sum / self.data.len().max(1) as f64) as f32
    }
}

/// The mean and spread of luma.
pub(crate) fn tone(luma: &Luma) -> Tone {
    let n = luma.data.len().max(1) as f64;
    let mean = luma.data.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = luma
        .data
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    Tone {
        luma_mean: mean as f32,
        luma_std: var.sqrt() as f32,
    }
}

/// Line work: the share of pixels XDoG marks as lines, and the mean edge
/// strength (luma gradient).
pub(crate) fn lines(luma: &Luma) -> Lines {
    let inner = luma.blurred(XDOG_SIGMA);
    let outer = luma.blurred(XDOG_SIGMA * XDOG_K);
    let on_line = inner
        .data
        .iter()
        .zip(&outer.data)
        .filter(|(a, b)| *a - XDOG_TAU * *b < XDOG_EPSILON)
        .count();
    Lines {
        edge_density: on_line as f32 / luma.data.len().max(1) as f32,
        edge_contrast: luma.mean_gradient(),
    }
}

/// Stroke scale: the blur (as a share of the picture's height) that
/// halves the picture's mean gradient. Fine texture loses its gradient
/// at the first blur; broad strokes keep theirs until the blur spans
/// them.
pub(crate) fn strokes(luma: &Luma) -> Strokes {
    let base = luma.mean_gradient();
    if base <= 1e-6 {
        return Strokes { scale: 0.0 };
    }
    let mut previous = (0.0f32, 1.0f32);
    for sigma in [0.5f32, 1.0, 2.0, 4.0, 8.0, 16.0] {
        let kept = luma.blurred(sigma).mean_gradient() / base;
        if kept <= 0.5 {
            // Interpolate where the kept share crosses one half.
            let (s0, k0) = previous;
            let t = (k0 - 0.5) / (k0 - kept).max(1e-6);
            let sigma_half = s0 + t * (sigma - s0);
            return Strokes {
                scale: sigma_half / luma.height as f32,
            };
        }
        previous = (sigma, kept);
    }
    Strokes {
        scale: 16.0 / luma.height as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: usize, height: usize, f: impl Fn(usize, usize) -> f32) -> Luma {
        let data = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        Luma {
            width,
            height,
            data,
        }
    }

    #[test]
    fn broad_strokes_have_a_larger_scale_than_fine_texture() {
        let fine = picture(128, 128, |x, y| ((x + y) % 2) as f32);
        let broad = picture(128, 128, |x, y| ((x / 16 + y / 16) % 2) as f32);
        let (f, b) = (strokes(&fine).scale, strokes(&broad).scale);
        assert!(b > 4.0 * f, "fine {f}, broad {b}");
    }

    #[test]
    fn line_drawings_have_lines_and_flat_grey_has_none() {
        let flat = picture(64, 64, |_, _| 0.5);
        assert_eq!(lines(&flat).edge_density, 0.0);
        let drawing = picture(
            64,
            64,
            |x, y| if x % 16 == 0 || y % 16 == 0 { 0.0 } else { 1.0 },
        );
        let l = lines(&drawing);
        assert!(l.edge_density > 0.1 && l.edge_contrast > 0.05, "{l:?}");
    }
}
