//! The encoders of a file sink, and what keeps a file's sound with its
//! pictures: the AAC encoder's priming removed, sound let into the muxer
//! only as far as the video has gone, and cut where the video ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use gst::prelude::*;

use crate::element::make;
use crate::plan::{RateControl, VideoSettings};

/// videoconvert ! raw caps ! x264enc ! h264 caps ! h264parse ! queue: the
/// encoder is fed and told exactly what the settings say, so the stream's
/// pixel format and profile never depend on what comes from upstream.
pub fn video_encoder(settings: &VideoSettings, fps: Option<f64>) -> Result<Vec<gst::Element>> {
    let convert = make("videoconvert", None)?;
    let raw = capsfilter(
        gst::Caps::builder("video/x-raw")
            .field("format", settings.raw_format.as_str())
            .build(),
    )?;
    let encoder = make("x264enc", None)?;
    encoder.set_property_from_str("speed-preset", &settings.preset);
    match settings.rate {
        RateControl::Quality(crf) => {
            encoder.set_property_from_str("pass", "qual");
            encoder.set_property("quantizer", crf);
        }
        RateControl::Bitrate { kbps, vbv_ms } => {
            encoder.set_property_from_str("pass", "cbr");
            encoder.set_property("bitrate", kbps);
            encoder.set_property("vbv-buf-capacity", vbv_ms);
        }
    }
    let keyframes = settings
        .keyframe_interval
        .unwrap_or_else(|| (2.0 * fps.unwrap_or(25.0)).round().max(1.0) as u32);
    encoder.set_property("key-int-max", keyframes);
    if let Some(tune) = &settings.psy_tune {
        encoder.set_property_from_str("psy-tune", tune);
    }
    if let Some(tune) = &settings.tune {
        encoder.set_property_from_str("tune", tune);
    }
    let coded = capsfilter(
        gst::Caps::builder("video/x-h264")
            .field("profile", settings.profile.as_str())
            .build(),
    )?;
    let parse = make("h264parse", None)?;
    let queue = make("queue", None)?;
    Ok(vec![convert, raw, encoder, coded, parse, queue])
}

fn capsfilter(caps: gst::Caps) -> Result<gst::Element> {
    let filter = make("capsfilter", None)?;
    filter.set_property("caps", caps);
    Ok(filter)
}

pub fn audio_encoder(kbps: u32) -> Result<Vec<gst::Element>> {
    let convert = make("audioconvert", None)?;
    let resample = make("audioresample", None)?;
    let encoder = make("avenc_aac", None)?;
    encoder.set_property("bitrate", (kbps * 1000) as i32);
    // Encoded sound waits here until the video catches up (see
    // `end_audio_with_video`): bounded by bytes only (10 MB, minutes of
    // AAC), so the wait never backs up into the source the video needs.
    let queue = make("queue", None)?;
    queue.set_property("max-size-buffers", 0u32);
    queue.set_property("max-size-time", 0u64);
    Ok(vec![convert, resample, encoder, queue])
}

/// Samples of silence the AAC encoder puts before the first real sample
/// (FFmpeg's AAC-LC encoder: one frame).
const AAC_PRIMING_SAMPLES: u64 = 1024;

/// MP4 has no way here (mp4mux writes no audio edit list) to say that the
/// first AAC frame is the encoder's priming: left in, every output's sound
/// is 21 ms late. The priming frame is dropped and the rest moved earlier
/// by its length, so the first real sample plays at time zero.
pub fn skip_aac_priming(encoder: &gst::Element) {
    let Some(pad) = encoder.static_pad("src") else {
        return;
    };
    let seen = Arc::new(AtomicU64::new(0));
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let rate = pad
            .current_caps()
            .and_then(|c| c.structure(0).and_then(|s| s.get::<i32>("rate").ok()))
            .filter(|r| *r > 0)
            .unwrap_or(48_000) as u64;
        let shift = gst::ClockTime::from_nseconds(AAC_PRIMING_SAMPLES * 1_000_000_000 / rate);
        if seen.fetch_add(1, Ordering::Relaxed) == 0 {
            return gst::PadProbeReturn::Drop;
        }
        if let Some(buffer) = info.buffer_mut() {
            let buffer = buffer.make_mut();
            if let Some(pts) = buffer.pts() {
                buffer.set_pts(pts.saturating_sub(shift));
            }
            if let Some(dts) = buffer.dts() {
                buffer.set_dts(dts.saturating_sub(shift));
            }
        }
        gst::PadProbeReturn::Ok
    });
}

