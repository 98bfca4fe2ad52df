//! Reading Reel's invisible watermark from anything GStreamer decodes
//! (`reel watermark detect`): luma of every frame into one-second sums of
//! evidence, read over sliding windows of [`WINDOW_SECONDS`] seconds, so
//! a mark is found from a few seconds of video and the report says when
//! it was present.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gst::prelude::*;
use reel_watermark::{Detector, Evidence, Key, Reading};

/// Seconds of video one reading sums.
pub const WINDOW_SECONDS: usize = 3;

/// What a clip held.
#[derive(Debug, Clone)]
pub struct Detection {
    /// The payload found (the one with the strongest evidence when
    /// windows disagree).
    pub payload: Option<u64>,
    /// The chance that a clip without this mark would read as this one
    /// did, over every window read (a bound).
    pub false_alarm: f64,
    /// Where the payload was found: start and end of each run of windows.
    pub ranges: Vec<(Duration, Duration)>,
    /// The best window's reading.
    pub best: Option<Reading>,
    pub frames: u64,
    pub windows: usize,
}

/// Why a clip could not be read; it names the file.
#[derive(Debug)]
pub struct DetectError {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for DetectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for DetectError {}

/// One second of evidence: which second, and when its first frame starts
/// and its last ends (ns).
struct Second {
    second: u64,
    first: u64,
    end: u64,
    evidence: Evidence,
}

/// Reads the mark of `key` in `input`; `progress` hears the stream time
/// reached now and then.
pub fn detect(
    input: &Path,
    key: &Key,
    mut progress: impl FnMut(Duration),
) -> Result<Detection, DetectError> {
    let fail = |reason: String| DetectError {
        path: input.to_path_buf(),
        reason,
    };
    let absolute = std::path::absolute(input).map_err(|e| fail(e.to_string()))?;
    if !absolute.is_file() {
        return Err(fail("no such file".into()));
    }
    let uri = gst::glib::filename_to_uri(&absolute, None).map_err(|e| fail(e.to_string()))?;
    let pipeline = gst::parse::launch(&format!(
        "uridecodebin uri=\"{uri}\" name=decode ! videoconvert ! video/x-raw,format=I420 ! \
         appsink name=sink sync=false"
    ))
    .map_err(|e| fail(e.to_string()))?
    .downcast::<gst::Pipeline>()
    .map_err(|_| fail("not a pipeline".into()))?;
    let sink = pipeline
        .by_name("sink")
        .and_then(|s| s.downcast::<gst_app::AppSink>().ok())
        .ok_or_else(|| fail("no sink".into()))?;
    let result = read_frames(&pipeline, &sink, key, &mut progress);
    let _ = pipeline.set_state(gst::State::Null);
    result.map_err(fail)
}

fn read_frames(
    pipeline: &gst::Pipeline,
    sink: &gst_app::AppSink,
    key: &Key,
    progress: &mut impl FnMut(Duration),
) -> Result<Detection, String> {
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| "GStreamer could not open it".to_string())?;
    let bus = pipeline.bus().ok_or("no bus")?;
    let mut seconds: Vec<Second> = Vec::new();
    let mut frames = 0u64;
    let mut size = (0usize, 0usize);
    let mut luma = Vec::new();
    loop {
        if let Some(msg) = bus.pop_filtered(&[gst::MessageType::Error])
            && let gst::MessageView::Error(e) = msg.view()
        {
            return Err(decode_error(&e.error().to_string(), frames));
        }
        let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_mseconds(500)) else {
            if sink.is_eos() {
                break;
            }
            continue;
        };
        let buffer = sample.buffer().ok_or("a frame without data")?;
        let caps = sample.caps().ok_or("a frame without caps")?;
        let info = gst_video::VideoInfo::from_caps(caps).map_err(|e| e.to_string())?;
        let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
            .map_err(|e| e.to_string())?;
        let (w, h) = (info.width() as usize, info.height() as usize);
        let stride = info.stride()[0] as usize;
        let data = frame.plane_data(0).map_err(|e| e.to_string())?;
        luma.clear();
        for row in data.chunks(stride).take(h) {
            luma.extend_from_slice(&row[..w]);
        }
        if (w, h) != size {
            // A new picture size starts the evidence afresh.
            seconds.clear();
            size = (w, h);
        }
        // Frames without times count as 25 a second.
        let pts = buffer.pts().map_or(frames * 40_000_000, |t| t.nseconds());
        let end = pts + buffer.duration().map_or(40_000_000, |d| d.nseconds());
        let second = pts / 1_000_000_000;
        if seconds.last().is_none_or(|s| s.second != second) {
            seconds.push(Second {
                second,
                first: pts,
                end,
                evidence: Evidence::new(w, h),
            });
            progress(Duration::from_nanos(pts));
        }
        let current = seconds.last_mut().expect("pushed above");
        current.end = current.end.max(end);
        current.evidence.add_frame(&luma, w, h, w);
        frames += 1;
    }
    if frames == 0 {
        return Err("no video frames could be decoded (is there a video track?)".into());
    }
    Ok(read_windows(&seconds, key, frames))
}

/// A GStreamer decoding error in words for the report.
fn decode_error(message: &str, frames: u64) -> String {
    if frames == 0 {
        format!("cannot decode it: {message} (no video track, or not a media file)")
    } else {
        format!("decoding stopped after {frames} frames: {message}")
    }
}

/// Reads every window of [`WINDOW_SECONDS`] consecutive seconds (one
/// window for a shorter clip).
fn read_windows(seconds: &[Second], key: &Key, frames: u64) -> Detection {
    let detector = Detector::new(key);
    let mut readings: Vec<(u64, u64, Reading)> = Vec::new();
    let count = seconds.len().saturating_sub(WINDOW_SECONDS - 1).max(1);
    for start in 0..count {
        let span = &seconds[start..(start + WINDOW_SECONDS).min(seconds.len())];
        let mut evidence = span[0].evidence.clone();
        for s in &span[1..] {
            evidence.merge(&s.evidence);
        }
        let reading = detector.read(&evidence);
        let end = span.last().map_or(0, |s| s.end);
        readings.push((span[0].first, end, reading));
    }
    let windows = readings.len();
    // The payload with the strongest single reading.
    let best = readings
        .iter()
        .filter(|(_, _, r)| r.payload.is_some())
        .min_by(|a, b| a.2.false_alarm.total_cmp(&b.2.false_alarm))
        .map(|(_, _, r)| r.clone());
    let payload = best.as_ref().and_then(|r| r.payload);
    let mut ranges: Vec<(Duration, Duration)> = Vec::new();
    for (start, end, r) in &readings {
        if payload.is_some() && r.payload == payload {
            let (s, e) = (Duration::from_nanos(*start), Duration::from_nanos(*end));
            match ranges.last_mut() {
                Some(last) if last.1 >= s => last.1 = last.1.max(e),
                _ => ranges.push((s, e)),
            }
        }
    }
    let false_alarm = best
        .as_ref()
        .map_or(1.0, |r| (r.false_alarm * windows as f64).min(1.0));
    Detection {
        payload,
        false_alarm,
        ranges,
        best: best.or_else(|| {
            readings
                .into_iter()
                .map(|(_, _, r)| r)
                .max_by(|a, b| a.score.total_cmp(&b.score))
        }),
        frames,
        windows,
    }
}
