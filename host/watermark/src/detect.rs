//! Detection: blind (no original needed), keyed, over many frames.
//!
//! Each frame's luma is reduced to the grid, whitened (its own low
//! frequencies taken away and its local contrast normalised, so
//! brightness and contrast changes do not matter) and added to an
//! [`Evidence`] sum: the mark is the same in every frame, the picture is
//! not, so the sum favours the mark. Frame rates and dropped frames do
//! not matter.
//!
//! A reading then searches scales (a crop and rescale magnifies the
//! pattern on the grid) and, at each, every shift of the tile at once by
//! correlating the folded sum with the sync pattern through an FFT. The
//! strongest candidates' chips, in turn, give soft bits for the list
//! Viterbi decoder; the payload counts only if its CRC holds and the sync
//! peak stands at least [`THRESHOLD`] deviations above the rest. The
//! chance that noise does both on any candidate tried is reported as the
//! reading's false-alarm probability.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use crate::code::{CODED_BITS, CRC_PASS, decode};
use crate::key::Key;
use crate::pattern::{CHIPS, Keyed, TILE, blur_cyclic, blur_cyclic_sigma, grid_size};

/// Scales searched: from a picture shrunk into a frame (0.88) to a 14%
/// crop scaled back (1.16).
const SCALES: (f32, f32, usize) = (0.88, 1.16, 71);
/// How far (in standard deviations) the sync peak must stand above the
/// other candidates for a payload to count.
pub const THRESHOLD: f32 = 5.5;
/// Sync peaks (each scale's best) tried, strongest first, until one
/// decodes.
const TRIES: usize = 4;

/// Whitened frames summed, on one grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    sum: Vec<f32>,
}

impl Evidence {
    pub fn new(width: usize, height: usize) -> Evidence {
        let (gw, gh) = grid_size(width, height);
        Evidence {
            width: gw,
            height: gh,
            frames: 0,
            sum: vec![0.0; gw * gh],
        }
    }

    /// Adds a frame's luma (`width` x `height`, `stride` bytes a row; a
    /// picture of another shape is refused).
    pub fn add_frame(&mut self, luma: &[u8], width: usize, height: usize, stride: usize) -> bool {
        if grid_size(width, height) != (self.width, self.height)
            || luma.len() < stride * (height - 1) + width
        {
            return false;
        }
        let grid = whiten(
            &reduce(luma, width, height, stride, self.width, self.height),
            self.width,
            self.height,
        );
        self.sum.iter_mut().zip(&grid).for_each(|(s, g)| *s += g);
        self.frames += 1;
        true
    }

    /// Adds another sum on the same grid.
    pub fn merge(&mut self, other: &Evidence) {
        if (other.width, other.height) == (self.width, self.height) {
            self.sum
                .iter_mut()
                .zip(&other.sum)
                .for_each(|(s, o)| *s += o);
            self.frames += other.frames;
        }
    }
}

/// What a reading of some evidence found.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// The payload, when its check holds and the sync peak passes
    /// [`THRESHOLD`].
    pub payload: Option<u64>,
    /// The sync peak, in standard deviations above the other candidates.
    pub score: f32,
    /// The chance that an unmarked picture (or a wrong key) reads as
    /// well: the payload counts only if it is small.
    pub false_alarm: f64,
    /// The pattern's magnification on the grid (1.0: not cropped).
    pub scale: f32,
    /// The tile's shift, in grid pixels.
    pub shift: (usize, usize),
}

/// A reading under way (see [`Detector::search`]).
pub struct Search {
    evidence: Evidence,
    /// The next scale to try.
    next: usize,
    /// Each scale's sync peak so far: score, scale, tile shift.
    peaks: Vec<(f32, f32, usize)>,
}

/// Reads evidence with a key's patterns.
pub struct Detector {
    keyed: Keyed,
    /// The blurred sync tile's spectrum, conjugated.
    sync: Vec<Complex<f32>>,
    fft: std::sync::Arc<dyn rustfft::Fft<f32>>,
    ifft: std::sync::Arc<dyn rustfft::Fft<f32>>,
}