/// The sound of a file ends with its pictures. Sources make sound ahead of
/// video (it is cheaper), and the muxer writes whatever reached it, so a
/// file finished early (Ctrl-C) or a source whose sound runs longer would
/// carry up to a second of sound over no picture. So sound is let into the
/// muxer only [`AUDIO_LEAD`] ahead of the video (the muxer interleaves in
/// chunks and must see what comes next), and once the video has ended,
/// sound from after its last frame is left out. The wait is on the audio
/// queue's own thread, and gives up when the pipeline stops.
pub fn end_audio_with_video(video_queue: &gst::Element, audio_queue: &gst::Element) {
    let (Some(video), Some(audio)) = (video_queue.static_pad("src"), audio_queue.static_pad("src"))
    else {
        return;
    };
    #[derive(Default)]
    struct Progress {
        /// End of the last video frame sent to the muxer.
        video_end: gst::ClockTime,
        video_ended: bool,
    }
    let shared = Arc::new((Mutex::new(Progress::default()), std::sync::Condvar::new()));
    let seen = shared.clone();
    video.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
        move |pad, info| {
            let (lock, changed) = &*seen;
            let mut p = lock.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(buffer) = info.buffer()
                && let Some(pts) = running_time(pad, buffer.pts())
            {
                let end = pts + buffer.duration().unwrap_or_default();
                p.video_end = p.video_end.max(end);
            } else if let Some(event) = info.event()
                && event.type_() == gst::EventType::Eos
            {
                p.video_ended = true;
            }
            changed.notify_all();
            gst::PadProbeReturn::Ok
        },
    );
    audio.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let Some(pts) = running_time(pad, info.buffer().and_then(|b| b.pts())) else {
            return gst::PadProbeReturn::Ok;
        };
        let (lock, changed) = &*shared;
        let mut p = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if p.video_ended {
                return if pts >= p.video_end {
                    gst::PadProbeReturn::Drop
                } else {
                    gst::PadProbeReturn::Ok
                };
            }
            if pts < p.video_end + AUDIO_LEAD {
                return gst::PadProbeReturn::Ok;
            }
            if pad.pad_flags().contains(gst::PadFlags::FLUSHING) {
                return gst::PadProbeReturn::Ok;
            }
            p = changed
                .wait_timeout(p, std::time::Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    });
}

/// How far sound may run ahead of the video into the muxer, which takes
/// its streams in interleaved chunks (mp4mux: 250 ms).
const AUDIO_LEAD: gst::ClockTime = gst::ClockTime::from_mseconds(300);

/// `pts` as running time on `pad` (encoders offset their timestamps, by
/// 1000 hours for x264enc, and say so in the segment).
pub fn running_time(pad: &gst::Pad, pts: Option<gst::ClockTime>) -> Option<gst::ClockTime> {
    let segment = pad.sticky_event::<gst::event::Segment>(0)?;
    segment
        .segment()
        .downcast_ref::<gst::ClockTime>()?
        .to_running_time(pts?)
}

/// MP4 and MOV: GStreamer 1.22's muxer ends the video's edit list at the
/// last frame's decode time plus its duration. With B-frames, decode times
/// lag presentation times by a reordering delay that x264 sets from the
/// first frames' spacing; when frames later come further apart (variable
/// frame rate) the lag grows, the edit list ends early and players never
/// show the last frames (2 of 120 in a phone clip). So each frame's
/// duration is stretched to reach the end of the latest frame presented so
/// far: the last in decode order then covers them all, and the muxer takes
/// every earlier frame's duration from the next decode time anyway.
///
/// The probe sits on the muxer's pad that `element` feeds, after every
/// other probe has seen the true durations.
pub fn cover_reordered_frames(element: &gst::Element) {
    let Some(pad) = element.static_pad("src").and_then(|p| p.peer()) else {
        return;
    };
    let shown_until = Mutex::new(gst::ClockTime::ZERO);
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Some(buffer) = info.buffer_mut() else {
            return gst::PadProbeReturn::Ok;
        };
        let (Some(pts), Some(dts)) = (buffer.pts(), buffer.dts()) else {
            return gst::PadProbeReturn::Ok;
        };
        let duration = buffer.duration().unwrap_or_default();
        let mut until = shown_until.lock().unwrap_or_else(|e| e.into_inner());
        *until = (*until).max(pts + duration);
        if dts + duration < *until {
            buffer.make_mut().set_duration(*until - dts);
        }
        gst::PadProbeReturn::Ok
    });
}

/// A count of the buffers entering `element`.
pub fn count_buffers(element: &gst::Element) -> Arc<AtomicU64> {
    let count = Arc::new(AtomicU64::new(0));
    if let Some(pad) = element.static_pad("sink") {
        let c = count.clone();
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            c.fetch_add(1, Ordering::Relaxed);
            gst::PadProbeReturn::Ok
        });
    }
    count
}
