//! The mouth from the sound, frame by frame, as Rhubarb Lip Sync's mouth
//! shapes are chosen from speech, but in real time from what the host
//! measures of each frame: how far the mouth opens follows the level
//! (gated by voice activity, so noise and silence keep it closed), and its
//! shape follows the spectrum: energy of the second formant against the
//! first spreads it wide (an "ee"), little of either rounds it (an "oo"),
//! a strong first formant opens it tall (an "aa"), and hiss above 3.5 kHz
//! leaves it just apart (an "s").

/// Levels (dBFS) where the mouth starts to open and where it is wide open.
const QUIET_DB: f32 = -48.0;
const LOUD_DB: f32 = -18.0;

/// The mouth's pose: how open (0 closed, 1 wide open) and how wide (1 at
/// rest, more for "ee", less for "oo").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mouth {
    pub open: f32,
    pub width: f32,
    pub shape: Shape,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Rest,
    Open,
    Wide,
    Round,
    Hiss,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Rest => "rest",
            Shape::Open => "aa",
            Shape::Wide => "ee",
            Shape::Round => "oh",
            Shape::Hiss => "ss",
        }
    }
}

pub struct LipSync {
    mouth: Mouth,
}

impl Default for LipSync {
    fn default() -> Self {
        LipSync {
            mouth: Mouth {
                open: 0.0,
                width: 1.0,
                shape: Shape::Rest,
            },
        }
    }
}

fn ramp(v: f32, lo: f32, hi: f32) -> f32 {
    ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
}

impl LipSync {
    /// The pose for a frame with `level` (dBFS), `voice` (0..=1) and the
    /// six band energies (dBFS) the host measured.
    pub fn step(&mut self, level: f32, voice: f32, bands: &[f32]) -> Mouth {
        let band = |i: usize| bands.get(i).copied().unwrap_or(-120.0);
        let (f1, f2lo, f2hi) = (band(1), band(2), band(3));
        let hiss = band(4).max(band(5));
        let speaking = voice >= 0.3 || level > QUIET_DB + 12.0;
        let loudness = if speaking {
            ramp(level, QUIET_DB, LOUD_DB)
        } else {
            0.0
        };
        let (target, shape) = if loudness <= 0.0 {
            ((0.0, 1.0), Shape::Rest)
        } else if hiss > f1.max(f2lo) + 3.0 {
            ((0.3 * loudness, 1.08), Shape::Hiss)
        } else {
            // A front vowel's second formant (2-3.5 kHz) is as strong as
            // its first (an "ee"); an open vowel's first formant is high,
            // bringing energy into 0.9-2 kHz (an "aa"); a rounded one's
            // energy stays under 0.9 kHz (an "oh").
            let front = ramp(f2hi - f1, -12.0, -2.0);
            let open = ramp(f2lo - f1, -12.0, -2.0);
            let round = ramp(f1 - f2lo.max(f2hi), 4.0, 16.0);
            let width = 1.0 + 0.25 * front - 0.3 * round;
            let height = loudness * (0.55 + 0.45 * open - 0.1 * front);
            let shape = if front > 0.6 {
                Shape::Wide
            } else if round > 0.5 {
                Shape::Round
            } else {
                Shape::Open
            };
            ((height, width), shape)
        };
        // Opening follows at once (the mouth moves with the sound),
        // closing over a couple of frames.
        let m = &mut self.mouth;
        m.open = if target.0 > m.open {
            target.0
        } else {
            m.open + 0.8 * (target.0 - m.open)
        };
        m.width += 0.6 * (target.1 - m.width);
        m.shape = shape;
        *m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_keeps_the_mouth_closed_and_vowels_differ() {
        let mut lips = LipSync::default();
        for _ in 0..5 {
            assert_eq!(lips.step(-120.0, 0.0, &[-120.0; 6]).open, 0.0);
        }
        // Band energies measured on espeak-ng's /i:/ and /o:/.
        let ee = LipSync::default().step(-20.0, 0.9, &[-22.9, -24.8, -73.6, -24.9, -36.8, -52.2]);
        let oo = LipSync::default().step(-16.0, 0.9, &[-29.5, -16.4, -36.8, -31.8, -48.6, -49.8]);
        assert_eq!((ee.shape, oo.shape), (Shape::Wide, Shape::Round));
        assert!(ee.width > oo.width + 0.3);
        assert!(ee.open > 0.3 && oo.open > 0.3);
    }
}
