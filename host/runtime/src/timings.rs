//! Per-frame times kept in constant memory: a count and a sum for the mean,
//! and a logarithmic histogram (buckets 5% apart) for percentiles, so a
//! stage running for days does not accumulate a sample per frame.

use std::time::Duration;

/// Buckets from 1 µs up: bucket i holds times below 1.05^(i+1) µs.
const BUCKETS: usize = 400;
const GROWTH: f64 = 1.05;

#[derive(Clone, Debug)]
pub struct Timings {
    count: u64,
    total: Duration,
    buckets: Vec<u64>,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            count: 0,
            total: Duration::ZERO,
            buckets: vec![0; BUCKETS],
        }
    }
}

impl Timings {
    pub fn record(&mut self, time: Duration) {
        self.count += 1;
        self.total += time;
        let micros = time.as_secs_f64() * 1e6;
        let index = if micros <= 1.0 {
            0
        } else {
            (micros.ln() / GROWTH.ln()) as usize
        };
        self.buckets[index.min(BUCKETS - 1)] += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn mean(&self) -> Duration {
        if self.count == 0 {
            Duration::ZERO
        } else {
            self.total / self.count as u32
        }
    }

    /// The time below which `fraction` (0.0..=1.0) of the calls fell, to
    /// within 5% (the upper edge of its bucket).
    pub fn percentile(&self, fraction: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let wanted = ((self.count as f64 * fraction).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= wanted {
                return Duration::from_secs_f64(GROWTH.powi(i as i32 + 1) * 1e-6);
            }
        }
        Duration::from_secs_f64(GROWTH.powi(BUCKETS as i32) * 1e-6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_percentiles_within_five_percent() {
        let mut t = Timings::default();
        for ms in 1..=100 {
            t.record(Duration::from_millis(ms));
        }
        assert_eq!(t.count(), 100);
        assert_eq!(t.mean(), Duration::from_micros(50_500));
        let p99 = t.percentile(0.99).as_secs_f64() * 1e3;
        assert!((99.0..=99.0 * 1.05 + 0.01).contains(&p99), "{p99}");
        let p50 = t.percentile(0.5).as_secs_f64() * 1e3;
        assert!((50.0..=50.0 * 1.05 + 0.01).contains(&p50), "{p50}");
        assert_eq!(Timings::default().percentile(0.99), Duration::ZERO);
    }
}
