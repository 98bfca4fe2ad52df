//! Blinks at natural random intervals: 2 to 6 s apart, now and then a
//! double blink, each closing in 0.1 s and opening in 0.15 s. The times
//! come from a seeded generator and the stream's clock, so a file job
//! blinks the same way every run.

pub struct Blinks {
    state: u64,
    /// Blink start times (s) drawn so far, in order.
    times: Vec<f64>,
}

const CLOSING: f64 = 0.10;
const OPENING: f64 = 0.15;

impl Blinks {
    pub fn new(seed: u64) -> Blinks {
        Blinks {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            times: Vec::new(),
        }
    }

    /// The next draw, uniform in 0..1.
    pub fn uniform(&mut self) -> f64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// How closed the eyes are at `t` seconds: 0 open, 1 shut.
    pub fn closure(&mut self, t: f64) -> f32 {
        while self.times.last().is_none_or(|&last| last < t + 1.0) {
            let last = self.times.last().copied().unwrap_or(0.5);
            let next = if self.uniform() < 0.1 {
                last + 0.35
            } else {
                last + 2.0 + 4.0 * self.uniform()
            };
            self.times.push(next);
        }
        let Some(&start) = self.times.iter().rev().find(|&&s| s <= t) else {
            return 0.0;
        };
        let d = t - start;
        let c = if d < CLOSING {
            d / CLOSING
        } else if d < CLOSING + OPENING {
            1.0 - (d - CLOSING) / OPENING
        } else {
            0.0
        };
        c.clamp(0.0, 1.0) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blinks_happen_and_vary() {
        let mut blinks = Blinks::new(7);
        let mut starts = Vec::new();
        let mut was_shut = false;
        for frame in 0..30 * 60 {
            let shut = blinks.closure(frame as f64 / 30.0) > 0.5;
            if shut && !was_shut {
                starts.push(frame as f64 / 30.0);
            }
            was_shut = shut;
        }
        let gaps: Vec<f64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        assert!((9..=30).contains(&starts.len()), "{starts:?}");
        let (lo, hi) = gaps
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), g| (l.min(*g), h.max(*g)));
        assert!(hi - lo > 1.5, "{gaps:?}");
        // The same seed blinks the same way.
        let mut again = Blinks::new(7);
        assert_eq!(
            again.closure(starts[3] + 0.05),
            Blinks::new(7).closure(starts[3] + 0.05)
        );
    }
}
