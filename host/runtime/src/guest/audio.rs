//! The host side of `audio`: the sound of the frame a call is about,
//! fetched by the stage before the call (so no wait happens inside the
//! guest's time) and measured at most once.

use super::reel::plugin::audio;
use crate::sandbox::StoreState;

/// A call's sound, and its measures once asked for.
pub(crate) struct FrameSound {
    window: reel_sound::Window,
    measures: Option<audio::Measures>,
}

impl FrameSound {
    pub(crate) fn new(window: reel_sound::Window) -> FrameSound {
        FrameSound {
            window,
            measures: None,
        }
    }
}

impl audio::Host for StoreState {
    fn frame_sound(&mut self) -> wasmtime::Result<Option<audio::Sound>> {
        Ok(self.sound.as_ref().map(|s| {
            let w = &s.window;
            audio::Sound {
                rate: w.rate,
                samples: w.samples.clone(),
                frame_samples: w.frame_samples,
                lookahead_samples: w.lookahead_samples,
                missing: w.missing,
            }
        }))
    }

    fn frame_measures(&mut self) -> wasmtime::Result<Option<audio::Measures>> {
        Ok(self.sound.as_mut().map(|s| {
            s.measures
                .get_or_insert_with(|| {
                    let w = &s.window;
                    let m = reel_sound::measure::measure(
                        &w.samples[..w.frame_samples as usize],
                        w.rate,
                        w.voice,
                    );
                    audio::Measures {
                        level_db: m.level_db,
                        peak_db: m.peak_db,
                        voice: m.voice,
                        bands: m.bands.to_vec(),
                    }
                })
                .clone()
        }))
    }
}
