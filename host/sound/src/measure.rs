//! What the host measures once of a frame's span of sound, so every stage
//! that follows the sound reads the same numbers without computing them.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

/// The bands' edges in Hz: voicing, the first formant (open vowels), the
/// second formant in two halves (front vowels high, rounded ones low),
/// then sibilants and fricatives.
pub const BANDS: [(f32, f32); 6] = [
    (80.0, 300.0),
    (300.0, 900.0),
    (900.0, 2000.0),
    (2000.0, 3500.0),
    (3500.0, 6000.0),
    (6000.0, 8000.0),
];

thread_local! {
    /// Plans are made once per size and kept: frames come at a steady rate.
    static PLANNER: std::cell::RefCell<FftPlanner<f32>> = std::cell::RefCell::new(FftPlanner::new());
}

/// The floor every level is held at, in dBFS.
pub const FLOOR_DB: f32 = -120.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Measures {
    /// RMS level in dBFS (a full-scale sine reads -3).
    pub level_db: f32,
    pub peak_db: f32,
    /// Voice activity, 0..=1.
    pub voice: f32,
    /// Energy in each of [`BANDS`], dBFS.
    pub bands: [f32; 6],
}

fn db(power: f64) -> f32 {
    if power <= 0.0 {
        FLOOR_DB
    } else {
        (10.0 * power.log10()).max(FLOOR_DB as f64) as f32
    }
}

/// Level, peak and band energies of `samples` at `rate`, with `voice`
/// measured elsewhere (it needs the stream before the span).
pub fn measure(samples: &[f32], rate: u32, voice: f32) -> Measures {
    if samples.is_empty() {
        return Measures {
            level_db: FLOOR_DB,
            peak_db: FLOOR_DB,
            voice,
            bands: [FLOOR_DB; 6],
        };
    }
    let power = samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / samples.len() as f64;
    let peak = samples.iter().fold(0f32, |m, s| m.max(s.abs())) as f64;
    // Band energies by a Hann-windowed FFT of the span, zero-padded to a
    // power of two; scaled so that a full-scale sine inside one band reads
    // about -3 dBFS there, as its level does.
    let n = samples.len().next_power_of_two().max(256);
    let mut spectrum: Vec<Complex<f32>> = vec![Complex::new(0.0, 0.0); n];
    let last = (samples.len() - 1).max(1) as f32;
    let mut window_power = 0f64;
    for (i, (c, &s)) in spectrum.iter_mut().zip(samples).enumerate() {
        let w = 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / last).cos();
        window_power += (w as f64).powi(2);
        *c = Complex::new(s * w, 0.0);
    }
    PLANNER.with(|p| p.borrow_mut().plan_fft_forward(n).process(&mut spectrum));
    let bin_hz = rate as f32 / n as f32;
    let mut bands = [FLOOR_DB; 6];
    for (band, &(lo, hi)) in bands.iter_mut().zip(&BANDS) {
        if lo >= rate as f32 / 2.0 {
            continue;
        }
        let (from, to) = ((lo / bin_hz).ceil() as usize, (hi / bin_hz).ceil() as usize);
        let energy: f64 = spectrum[from.min(n / 2)..to.min(n / 2)]
            .iter()
            .map(|c| c.norm_sqr() as f64)
            .sum();
        // Parseval over the positive half: twice the energy, per sample of
        // the window's power.
        *band = db(2.0 * energy / (window_power * n as f64));
    }
    Measures {
        level_db: db(power),
        peak_db: db(peak * peak),
        voice,
        bands,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amplitude: f32, rate: u32, count: usize) -> Vec<f32> {
        (0..count)
            .map(|i| amplitude * (std::f32::consts::TAU * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn a_sine_reads_its_level_and_its_band() {
        // Half scale: RMS -9 dBFS, peak -6.
        let m = measure(&sine(440.0, 0.5, 48000, 1600), 48000, 0.0);
        assert!((m.level_db + 9.03).abs() < 0.1, "{m:?}");
        assert!((m.peak_db + 6.02).abs() < 0.1, "{m:?}");
        assert!((m.bands[1] - m.level_db).abs() < 1.0, "{m:?}");
        for (i, b) in m.bands.iter().enumerate() {
            if i != 1 {
                assert!(*b < m.bands[1] - 25.0, "band {i}: {m:?}");
            }
        }
        let m = measure(&sine(5000.0, 0.5, 48000, 1600), 48000, 0.0);
        assert!((m.bands[4] - m.level_db).abs() < 1.0, "{m:?}");
    }

    #[test]
    fn silence_reads_the_floor() {
        let m = measure(&[0.0; 1600], 48000, 0.0);
        assert_eq!(m.level_db, FLOOR_DB);
        assert_eq!(m.bands, [FLOOR_DB; 6]);
        // Bands above half the rate read the floor.
        let m = measure(&sine(440.0, 0.5, 8000, 400), 8000, 0.0);
        assert_eq!(m.bands[4], FLOOR_DB);
        assert_eq!(m.bands[5], FLOOR_DB);
    }
}
