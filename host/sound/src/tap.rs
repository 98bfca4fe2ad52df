//! The sound a stream feeds and the stages that follow it read, keyed by
//! running time (the clock a pipeline's video and sound share).
//!
//! The stream side ([`Tap::push`]) never waits in a live pipeline: the
//! oldest sound is dropped past a bound. In a file job it waits once it is
//! [`AHEAD_NS`] ahead of the reader, so memory stays bounded however far
//! the sound could run ahead of slow video. The reader ([`Tap::window`])
//! waits in a file job until the frame's sound and its look-ahead have
//! arrived, or the sound has ended: the same input always gives a stage
//! the same sound, whatever the machine's load.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::voice::Voice;

/// The sound after a frame's end that comes with it.
pub const LOOKAHEAD_NS: u64 = 100_000_000;
/// How far past the reader the stream may run in a file job.
pub const AHEAD_NS: u64 = 10_000_000_000;
/// Sound kept behind the reader (a mixer's frames may ask a little late).
const BEHIND_NS: u64 = 1_000_000_000;
/// Sound kept in a live pipeline.
const LIVE_KEEP_NS: u64 = 20_000_000_000;
/// The longest frame span handed on: a longer frame gets its first second.
const LONGEST_SPAN_NS: u64 = 1_000_000_000;
/// The rate of the silence a frame gets before any sound has come.
const DEFAULT_RATE: u32 = 48_000;
/// A gap in the stream longer than this starts the sound afresh.
const LONGEST_GAP_NS: u64 = 10_000_000_000;
/// How long a file job's stage waits for its sound before failing.
pub const WAIT_LIMIT: Duration = Duration::from_secs(60);
/// A step of the voice detector, in its own samples (16 ms at 16 kHz).
const VOICE_STEP_SECONDS: f64 = 0.016;

/// The sound that plays during a frame, and after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub rate: u32,
    /// Mono samples from the frame's start to its end, then the look-ahead.
    pub samples: Vec<f32>,
    pub frame_samples: u32,
    pub lookahead_samples: u32,
    /// Samples of the frame's span that had not arrived (live only).
    pub missing: u32,
    /// The voice detector's most confident step overlapping the frame.
    pub voice: f32,
}

impl Window {
    /// `span_ns` of silence that should have been sound: all missing.
    pub fn silence(span_ns: u64) -> Window {
        let samples =
            (span_ns.min(LONGEST_SPAN_NS) as u128 * DEFAULT_RATE as u128 / 1_000_000_000) as u32;
        Window {
            rate: DEFAULT_RATE,
            samples: vec![0.0; samples as usize],
            frame_samples: samples,
            lookahead_samples: 0,
            missing: samples,
            voice: 0.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoundError {
    /// A file job's sound did not arrive within [`WAIT_LIMIT`].
    Late { waited: Duration },
}

impl std::fmt::Display for SoundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SoundError::Late { waited } => write!(
                f,
                "the programme's sound for this frame did not arrive within {} s",
                waited.as_secs()
            ),
        }
    }
}

impl std::error::Error for SoundError {}

#[derive(Default)]
struct State {
    /// Samples a second; 0 before the first sound.
    rate: u32,
    /// The running time of sample index 0 (the first sound).
    first_ns: u64,
    /// The index of `samples[0]`.
    origin: u64,
    samples: VecDeque<f32>,
    voice: Option<Voice>,
    /// Voice scores by the sample index their step starts at.
    scores: VecDeque<(u64, f32)>,
    ended: bool,
    /// The readers are gone: the stream must never wait for them.
    released: bool,
    live: bool,
    /// The latest frame end a reader asked for (the stream may run
    /// [`AHEAD_NS`] past it).
    read_ns: Option<u64>,
    /// Flushes so far, on either side: a reader waiting across one stops
    /// waiting (its frame is being thrown away).
    flushes: u64,
}

impl State {
    /// The sample playing at `ns`, to the nearest: frame boundaries at
    /// 30 fps fall between samples.
    fn index(&self, ns: u64) -> u64 {
        let since = ns.saturating_sub(self.first_ns) as u128;
        ((since * self.rate as u128 + 500_000_000) / 1_000_000_000) as u64
    }

    fn time(&self, index: u64) -> u64 {
        self.first_ns + (index as u128 * 1_000_000_000 / self.rate.max(1) as u128) as u64
    }

