//! What an input file holds, asked of GStreamer before the pipeline is
//! built: a file that cannot be decoded fails here, before any output.

use std::time::Duration;

use gst_pbutils::prelude::DiscovererStreamInfoExt;

pub struct MediaInfo {
    /// The sound tracks, in the file's order.
    pub audio: Vec<AudioStream>,
    /// A live source (a camera, a network feed): it has no end and sets
    /// the pace.
    pub live: bool,
    /// The video is one still picture (a PNG or JPEG given as a clip).
    pub still_image: bool,
    pub fps: Option<f64>,
    pub duration: Option<Duration>,
}

/// One sound track of a file.
pub struct AudioStream {
    /// GStreamer's id for the stream: the same each time the file is
    /// opened, so the running decoder's streams can be told apart.
    pub stream_id: Option<String>,
}

const DISCOVER_TIMEOUT: gst::ClockTime = gst::ClockTime::from_seconds(20);

pub fn discover(uri: &str) -> Result<MediaInfo, String> {
    let discoverer = gst_pbutils::Discoverer::new(DISCOVER_TIMEOUT).map_err(|e| e.to_string())?;
    let info = discoverer
        .discover_uri(uri)
        .map_err(|e| e.message().to_string())?;
    match info.result() {
        gst_pbutils::DiscovererResult::Ok => {}
        other => {
            return Err(format!(
                "{other:?}{}",
                info.misc().map(|m| format!(" ({m})")).unwrap_or_default()
            ));
        }
    }
    let video = info.video_streams();
    let fps = video.first().map(|v| {
        let rate = v.framerate();
        if rate.numer() > 0 && rate.denom() > 0 {
            rate.numer() as f64 / rate.denom() as f64
        } else {
            30.0
        }
    });
    Ok(MediaInfo {
        audio: info
            .audio_streams()
            .iter()
            .map(|a| AudioStream {
                stream_id: a.stream_id().map(|id| id.to_string()),
            })
            .collect(),
        live: info.is_live(),
        still_image: video.first().is_some_and(|v| v.is_image()),
        fps,
        duration: info.duration().map(|d| Duration::from_nanos(d.nseconds())),
    })
}
