//! `mode = "detect"`: live monitoring. Each frame's luma is added to the
//! evidence of its second; as each second ends, the last three are read
//! together, a few scales a frame so that no frame stalls. When the mark appears (or changes) and when it disappears,
//! the stage says so in one line, which Reel posts as a
//! `reel-stage-output` element message and `reel run` prints. Frames in a
//! run of windows that read the mark carry `watermark.payload`.

use std::collections::VecDeque;

use reel_sdk::prelude::*;
use reel_watermark::{Detector, Evidence, Key, Reading, Search};

/// Seconds read together (the detector's window).
const WINDOW: usize = 3;
/// Scales of a reading tried a frame: a reading takes 9 frames.
const SCALES_A_FRAME: usize = 8;

pub struct Monitor {
    detector: Detector,
    /// The current second's number and the last seconds' evidence.
    second: Option<u64>,
    seconds: VecDeque<Evidence>,
    /// The payload last read, while the mark is present.
    present: Option<u64>,
    /// The reading under way, and the time it is for.
    reading: Option<(Search, u64)>,
    frames: u64,
}

impl Monitor {
    pub fn new(key: &Key) -> Monitor {
        Monitor {
            detector: Detector::new(key),
            second: None,
            seconds: VecDeque::new(),
            present: None,
            reading: None,
            frames: 0,
        }
    }

    pub fn watch(&mut self, frame: &Frame) -> Result<(), StageError> {
        let info = frame.info();
        let (w, h) = (info.width as usize, info.height as usize);
        // Frames without times count as 25 a second.
        let pts = info.pts_ns.unwrap_or(self.frames * 40_000_000);
        self.frames += 1;
        let second = pts / 1_000_000_000;
        if self.second != Some(second) {
            if self.second.is_some() {
                self.start_reading(pts);
            }
            self.second = Some(second);
            self.seconds.push_back(Evidence::new(w, h));
            while self.seconds.len() > WINDOW {
                self.seconds.pop_front();
            }
        }
        let luma = frame.read_rows(0, 0, info.height)?;
        let current = self.seconds.back_mut().expect("pushed above");
        if !current.add_frame(&luma, w, h, w) {
            // The picture changed size: start afresh.
            self.seconds.clear();
            self.seconds.push_back(Evidence::new(w, h));
            self.seconds
                .back_mut()
                .expect("pushed")
                .add_frame(&luma, w, h, w);
        }
        if let Some((search, at)) = &mut self.reading
            && let Some(reading) = self.detector.advance(search, SCALES_A_FRAME)
        {
            let at = *at;
            self.reading = None;
            self.report(reading, at);
        }
        if let Some(payload) = self.present {
            frame.meta_set("watermark.payload", &format!("{payload:#018x}"));
        }
        Ok(())
    }

    /// Starts reading the last seconds (finishing a reading still under
    /// way first: frames came slower than one per scale step).
    fn start_reading(&mut self, pts: u64) {
        if let Some((mut search, at)) = self.reading.take() {
            let reading = self.detector.advance(&mut search, usize::MAX);
            self.report(reading.expect("every scale tried"), at);
        }
        let Some(first) = self.seconds.front() else {
            return;
        };
        let mut evidence = first.clone();
        for s in self.seconds.iter().skip(1) {
            evidence.merge(s);
        }
        self.reading = Some((self.detector.search(evidence), pts));
    }

    /// Says when the mark appears, changes or goes.
    fn report(&mut self, reading: Reading, pts: u64) {
        let at = pts as f64 / 1e9;
        match (self.present, reading.payload) {
            (None, Some(p)) => println!(
                "watermark found at {at:.1} s: payload {p:#018x} (false-positive probability {:.1e})",
                reading.false_alarm
            ),
            (Some(old), Some(p)) if old != p => {
                println!("watermark changed at {at:.1} s: payload {p:#018x} (was {old:#018x})")
            }
            (Some(old), None) => println!("watermark lost at {at:.1} s (was {old:#018x})"),
            _ => {}
        }
        self.present = reading.payload;
    }
}