    fn end(&self) -> u64 {
        self.origin + self.samples.len() as u64
    }

    fn restart(&mut self, rate: u32, at_ns: u64) {
        self.rate = rate;
        self.first_ns = at_ns;
        self.origin = 0;
        self.samples.clear();
        self.scores.clear();
        self.voice = Some(Voice::new(rate));
    }

    fn append(&mut self, mono: &[f32]) {
        self.samples.extend(mono);
        if let Some(voice) = &mut self.voice {
            self.scores.extend(voice.feed(mono));
        }
    }

    /// Drops sound no reader will ask for again.
    fn trim(&mut self) {
        let keep_ns = if self.live {
            self.time(self.end()).saturating_sub(LIVE_KEEP_NS)
        } else {
            match self.read_ns {
                Some(read) => read.saturating_sub(BEHIND_NS),
                None => return,
            }
        };
        let keep = self.index(keep_ns).clamp(self.origin, self.end());
        self.samples.drain(..(keep - self.origin) as usize);
        self.origin = keep;
        while self.scores.front().is_some_and(|s| s.0 < keep) {
            self.scores.pop_front();
        }
    }
}

/// Sound shared between the stream feeding it and the stages reading it.
#[derive(Default)]
pub struct Tap {
    state: Mutex<State>,
    changed: Condvar,
}

