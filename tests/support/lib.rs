//! Helpers shared by the end-to-end tests: where the built plugins and the
//! `reel` binary are, and small frames to feed them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use reel_runtime::{Format, HostFrame, Layout, Pixels, Runtime};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A plugin built by `tests/setup.sh` (`cargo build --target wasm32-wasip2`).
pub fn plugin_path(name: &str) -> PathBuf {
    let path = root()
        .join("target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run tests/setup.sh (it builds the plugins) first",
        path.display()
    );
    path
}

/// A misbehaving plugin built by `tests/setup.sh` into its own folder, so
/// it never shows up on the user's plugin path.
pub fn test_plugin_path(name: &str) -> PathBuf {
    let path = root()
        .join("target/test-plugins/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run tests/setup.sh first",
        path.display()
    );
    path
}

/// The `reel` binary of this build.
pub fn reel_bin() -> PathBuf {
    let path = root().join("target/release/reel");
    assert!(
        path.is_file(),
        "{} is missing: build with --release",
        path.display()
    );
    path
}

/// Runs `reel` with `args` in `dir`, caching plugins in `dir/cache`.
pub fn reel_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(reel_bin())
        .args(args)
        .current_dir(dir)
        .env("REEL_CACHE_DIR", dir.join("cache"))
        .output()
        .expect("reel runs")
}

/// The plugins this build made and the repository's asset bundles, found
/// by name as `reel` finds them.
pub fn catalog() -> reel_runtime::Catalog {
    reel_runtime::Catalog::new(vec![root().join("target/wasm32-wasip2/release")])
        .with_asset_dirs(vec![root().join("assets")])
}

/// One runtime for the whole test binary, caching into a private folder.
pub fn runtime() -> Arc<Runtime> {
    static RT: OnceLock<Arc<Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("reel-test-cache-{}", std::process::id()));
        Arc::new(Runtime::new(Some(&dir)).expect("runtime starts"))
    })
    .clone()
}

/// A file-job stage `id` running the plugin at `path` with `params`: a
/// failure fails the frame (`on_error = "fail"`), default limits.
pub fn file_job_spec(
    id: &str,
    path: &Path,
    params: Vec<(String, reel_runtime::ParamValue)>,
) -> reel_runtime::StageSpec {
    reel_runtime::StageSpec {
        id: id.into(),
        plugin: runtime().load(path).expect("the plugin loads"),
        params,
        sandbox: reel_runtime::SandboxConfig::default(),
        on_error: reel_runtime::OnError::Fail,
        max_failures: 5,
        live: false,
    }
}

/// A packed frame whose bytes are `fill(byte_index)`.
pub fn frame(format: Format, width: usize, height: usize, fill: impl Fn(usize) -> u8) -> HostFrame {
    let layout = Layout::packed(format, width, height);
    let data: Vec<u8> = (0..layout.min_len()).map(fill).collect();
    HostFrame::new(layout, Pixels::Owned(data)).expect("packed layout fits")
}

pub fn bytes(frame: &HostFrame) -> Vec<u8> {
    frame.bytes().expect("frame has pixels").to_vec()
}

/// Initialises GStreamer once and registers Reel's elements statically.
pub fn init_gst() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        gst::init().expect("GStreamer initialises");
        gstreel::use_catalog(catalog());
        gstreel::plugin_register_static().expect("reel elements register");
    });
}

/// Runs a pipeline written as for gst-launch that ends in
/// `appsink name=out`, and returns the first `limit` samples it produces
/// (fewer when it ends first; none when it cannot start).
pub fn pull_samples(description: &str, limit: usize) -> Vec<gst::Sample> {
    use gst::prelude::*;
    init_gst();
    let pipeline = gst::parse::launch(description)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let sink = pipeline
        .by_name("out")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    let mut samples = Vec::new();
    if pipeline.set_state(gst::State::Playing).is_ok() {
        while samples.len() < limit {
            match sink.pull_sample() {
                Ok(sample) => samples.push(sample),
                Err(_) => break,
            }
        }
    }
    pipeline.set_state(gst::State::Null).unwrap();
    samples
}