impl Detector {
    pub fn new(key: &Key) -> Detector {
        let keyed = Keyed::new(key);
        let mut planner = FftPlanner::new();
        let fft = planner.plan_fft_forward(TILE);
        let ifft = planner.plan_fft_inverse(TILE);
        let mut sync = keyed.sync.clone();
        blur_cyclic(&mut sync);
        let mut spectrum: Vec<Complex<f32>> = sync.iter().map(|&v| Complex::new(v, 0.0)).collect();
        fft2(&*fft, &mut spectrum);
        spectrum.iter_mut().for_each(|c| *c = c.conj());
        Detector {
            keyed,
            sync: spectrum,
            fft,
            ifft,
        }
    }

    /// Reads evidence: every scale at once.
    pub fn read(&self, evidence: &Evidence) -> Reading {
        let mut search = self.search(evidence.clone());
        self.advance(&mut search, SCALES.2)
            .expect("every scale tried")
    }

    /// Starts a reading to be done a few scales at a time with
    /// [`Detector::advance`], so that a live stage spreads its cost over
    /// frames instead of stalling one.
    pub fn search(&self, evidence: Evidence) -> Search {
        Search {
            evidence,
            next: 0,
            peaks: Vec::with_capacity(SCALES.2),
        }
    }

    /// Tries up to `scales` more scales of `search`; once all are tried,
    /// the reading.
    pub fn advance(&self, search: &mut Search, scales: usize) -> Option<Reading> {
        let (gw, gh) = (search.evidence.width, search.evidence.height);
        let (lo, hi, steps) = SCALES;
        let mut spectrum = vec![Complex::new(0.0, 0.0); CHIPS];
        let end = search.next.saturating_add(scales).min(steps);
        for s in search.next..end {
            let scale = lo + (hi - lo) * s as f32 / (steps - 1) as f32;
            let fold = fold(&search.evidence.sum, gw, gh, scale);
            for (c, &v) in spectrum.iter_mut().zip(&fold) {
                *c = Complex::new(v, 0.0);
            }
            fft2(&*self.fft, &mut spectrum);
            spectrum
                .iter_mut()
                .zip(&self.sync)
                .for_each(|(a, b)| *a *= b);
            fft2(&*self.ifft, &mut spectrum);
            let corr: Vec<f32> = spectrum.iter().map(|c| c.re).collect();
            let (peak, at) =
                corr.iter()
                    .enumerate()
                    .fold(
                        (f32::NEG_INFINITY, 0),
                        |(m, a), (i, &v)| if v > m { (v, i) } else { (m, a) },
                    );
            let n = CHIPS as f32;
            let mean = corr.iter().sum::<f32>() / n;
            let std = (corr.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
            let z = if std > 0.0 { (peak - mean) / std } else { 0.0 };
            search.peaks.push((z, scale, at));
        }
        search.next = end;
        if end < steps {
            return None;
        }
        // The peaks above the threshold, strongest first, until one
        // decodes: near the true scale, a slightly wrong scale with a
        // compensating shift can outscore it when the mark is weak.
        let mut peaks = search.peaks.clone();
        peaks.sort_by(|a, b| b.0.total_cmp(&a.0));
        let tried = peaks
            .iter()
            .take(TRIES)
            .take_while(|p| p.0 >= THRESHOLD)
            .count();
        let read = peaks[..tried].iter().find_map(|&(score, scale, at)| {
            let shift = (at % TILE, at / TILE);
            let fold = fold(&search.evidence.sum, gw, gh, scale);
            decode(&self.soft_bits(&fold, shift)).map(|payload| (payload, score, scale, shift))
        });
        // The chance that noise has a peak this strong and passes the
        // check on one of the candidates tried.
        let alarm = |score: f32| {
            let candidates = (steps * CHIPS) as f64;
            (candidates * normal_tail(score as f64)).min(1.0) * CRC_PASS * tried.max(1) as f64
        };
        Some(match read {
            Some((payload, score, scale, shift)) => Reading {
                payload: Some(payload),
                score,
                false_alarm: alarm(score),
                scale,
                shift,
            },
            None => {
                let (score, scale, at) = peaks.first().copied().unwrap_or((0.0, 1.0, 0));
                Reading {
                    payload: None,
                    score,
                    false_alarm: alarm(score),
                    scale,
                    shift: (at % TILE, at / TILE),
                }
            }
        })
    }

    /// Soft values of the coded bits from a fold aligned at `shift`: each
    /// bit's chips correlated with the data signs, after the sync
    /// pattern's share is taken out.
    fn soft_bits(&self, fold: &[f32], (dx, dy): (usize, usize)) -> Vec<f32> {
        let mut aligned: Vec<f32> = (0..CHIPS)
            .map(|i| fold[((i / TILE + dy) % TILE) * TILE + (i % TILE + dx) % TILE])
            .collect();
        // Sharpened rather than matched to the blur: the embedding's blur
        // and the attacks' (scaling, H.264) spread each chip over its
        // neighbours, which carry other bits; undoing part of that spread
        // reads better than a matched blur (measured over 80 keys at 480p
        // and CRF 28, tests/bench/watermark.sh).
        let mut blurred = aligned.clone();
        blur_cyclic_sigma(&mut blurred, 1.0);
        aligned
            .iter_mut()
            .zip(&blurred)
            .for_each(|(a, b)| *a = 2.0 * *a - b);
        let mut sync = self.keyed.sync.clone();
        blur_cyclic(&mut sync);
        let gain = aligned.iter().zip(&sync).map(|(a, s)| a * s).sum::<f32>()
            / sync.iter().map(|s| s * s).sum::<f32>().max(1e-9);
        let mut soft = vec![0f32; CODED_BITS];
        for i in 0..CHIPS {
            let v = aligned[i] - gain * sync[i];
            soft[self.keyed.bit_of[i] as usize] += self.keyed.chips[i] * v;
        }
        let rms = (soft.iter().map(|v| v * v).sum::<f32>() / CODED_BITS as f32).sqrt();
        if rms > 0.0 {
            soft.iter_mut().for_each(|v| *v /= rms);
        }
        soft
    }
}

/// Sums the grid into one tile, as if the pattern were magnified by
/// `scale` (nearest grid pixel), mean removed.
fn fold(sum: &[f32], gw: usize, gh: usize, scale: f32) -> Vec<f32> {
    let phase = |i: usize| ((i as f32 / scale).round() as usize) % TILE;
    let cols: Vec<usize> = (0..gw).map(phase).collect();
    let mut fold = vec![0f32; CHIPS];
    for y in 0..gh {
        let row = &mut fold[phase(y) * TILE..][..TILE];
        for (&c, &v) in cols.iter().zip(&sum[y * gw..][..gw]) {
            row[c] += v;
        }
    }
    let mean = fold.iter().sum::<f32>() / CHIPS as f32;
    fold.iter_mut().for_each(|v| *v -= mean);
    fold
}

/// A 2D FFT of a tile, in place (rows, then columns).
fn fft2(fft: &dyn rustfft::Fft<f32>, data: &mut [Complex<f32>]) {
    fft.process(data);
    let mut column = vec![Complex::new(0.0, 0.0); TILE];
    for x in 0..TILE {
        for y in 0..TILE {
            column[y] = data[y * TILE + x];
        }
        fft.process(&mut column);
        for y in 0..TILE {
            data[y * TILE + x] = column[y];
        }
    }
}

/// Luma averaged down to the grid (each grid pixel the mean of the
/// pixels whose centres fall in it).
fn reduce(luma: &[u8], w: usize, h: usize, stride: usize, gw: usize, gh: usize) -> Vec<f32> {
    let span =
        |i: usize, n: usize, g: usize| (i * n / g, ((i + 1) * n / g).max(i * n / g + 1).min(n));
    let cols: Vec<(usize, usize)> = (0..gw).map(|i| span(i, w, gw)).collect();
    let mut grid = vec![0f32; gw * gh];
    let mut sums = vec![0u32; w];
    for gy in 0..gh {
        let (y0, y1) = span(gy, h, gh);
        sums.iter_mut().for_each(|s| *s = 0);
        for y in y0..y1 {
            for (s, &v) in sums.iter_mut().zip(&luma[y * stride..][..w]) {
                *s += v as u32;
            }
        }
        for (g, &(x0, x1)) in grid[gy * gw..][..gw].iter_mut().zip(&cols) {
            let total: u32 = sums[x0..x1].iter().sum();
            *g = total as f32 / ((x1 - x0) * (y1 - y0)) as f32;
        }
    }
    grid
}

/// The grid's detail (itself less a blur of sigma 1.4), divided by its
/// local RMS (a blur of sigma 3.5 of its square) and clipped, so each
/// region counts alike whatever its contrast.
fn whiten(grid: &[f32], gw: usize, gh: usize) -> Vec<f32> {
    let low = gaussian(grid, gw, gh, 1);
    let detail: Vec<f32> = grid.iter().zip(&low).map(|(g, l)| g - l).collect();
    let power = gaussian(&detail.iter().map(|d| d * d).collect::<Vec<_>>(), gw, gh, 3);
    detail
        .iter()
        .zip(&power)
        .map(|(d, p)| (d / (p.max(0.0).sqrt() + 0.5)).clamp(-2.5, 2.5))
        .collect()
}

/// A Gaussian blur approximated by three box blurs of `radius` (Wells
/// 1986: sigma = sqrt(radius (radius + 1))), edges clamped. Running sums:
/// the cost does not grow with the radius.
fn gaussian(data: &[f32], w: usize, h: usize, radius: usize) -> Vec<f32> {
    let mut a = data.to_vec();
    let mut b = vec![0f32; data.len()];
    let mut padded = vec![0f32; w + 2 * radius + 1];
    let mut sums = vec![0f32; w];
    let norm = 1.0 / (2 * radius + 1) as f32;
    for _ in 0..3 {
        // Along rows, each padded with its edge values.
        for (src, dst) in a.chunks_exact(w).zip(b.chunks_exact_mut(w)) {
            padded[..radius].fill(src[0]);
            padded[radius..radius + w].copy_from_slice(src);
            padded[radius + w..].fill(src[w - 1]);
            let mut sum: f32 = padded[..2 * radius + 1].iter().sum();
            for (i, out) in dst.iter_mut().enumerate() {
                *out = sum * norm;
                sum += padded[i + 2 * radius + 1] - padded[i];
            }
        }
        // Down columns, a row at a time.
        let row = |y: isize| {
            let y = y.clamp(0, h as isize - 1) as usize;
            &b[y * w..(y + 1) * w]
        };
        let r = radius as isize;
        sums.fill(0.0);
        for y in -r..=r {
            sums.iter_mut().zip(row(y)).for_each(|(s, v)| *s += v);
        }
        for y in 0..h {
            a[y * w..(y + 1) * w]
                .iter_mut()
                .zip(&sums)
                .for_each(|(o, s)| *o = s * norm);
            let (add, sub) = (row(y as isize + r + 1), row(y as isize - r));
            for ((s, p), m) in sums.iter_mut().zip(add).zip(sub) {
                *s += p - m;
            }
        }
    }
    a
}

/// The upper tail of the standard normal distribution, Q(z).
fn normal_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' erfcc, relative
/// error under 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_tail_is_right() {
        assert!((normal_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_tail(5.0) / 2.866_515_7e-7 - 1.0).abs() < 1e-4);
    }
}