impl Tap {
    pub fn new() -> Tap {
        Tap::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A reader that panicked holding the lock left nothing half-done
        // worth refusing the sound over.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A reader starts (again): `live` when its pipeline is live (the
    /// stream then never waits, and neither do the readers).
    pub fn open(&self, live: bool) {
        let mut state = self.lock();
        state.live = live;
        state.released = false;
        self.changed.notify_all();
    }

    /// Sound starting at running time `at_ns`, `channels` interleaved
    /// (averaged to mono). Sound overlapping what came before is dropped;
    /// a gap is filled with silence. In a file job this waits while the
    /// stream is [`AHEAD_NS`] ahead of the readers.
    pub fn push(&self, at_ns: u64, rate: u32, channels: usize, interleaved: &[f32]) {
        if rate == 0 || channels == 0 {
            return;
        }
        let mono: Vec<f32> = interleaved
            .chunks_exact(channels)
            .map(|c| {
                let v = c.iter().sum::<f32>() / channels as f32;
                if v.is_finite() {
                    v.clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        let mut state = self.lock();
        if state.released {
            // Nobody will read it.
            return;
        }
        if state.rate != rate || state.ended || at_ns + BEHIND_NS < state.first_ns {
            state.restart(rate, at_ns);
            state.ended = false;
        }
        let start = state.index(at_ns);
        let end = state.end();
        let mut skip = 0usize;
        if start > end {
            let gap = start - end;
            if state.time(start) - state.time(end) > LONGEST_GAP_NS {
                state.restart(rate, at_ns);
            } else {
                state.append(&vec![0.0; gap as usize]);
            }
        } else {
            skip = ((end - start) as usize).min(mono.len());
        }
        // Sound before the first sound's time counts from there.
        if at_ns < state.first_ns {
            let early = ((state.first_ns - at_ns) as u128 * rate as u128 / 1_000_000_000) as usize;
            skip = skip.max(early.min(mono.len()));
        }
        state.append(&mono[skip..]);
        state.trim();
        self.changed.notify_all();
        while !state.live && !state.released {
            let read = state.read_ns.unwrap_or(state.first_ns);
            if state.time(state.end()) <= read + AHEAD_NS {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The stream has ended: readers stop waiting for more.
    pub fn finish(&self) {
        self.lock().ended = true;
        self.changed.notify_all();
    }

    /// The readers are gone (the stage stopped): the stream never waits
    /// again.
    pub fn release(&self) {
        self.lock().released = true;
        self.changed.notify_all();
    }

    /// A flush: the sound so far is forgotten.
    pub fn reset(&self) {
        let mut state = self.lock();
        let (live, released, flushes) = (state.live, state.released, state.flushes);
        *state = State {
            live,
            released,
            flushes: flushes + 1,
            ..State::default()
        };
        self.changed.notify_all();
    }

    /// A flush on the reader's side (the frames asking for sound are
    /// being thrown away): a reader waiting for sound stops waiting. The
    /// sound so far is kept; the stream's own flush resets it.
    pub fn interrupt(&self) {
        self.lock().flushes += 1;
        self.changed.notify_all();
    }

    /// The sound of the frame playing from `start_ns` to `end_ns` (running
    /// time, at most a second of it) and [`LOOKAHEAD_NS`] after it: silence
    /// where none has come (always a window: the caller is wired to a tap). With `wait` (a file job) this waits for that
    /// sound, up to [`WAIT_LIMIT`], after which the tap stops waiting for
    /// good. One stage reads a tap: its position decides what is kept.
    pub fn window(
        &self,
        start_ns: u64,
        end_ns: u64,
        wait: bool,
    ) -> Result<Option<Window>, SoundError> {
        // A frame longer than a second (a still, a slide) gets its first
        // second: the span stays bounded, and so does the wait.
        let end_ns = end_ns.clamp(start_ns, start_ns.saturating_add(LONGEST_SPAN_NS));
        let started = Instant::now();
        let mut state = self.lock();
        let flushes = state.flushes;
        state.read_ns = Some(state.read_ns.map_or(end_ns, |r| r.max(end_ns)));
        self.changed.notify_all();
        loop {
            let arrived = state.rate > 0 && state.time(state.end()) >= end_ns + LOOKAHEAD_NS;
            if state.flushes != flushes {
                // Flushed while waiting: the frame is being thrown away,
                // and the sound it waited for may never come.
                return Ok(Some(Window::silence(end_ns - start_ns)));
            }
            if !wait || state.live || arrived || state.ended || state.released {
                break;
            }
            let waited = started.elapsed();
            if waited >= WAIT_LIMIT {
                // The sound is not coming: later frames do not wait again.
                state.ended = true;
                return Err(SoundError::Late { waited });
            }
            state = self
                .changed
                .wait_timeout(state, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        if state.rate == 0 {
            // No sound yet (live) or none at all: silence, counted missing
            // while more may come.
            let mut silence = Window::silence(end_ns - start_ns);
            if state.ended {
                silence.missing = 0;
            }
            return Ok(Some(silence));
        }
        let (a, b) = (state.index(start_ns), state.index(end_ns));
        let c = state.index(end_ns + LOOKAHEAD_NS);
        let end = state.end();
        // The look-ahead stops where the sound does (so far).
        let c = c.min(end.max(b));
        let sample = |i: u64| {
            if i >= state.origin && i < end {
                state.samples[(i - state.origin) as usize]
            } else {
                0.0
            }
        };
        let samples: Vec<f32> = (a..c).map(sample).collect();
        let missing = if state.ended {
            0
        } else {
            b.saturating_sub(end.max(a))
        };
        let step = (VOICE_STEP_SECONDS * state.rate as f64).round() as u64;
        let voice = state
            .scores
            .iter()
            .filter(|(s, _)| *s < b.max(a + 1) && s + step > a)
            .fold(0f32, |m, (_, v)| m.max(*v));
        Ok(Some(Window {
            rate: state.rate,
            samples,
            frame_samples: (b - a) as u32,
            lookahead_samples: (c - b) as u32,
            missing: missing as u32,
            voice,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_frame_gets_its_span_and_the_look_ahead() {
        let tap = Tap::new();
        // 1 s of a ramp at 1 kHz, stereo (the channels differ: averaged).
        let stereo: Vec<f32> = (0..1000).flat_map(|i| [i as f32 / 1000.0, 0.0]).collect();
        tap.push(0, 1000, 2, &stereo);
        tap.finish();
        let w = tap.window(100 * MS, 140 * MS, true).unwrap().unwrap();
        assert_eq!(
            (w.frame_samples, w.lookahead_samples, w.missing),
            (40, 100, 0)
        );
        assert_eq!(w.samples[0], 0.05);
        assert_eq!(w.samples[139], 239.0 / 2000.0);
        // Near the end the look-ahead stops with the sound.
        let w = tap.window(960 * MS, 1000 * MS, true).unwrap().unwrap();
        assert_eq!((w.frame_samples, w.lookahead_samples), (40, 0));
        // After it, the frame's span is silence.
        let w = tap.window(1500 * MS, 1540 * MS, true).unwrap().unwrap();
        assert!(w.samples.iter().all(|s| *s == 0.0) && w.missing == 0);
    }

    #[test]
    fn a_file_job_waits_for_the_sound_and_a_live_one_does_not() {
        let tap = Arc::new(Tap::new());
        let feeder = {
            let tap = tap.clone();
            std::thread::spawn(move || {
                for k in 0..10u64 {
                    std::thread::sleep(Duration::from_millis(20));
                    tap.push(k * 100 * MS, 1000, 1, &[0.5; 100]);
                }
                tap.finish();
            })
        };
        // The frame at 0.5 s needs sound to 0.64 s: it waits for it.
        let w = tap.window(500 * MS, 540 * MS, true).unwrap().unwrap();
        assert_eq!(w.missing, 0);
        assert_eq!(w.samples.len(), 140);
        assert!(w.samples.iter().all(|s| *s == 0.5));
        feeder.join().unwrap();

        let live = Tap::new();
        live.open(true);
        live.push(0, 1000, 1, &[0.5; 100]);
        let w = live.window(80 * MS, 120 * MS, true).unwrap().unwrap();
        assert_eq!((w.frame_samples, w.missing), (40, 20));
    }

    /// A flush on either side while a file job's frame waits for sound
    /// that will not come (a seek) ends the wait at once, with silence,
    /// instead of after the minute the tap waits for late sound.
    #[test]
    fn a_flush_ends_a_wait() {
        for by_reader in [false, true] {
            let tap = Arc::new(Tap::new());
            tap.push(0, 1000, 1, &[0.5; 100]);
            let flusher = {
                let tap = tap.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(300));
                    if by_reader {
                        tap.interrupt();
                    } else {
                        tap.reset();
                    }
                })
            };
            let started = Instant::now();
            // Sound to 0.1 s has come; the frame at 5 s waits.
            let w = tap.window(5000 * MS, 5040 * MS, true).unwrap().unwrap();
            let waited = started.elapsed();
            flusher.join().unwrap();
            assert!(
                waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
                "waited {waited:?}"
            );
            assert!(w.samples.iter().all(|s| *s == 0.0));
            assert_eq!(w.missing, w.frame_samples, "all of it missing");
            // A seek flushes the stream too; after it, frames wait for
            // their sound again.
            tap.reset();
            tap.push(0, 1000, 1, &[0.25; 300]);
            let w = tap.window(100 * MS, 140 * MS, true).unwrap().unwrap();
            assert!(
                w.samples[..40].iter().all(|s| *s == 0.25),
                "{:?}",
                &w.samples[..4]
            );
        }
    }

    #[test]
    fn a_long_frame_gets_its_first_second_and_a_silent_tap_silence() {
        let tap = Tap::new();
        tap.push(0, 1000, 1, &[0.5; 5_000]);
        tap.finish();
        let w = tap.window(0, 10_000 * MS, true).unwrap().unwrap();
        assert_eq!((w.frame_samples, w.lookahead_samples), (1000, 100));
        // Wired, nothing yet, live: silence, all of it missing.
        let live = Tap::new();
        live.open(true);
        let w = live.window(0, 40 * MS, true).unwrap().unwrap();
        assert_eq!((w.rate, w.frame_samples, w.missing), (48_000, 1920, 1920));
        assert!(w.samples.iter().all(|s| *s == 0.0));
    }

    #[test]
    fn gaps_are_silence_and_overlaps_are_dropped() {
        let tap = Tap::new();
        tap.push(0, 1000, 1, &[1.0; 100]);
        tap.push(200 * MS, 1000, 1, &[0.5; 100]);
        tap.push(250 * MS, 1000, 1, &[0.25; 100]);
        tap.finish();
        let w = tap.window(0, 350 * MS, true).unwrap().unwrap();
        assert_eq!(w.samples[99], 1.0);
        assert_eq!(w.samples[150], 0.0);
        assert_eq!(w.samples[250], 0.5);
        assert_eq!(w.samples[320], 0.25);
    }

    #[test]
    fn the_stream_waits_for_a_slow_reader_until_released() {
        let tap = Arc::new(Tap::new());
        let feeder = {
            let tap = tap.clone();
            std::thread::spawn(move || {
                // 12 s of sound, a second at a time: past 10 s it waits.
                for k in 0..12u64 {
                    tap.push(k * 1000 * MS, 100, 1, &[0.1; 100]);
                }
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(!feeder.is_finished());
        tap.release();
        feeder.join().unwrap();
    }
}