fn uri(path: &Path) -> String {
    gst::glib::filename_to_uri(path, None).unwrap().to_string()
}

/// Every video frame of `path`, decoded by GStreamer and converted to RGBA
/// at `width`x`height`, in order.
pub fn decode_frames(path: &Path, width: i32, height: i32) -> Vec<Vec<u8>> {
    init_gst();
    let description = format!(
        "uridecodebin uri={} ! videoconvert ! videoscale ! video/x-raw,format=RGBA,width={width},height={height} ! appsink name=out sync=false",
        uri(path)
    );
    pull_samples(&description, usize::MAX)
        .iter()
        .map(|s| s.buffer().unwrap().map_readable().unwrap().to_vec())
        .collect()
}

/// Median wall time of `f` over `runs` runs, after two warm-up runs. The
/// median resists the noise of a shared machine better than the mean.
pub fn median_time(runs: usize, mut f: impl FnMut()) -> std::time::Duration {
    f();
    f();
    let mut times: Vec<std::time::Duration> = (0..runs)
        .map(|_| {
            let started = std::time::Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// The time span (first timestamp, end of the last buffer) of the decoded
/// `kind` ("video" or "audio") stream of `path`, or None when the file has
/// no such stream.
pub fn decoded_span(path: &Path, kind: &str) -> Option<(std::time::Duration, std::time::Duration)> {
    init_gst();
    let description = format!(
        "uridecodebin uri={} caps={kind}/x-raw ! appsink name=out sync=false",
        uri(path)
    );
    let samples = pull_samples(&description, usize::MAX);
    let ns = |t: gst::ClockTime| std::time::Duration::from_nanos(t.nseconds());
    let first = samples.first()?.buffer()?.pts().unwrap_or_default();
    let last = samples.last()?.buffer()?;
    let end = last.pts().unwrap_or_default() + last.duration().unwrap_or_default();
    Some((ns(first), ns(end)))
}

/// Writes `body` as `pipeline.toml` in `dir`; returns its path.
pub fn write_pipeline(dir: &Path, body: &str) -> String {
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// What a finished command wrote to stderr.
pub fn stderr_text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// How long making test media may take before it is taken for hung.
const GST_LAUNCH_PATIENCE: std::time::Duration = std::time::Duration::from_secs(300);

/// Makes test media: runs `gst-launch-1.0 -q` with `args`, which must
/// succeed within five minutes (a hung GStreamer fails the test instead of
/// stalling the suite).
pub fn gst_launch(args: &[&str]) {
    let mut child = std::process::Command::new("gst-launch-1.0")
        .arg("-q")
        .args(args)
        .spawn()
        .expect("gst-launch-1.0 runs");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("gst-launch-1.0 waits") {
            break status;
        }
        if started.elapsed() > GST_LAUNCH_PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gst-launch-1.0 hung: {}", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "gst-launch-1.0 {}", args.join(" "));
}

/// Sends `signal` to a process, or with a negative id to a process group,
/// as a terminal or a service manager does.
pub fn send_signal(target: i32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(target, signal) }, 0);
}

/// How much longer the decoded audio of `path` lasts than its video, in
/// seconds. Lengths, not ends: GStreamer's MP4 reader starts B-frame video
/// late by its reordering delay, where players follow the edit list.
pub fn audio_overhang(path: &Path) -> f64 {
    let video = decoded_span(path, "video").expect("a video stream");
    let audio = decoded_span(path, "audio").expect("an audio stream");
    let length =
        |(start, end): (std::time::Duration, std::time::Duration)| (end - start).as_secs_f64();
    length(audio) - length(video)
}

/// A one-picture PNG of a `videotestsrc` pattern, made by GStreamer.
pub fn png(path: &Path, pattern: &str, w: u32, h: u32) {
    gst_launch(&[
        "videotestsrc",
        &format!("pattern={pattern}"),
        "num-buffers=1",
        "!",
        &format!("video/x-raw,width={w},height={h}"),
        "!",
        "videoconvert",
        "!",
        "pngenc",
        "!",
        "filesink",
        &format!("location={}", path.display()),
    ]);
}

/// A 16-bit PCM WAV of `samples` (mono) at `rate`, written as `channels`
/// identical channels.
pub fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
    let data: Vec<u8> = samples
        .iter()
        .flat_map(|s| {
            let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
            std::iter::repeat_n(v.to_le_bytes(), channels as usize).flatten()
        })
        .collect();
    let mut wav = Vec::with_capacity(44 + data.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&channels.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2 * channels as u32).to_le_bytes());
    wav.extend_from_slice(&(2 * channels).to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    std::fs::write(path, wav).unwrap();
}

/// `samples` (48 kHz mono) with a second of silence before and after,
/// written as a WAV; returns what it wrote.
pub fn padded_wav(path: &Path, samples: &[f32]) -> Vec<f32> {
    let mut all = vec![0.0; 48_000];
    all.extend_from_slice(samples);
    all.extend(vec![0.0; 48_000]);
    write_wav(path, 48_000, 1, &all);
    all
}

/// Each frame's metadata from `wasmfilter ARGS` (a stage whose plugin
/// follows sound) over `frames` frames of 64x48 I420 at 30 fps, following
/// the sound of `audio` (a gst-launch fragment ending in raw audio).
pub fn frames_following(
    audio: &str,
    frames: usize,
    args: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    samples_following(
        audio,
        frames,
        args,
        ("smpte", "format=I420,width=64,height=48"),
    )
    .iter()
    .map(|s| {
        gstreel::frame_meta::read(s.buffer().unwrap())
            .into_iter()
            .collect()
    })
    .collect()
}

/// As [`frames_following`], over RGBA frames of `width` x `height` of
/// videotestsrc's `pattern` (`black`, `white`...): each frame's pixels and
/// metadata.
pub fn pictures_following(
    audio: &str,
    frames: usize,
    args: &str,
    (width, height): (usize, usize),
    pattern: &str,
) -> Vec<(Vec<u8>, std::collections::HashMap<String, String>)> {
    samples_following(
        audio,
        frames,
        args,
        (
            pattern,
            &format!("format=RGBA,width={width},height={height}"),
        ),
    )
    .iter()
    .map(|s| {
        let buffer = s.buffer().unwrap();
        let pixels = buffer.map_readable().unwrap().as_slice().to_vec();
        let meta = gstreel::frame_meta::read(buffer).into_iter().collect();
        (pixels, meta)
    })
    .collect()
}

/// `wasmfilter ARGS` following `audio` over `frames` frames of
/// videotestsrc's `pattern` in raw video `caps` at 30 fps.
fn samples_following(
    audio: &str,
    frames: usize,
    args: &str,
    (pattern, caps): (&str, &str),
) -> Vec<gst::Sample> {
    // Channels are named process-wide, and tests run side by side.
    static CHANNEL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let channel = CHANNEL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let description = format!(
        "{audio} ! audioconvert ! wasmsoundtap channel=following{channel} \
         videotestsrc num-buffers={frames} pattern={pattern} ! video/x-raw,{caps},framerate=30/1 \
         ! wasmfilter {args} sound=following{channel} on-error=fail ! appsink name=out sync=false"
    );
    pull_samples(&description, usize::MAX)
}

/// `text` spoken by espeak-ng (`[[...]]` for phonemes), as 48 kHz mono
/// samples.
pub fn speech(dir: &Path, text: &str) -> Vec<f32> {
    let wav = dir.join("espeak.wav");
    let out = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(&wav)
        .arg(text)
        .output()
        .expect("espeak-ng runs (tests/setup.sh installs it)");
    assert!(out.status.success(), "{}", stderr_text(&out));
    let raw = dir.join("espeak.raw");
    gst_launch(&[
        "filesrc",
        &format!("location={}", wav.display()),
        "!",
        "wavparse",
        "!",
        "audioconvert",
        "!",
        "audioresample",
        "!",
        "audio/x-raw,format=F32LE,rate=48000,channels=1",
        "!",
        "filesink",
        &format!("location={}", raw.display()),
    ]);
    std::fs::read(&raw)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}
