//! Voice activity over a stream: the sound resampled to 16 kHz (a
//! windowed-sinc low-pass at 7.2 kHz, so music and noise above speech do
//! not fold into it) and scored every 16 ms by `earshot`'s detector;
//! steps under -60 dBFS score 0 (on digital silence the network still
//! says 0.2 or so).

/// The detector's rate and its step, in samples.
const RATE: f64 = 16_000.0;
const STEP: usize = 256;
/// The resampling kernel's half width, in output samples.
const HALF: f64 = 8.0;
/// The low-pass cut-off as a share of the output's Nyquist frequency.
const CUTOFF: f64 = 0.9;
/// Steps quieter than -60 dBFS are not voice.
const SILENCE_POWER: f32 = 1e-6;

pub struct Voice {
    rate: u32,
    detector: Box<earshot::Detector>,
    /// Input samples not yet wholly used, and the input index of the first.
    input: Vec<f32>,
    input_start: u64,
    /// The next output sample's index.
    next: u64,
    chunk: Vec<f32>,
}

impl Voice {
    pub fn new(rate: u32) -> Voice {
        Voice {
            rate,
            detector: earshot::Detector::default_boxed(),
            input: Vec::new(),
            input_start: 0,
            next: 0,
            chunk: Vec::with_capacity(STEP),
        }
    }

    /// Feeds mono samples; returns the scores of the 16 ms steps they
    /// complete, each with the input sample index its step starts at.
    pub fn feed(&mut self, samples: &[f32]) -> Vec<(u64, f32)> {
        self.input.extend_from_slice(samples);
        let ratio = self.rate as f64 / RATE;
        // The kernel's reach in input samples, and its cut-off in cycles a
        // sample of input.
        let reach = HALF * ratio.max(1.0);
        let cutoff = CUTOFF * 0.5 / ratio.max(1.0);
        let end = self.input_start + self.input.len() as u64;
        let mut scores = Vec::new();
        loop {
            let centre = self.next as f64 * ratio;
            if centre + reach >= end as f64 {
                break;
            }
            let first = (centre - reach).ceil().max(0.0) as u64;
            let last = (centre + reach).floor() as u64;
            let (mut sum, mut weights) = (0f64, 0f64);
            for i in first.max(self.input_start)..=last {
                let x = i as f64 - centre;
                let sinc = if x == 0.0 {
                    2.0 * cutoff
                } else {
                    (std::f64::consts::TAU * cutoff * x).sin() / (std::f64::consts::PI * x)
                };
                // A Hann window over the reach.
                let w = 0.5 + 0.5 * (std::f64::consts::PI * x / reach).cos();
                let k = sinc * w;
                sum += k * self.input[(i - self.input_start) as usize] as f64;
                weights += k;
            }
            let value = if weights != 0.0 { sum / weights } else { 0.0 };
            self.chunk.push((value as f32).clamp(-1.0, 1.0));
            self.next += 1;
            if self.chunk.len() == STEP {
                let mut score = self.detector.predict_f32(&self.chunk);
                // Near-silence holds no speech, whatever the network's
                // memory of the last syllable says.
                let power = self.chunk.iter().map(|v| v * v).sum::<f32>() / STEP as f32;
                if power < SILENCE_POWER {
                    score = 0.0;
                }
                let start = ((self.next - STEP as u64) as f64 * ratio).round() as u64;
                scores.push((start, score.clamp(0.0, 1.0)));
                self.chunk.clear();
            }
        }
        // Input no later output sample reaches.
        let keep_from = ((self.next as f64 * ratio - reach).floor().max(0.0) as u64)
            .clamp(self.input_start, end);
        self.input.drain(..(keep_from - self.input_start) as usize);
        self.input_start = keep_from;
        scores
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_come_every_16_ms_at_any_rate() {
        for rate in [16_000u32, 44_100, 48_000] {
            let mut voice = Voice::new(rate);
            let mut steps = Vec::new();
            // One second in uneven pieces.
            let mut fed = 0;
            for piece in [1000usize, 333, 7000, 20000] {
                let n = piece.min(rate as usize - fed);
                steps.extend(voice.feed(&vec![0.0; n]));
                fed += n;
            }
            let rest = rate as usize - fed;
            steps.extend(voice.feed(&vec![0.0; rest]));
            // 62 whole steps in a second, less the kernel's reach at the end.
            assert!((61..=62).contains(&steps.len()), "{rate}: {}", steps.len());
            let gap = steps[1].0 - steps[0].0;
            assert!(
                (gap as f64 - 0.016 * rate as f64).abs() <= 1.0,
                "{rate}: {gap}"
            );
            assert!(steps.iter().all(|s| s.1 < 0.5), "silence is not voice");
        }
    }
}
