//! Scene cuts, and when the look is fitted, refined and left alone.

use crate::sampling::{BINS, distance};

/// Histogram distance (0..=1) between consecutive frames that counts as
/// a cut. Motion and noise within a shot stay far below it.
const CUT: f32 = 0.35;
/// Distance from the histogram the scene was fitted on that counts as a
/// new scene too (a slow change: a pan onto other content, a fade).
const DRIFT: f32 = 0.5;
/// Frames of a scene pooled before the refined fit.
const POOL: u32 = 4;
/// Frames the refined look fades in over.
const FADE: u32 = 2;
/// How far (histogram distance) a scene's first frames must stray from
/// its first for the refined fit to be worth its cost: a steady shot's
/// first frame already shows what the rest will.
const REFINE: f32 = 0.08;

/// What to do with a frame.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// The first frame of a scene: fit on it, show at once.
    NewScene,
    /// Keep its colours for the refined fit.
    Pool,
    /// Fit on the pooled frames and fade to it over `fade` frames.
    Refine {
        fade: u32,
    },
    Steady,
}

#[derive(Default)]
pub struct Scenes {
    previous: Option<[f32; BINS]>,
    /// The histogram of the scene's first frame.
    reference: Option<[f32; BINS]>,
    /// Scenes begun so far.
    count: u64,
    /// Frames of the current scene seen so far.
    frames: u32,
    /// The farthest the scene's frames so far strayed from its first.
    spread: f32,
}

impl Scenes {
    /// The scene in progress, counted from 1.
    pub fn index(&self) -> u64 {
        self.count
    }

    pub fn observe(&mut self, histogram: &[f32; BINS]) -> Step {
        let cut = match (&self.previous, &self.reference) {
            (Some(previous), Some(reference)) => {
                distance(previous, histogram) > CUT || distance(reference, histogram) > DRIFT
            }
            _ => true,
        };
        self.previous = Some(*histogram);
        if cut {
            self.reference = Some(*histogram);
            self.count += 1;
            self.frames = 1;
            self.spread = 0.0;
            return Step::NewScene;
        }
        self.frames += 1;
        if let Some(reference) = &self.reference {
            self.spread = self.spread.max(distance(reference, histogram));
        }
        match self.frames {
            n if n < POOL => Step::Pool,
            n if n == POOL && self.spread > REFINE => Step::Refine { fade: FADE },
            _ => Step::Steady,
        }
    }
}
