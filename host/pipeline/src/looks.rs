//! Styles and LUTs outside a pipeline: reading a `.style`, the colours of
//! reference content (a folder of images, or frames of a clip decoded by
//! GStreamer), and baking a style's transfer for that content into a
//! `.cube` (`reel style export-cube`).

use std::path::{Path, PathBuf};

use gst::prelude::*;
use reel_style::{Cube, FitOptions, Style, Transfer};

/// Colour samples taken from reference content.
const REFERENCE_COLOURS: usize = 16384;
/// Frames of a clip sampled, spread over its length.
const CLIP_FRAMES: usize = 12;
/// Clip frames are decoded at this width (enough for colour statistics).
const CLIP_WIDTH: i32 = 320;

/// Why a look could not be read, sampled or written; each names its file.
#[derive(Debug)]
pub struct LookError {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for LookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for LookError {}

fn error(path: &Path, reason: impl ToString) -> LookError {
    LookError {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads a `.style` file.
pub fn read_style(path: &Path) -> Result<Style, LookError> {
    let bytes = std::fs::read(path).map_err(|e| error(path, e))?;
    Style::from_bytes(&bytes).map_err(|e| error(path, e))
}

/// Colour samples of `reference`: every image of a folder, or frames
/// spread over a clip (any file GStreamer decodes).
pub fn reference_colours(reference: &Path) -> Result<Vec<[f32; 3]>, LookError> {
    if reference.is_dir() {
        return reel_style::train::folder_colours(reference, REFERENCE_COLOURS)
            .map(|(colours, _)| colours)
            .map_err(|e| error(reference, e));
    }
    clip_colours(reference).map_err(|reason| error(reference, reason))
}

/// The style's transfer fitted to `reference` and baked into a `size`³
/// `.cube` for other tools (DaVinci Resolve, OBS, ffmpeg's `lut3d`).
pub fn export_cube(style: &Style, reference: &Path, size: usize) -> Result<Cube, LookError> {
    if !(2..=reel_style::cube::MAX_SIZE).contains(&size) {
        return Err(error(
            reference,
            format!(
                "a .cube size must be 2..={}, got {size}",
                reel_style::cube::MAX_SIZE
            ),
        ));
    }
    let content = reference_colours(reference)?;
    let transfer = Transfer::fit(&content, &style.colours, &FitOptions::default());
    let mut cube = transfer.bake(size, 1.0);
    cube.title = Some(format!(
        "{} for {}",
        style.header.name,
        reference.file_name().unwrap_or_default().to_string_lossy()
    ));
    Ok(cube)
}

/// Decodes frames spread over a clip, small, and samples their colours.
fn clip_colours(path: &Path) -> Result<Vec<[f32; 3]>, String> {
    let absolute = std::path::absolute(path).map_err(|e| e.to_string())?;
    if !absolute.is_file() {
        return Err("no such file or folder".into());
    }
    let uri = gst::glib::filename_to_uri(&absolute, None).map_err(|e| e.to_string())?;
    let pipeline = gst::parse::launch(&format!(
        "uridecodebin uri=\"{uri}\" ! videoconvert ! videoscale ! \
         video/x-raw,format=RGB,width={CLIP_WIDTH},pixel-aspect-ratio=1/1 ! \
         appsink name=sink sync=false"
    ))
    .map_err(|e| e.to_string())?
    .downcast::<gst::Pipeline>()
    .map_err(|_| "not a pipeline".to_string())?;
    let sink = pipeline
        .by_name("sink")
        .and_then(|s| s.downcast::<gst_app::AppSink>().ok())
        .ok_or("no sink")?;
    let result = sample_frames(&pipeline, &sink);
    let _ = pipeline.set_state(gst::State::Null);
    let frames = result?;
    let per_frame = (REFERENCE_COLOURS / frames.len().max(1)).max(1);
    let mut colours = Vec::with_capacity(REFERENCE_COLOURS);
    for frame in &frames {
        // An even grid over the frame: the same samples every time.
        let pixels = frame.len() / 3;
        let step = (pixels / per_frame).max(1);
        colours.extend(
            frame
                .chunks_exact(3)
                .step_by(step)
                .map(|p| [p[0], p[1], p[2]].map(|v| v as f32 / 255.0)),
        );
    }
    if colours.is_empty() {
        return Err("no video frames could be decoded".into());
    }
    Ok(colours)
}

/// Pauses the pipeline and pulls a frame at each of CLIP_FRAMES points
/// spread over the clip (one, for a clip of unknown length); packed RGB.
fn sample_frames(
    pipeline: &gst::Pipeline,
    sink: &gst_app::AppSink,
) -> Result<Vec<Vec<u8>>, String> {
    const WAIT: gst::ClockTime = gst::ClockTime::from_seconds(20);
    let paused = |what: &str| -> Result<(), String> {
        let bus = pipeline.bus().ok_or("no bus")?;
        if let Some(msg) = bus.timed_pop_filtered(
            WAIT,
            &[gst::MessageType::AsyncDone, gst::MessageType::Error],
        ) {
            if let gst::MessageView::Error(e) = msg.view() {
                return Err(format!("{what}: {}", e.error()));
            }
            return Ok(());
        }
        Err(format!("{what}: no frame within {WAIT}"))
    };
    pipeline
        .set_state(gst::State::Paused)
        .map_err(|_| "GStreamer could not open it (not a video file?)".to_string())?;
    paused("decoding")?;
    let duration = pipeline.query_duration::<gst::ClockTime>();
    let points: Vec<gst::ClockTime> = match duration {
        Some(d) if d > gst::ClockTime::ZERO => (0..CLIP_FRAMES)
            .map(|k| d * (2 * k as u64 + 1) / (2 * CLIP_FRAMES as u64))
            .collect(),
        _ => vec![gst::ClockTime::ZERO],
    };
    let mut frames = Vec::with_capacity(points.len());
    for (k, at) in points.into_iter().enumerate() {
        if k > 0 || at > gst::ClockTime::ZERO {
            pipeline
                .seek_simple(gst::SeekFlags::FLUSH | gst::SeekFlags::ACCURATE, at)
                .map_err(|_| "the clip cannot be searched (seek failed)".to_string())?;
            paused("seeking")?;
        }
        let sample = sink
            .try_pull_preroll(WAIT)
            .ok_or("no frame after seeking")?;
        let buffer = sample.buffer().ok_or("a frame without data")?;
        let caps = sample.caps().ok_or("a frame without caps")?;
        let info = gst_video::VideoInfo::from_caps(caps).map_err(|e| e.to_string())?;
        let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
            .map_err(|e| e.to_string())?;
        let (width, stride) = (info.width() as usize, info.stride()[0] as usize);
        let data = frame.plane_data(0).map_err(|e| e.to_string())?;
        let mut packed = Vec::with_capacity(width * 3 * info.height() as usize);
        for row in data.chunks(stride).take(info.height() as usize) {
            packed.extend_from_slice(&row[..width * 3]);
        }
        frames.push(packed);
    }
    Ok(frames)
}

/// Writes `bytes` to `path` so that the file appears under its name only
/// when complete: into a hidden file beside it, then renamed over it.
pub fn save(path: &Path, bytes: &[u8]) -> Result<(), LookError> {
    use std::io::Write as _;
    let name = path
        .file_name()
        .ok_or_else(|| error(path, "not a file name"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let partial = dir.join(format!(".{}.part", name.to_string_lossy()));
    let written = std::fs::File::create(&partial).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&partial, path)) {
        let _ = std::fs::remove_file(&partial);
        return Err(error(path, e));
    }
    Ok(())
}
