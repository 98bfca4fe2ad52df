//! What `wasmfilter` and `wasmmixer` share: their settings and properties,
//! loading the plugin, building the stage, reading buffers as frames, and
//! reporting the stage's events on the bus.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use gst::glib;
use gst::prelude::*;
use gst_video::VideoFormat;

use reel_runtime::{
    Format, HostFrame, Layout, OnError, ParamValue, Pixels, Plugin, Runtime, SandboxConfig, Stage,
    StageEvent, StageKind, StageSpec,
};

/// What a stage element does with a frame its plugin failed on; an enum
/// so gst-inspect lists the choices and gst-launch refuses a typo.
#[derive(Debug, Eq, PartialEq, Hash, Clone, Copy, Default, glib::Enum)]
#[repr(u32)]
#[enum_type(name = "ReelOnError")]
pub enum OnErrorMode {
    #[default]
    #[enum_value(name = "Pass the frame on unchanged", nick = "passthrough")]
    Passthrough,
    #[enum_value(name = "Leave the frame out", nick = "drop")]
    Drop,
    #[enum_value(name = "Stop the stream with an error", nick = "fail")]
    Fail,
}

impl From<OnErrorMode> for OnError {
    fn from(mode: OnErrorMode) -> OnError {
        match mode {
            OnErrorMode::Passthrough => OnError::Passthrough,
            OnErrorMode::Drop => OnError::Drop,
            OnErrorMode::Fail => OnError::Fail,
        }
    }
}

impl From<OnError> for OnErrorMode {
    fn from(policy: OnError) -> OnErrorMode {
        match policy {
            OnError::Passthrough => OnErrorMode::Passthrough,
            OnError::Drop => OnErrorMode::Drop,
            OnError::Fail => OnErrorMode::Fail,
        }
    }
}
const DEFAULT_DEADLINE_MS: u32 = 0;
const DEFAULT_HANG_GUARD_MS: u32 = reel_runtime::DEFAULT_HANG_GUARD.as_millis() as u32;
const DEFAULT_MEMORY_MB: u32 = (reel_runtime::DEFAULT_MEMORY_BYTES >> 20) as u32;
const DEFAULT_MAX_FAILURES: u32 = reel_runtime::DEFAULT_MAX_FAILURES;
/// Deadline when the stream has no fixed frame rate, and the most a
/// deadline derived from the frame rate may be.
const FALLBACK_DEADLINE: Duration = Duration::from_secs(1);

/// What a stage element holds: its settings, and from `start` to `stop`
/// the loaded plugin and (once caps are known) the running stage.
#[derive(Default)]
pub struct StageCore {
    pub settings: Mutex<Settings>,
    pub state: Mutex<Option<StageState>>,
    /// The loaded plugin and checked parameters an application handed
    /// over ([`StageCore::set_stage`]): used as they are, not found, loaded
    /// and parsed again from the properties.
    typed: Mutex<Option<Loaded>>,
    /// `params` was set while running: the stage's plugin gets the new
    /// values (its `configure`) before the next frame.
    params_changed: Mutex<bool>,
}

pub struct StageState {
    pub plugin: Arc<Plugin>,
    pub params: Vec<(String, ParamValue)>,
    /// The asset directory the `assets` property names, found at start.
    pub assets: Option<PathBuf>,
    pub stage: Option<Stage>,
    /// The negotiated input (filters).
    pub info: Option<gst_video::VideoInfo>,
    /// The sound channel the stage follows, once it runs.
    pub sound: Option<Arc<reel_sound::Tap>>,
}

impl StageState {
    /// Runs `stage` from now on, following the sound of the `sound`
    /// channel when the settings name one.
    pub fn run(&mut self, mut stage: Stage, settings: &Settings, live: bool) {
        if let Some(name) = &settings.sound {
            let tap = crate::sound_channels::channel(name);
            tap.open(live);
            stage.follow_sound(tap.clone());
            self.sound = Some(tap);
        }
        self.stage = Some(stage);
    }

    /// No more frames will ask for sound: the stream feeding it must not
    /// wait for them.
    pub fn release_sound(&self) {
        if let Some(tap) = &self.sound {
            tap.release();
        }
    }
}

impl StageCore {
    /// A property set by hand replaces a stage handed over as a whole.
    pub fn set_property(&self, value: &glib::Value, pspec: &glib::ParamSpec) {
        lock(&self.settings).set(pspec.name(), value);
        // Which sound to follow is not part of the stage handed over.
        if pspec.name() != "sound" {
            *lock(&self.typed) = None;
        }
        if pspec.name() == "params" {
            *lock(&self.params_changed) = true;
        }
    }

    /// Between two frames: hands `stage` the `params` set since the last
    /// frame. The plugin keeps running with its old parameters if the new
    /// ones are refused, and the element posts a warning saying why: a
    /// live graphic never stops over an operator's typo.
    pub fn apply_changed_params(&self, element: &gst::Element, stage: &mut Stage) {
        if !std::mem::take(&mut *lock(&self.params_changed)) {
            return;
        }
        let text = lock(&self.settings).params.clone();
        let params = match text.as_deref() {
            Some(text) => ParamValue::parse_table(text),
            None => Ok(Vec::new()),
        };
        if let Err(e) = params.and_then(|params| stage.configure(params)) {
            gst::element_warning!(
                element,
                gst::LibraryError::Settings,
                ("new params refused, the old ones stay: {e}")
            );
        }
    }

    pub fn property(&self, pspec: &glib::ParamSpec) -> glib::Value {
        if let Some(value) = lock(&self.settings).get(pspec.name()) {
            return value;
        }
        let state = lock(&self.state);
        stats(state.as_ref().and_then(|s| s.stage.as_ref())).to_value()
    }

    /// Runs the stage `spec` describes: its plugin (already loaded) and
    /// parameters (already checked) are used as they are; the properties
    /// take its settings, so they show what runs. The deadline still
    /// follows the stream, and the stream decides whether it is live.
    pub fn set_stage(&self, spec: &StageSpec) {
        let params: serde_json::Map<String, serde_json::Value> = spec
            .params
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), serde_json::to_value(v).ok()?)))
            .collect();
        let mut settings = lock(&self.settings);
        settings.plugin = Some(spec.plugin.path.to_string_lossy().into_owned());
        settings.params = Some(serde_json::Value::Object(params).to_string());
        settings.on_error = spec.on_error.into();
        settings.deadline_ms = spec.sandbox.deadline.as_millis().min(u32::MAX as u128) as u32;
        settings.hang_guard_ms = spec.sandbox.hang_guard.as_millis().min(u32::MAX as u128) as u32;
        settings.memory_mb = (spec.sandbox.memory_bytes >> 20) as u32;
        settings.assets = spec
            .sandbox
            .assets
            .as_ref()
            .map(|a| a.to_string_lossy().into_owned());
        settings.max_failures = spec.max_failures;
        *lock(&self.typed) = Some((spec.plugin.clone(), spec.params.clone()));
    }

    /// Loads the plugin (a settings error when it cannot be used as `kind`).
    pub fn start(&self, element: &str, kind: StageKind) -> Result<(), gst::ErrorMessage> {
        // What the properties say now is what starts.
        *lock(&self.params_changed) = false;
        let typed = lock(&self.typed).clone();
        let loaded = match typed {
            Some((plugin, params)) => plugin
                .expect_kind(kind)
                .map(|()| (plugin, params))
                .map_err(|e| format!("{element}: {e}")),
            None => lock(&self.settings).load(element, kind),
        };
        let settings_error = |msg: String| gst::error_msg!(gst::LibraryError::Settings, ("{msg}"));
        let (plugin, params) = loaded.map_err(settings_error)?;
        // A name of a bundle in the catalog, or a folder (relative to the
        // working directory), as a pipeline file names one.
        let assets = lock(&self.settings)
            .assets
            .as_deref()
            .map(|name| crate::catalog().find_assets(name, Path::new(".")))
            .transpose()
            .map_err(|e| settings_error(format!("{element}: assets: {e}")))?;
        *lock(&self.state) = Some(StageState {
            plugin,
            params,
            assets,
            stage: None,
            info: None,
            sound: None,
        });
        Ok(())
    }

    pub fn stop(&self) {
        if let Some(state) = lock(&self.state).take() {
            state.release_sound();
        }
    }

    /// A flush reached the stage (a seek): a frame waiting for its sound
    /// stops waiting, as it is being thrown away. Found by the channel's
    /// name, not through the state, which the waiting frame's thread holds.
    pub fn flush(&self) {
        let name = lock(&self.settings).sound.clone();
        if let Some(name) = name {
            crate::sound_channels::channel(&name).interrupt();
        }
    }

    /// The stream ended: the stage reads no more sound.
    pub fn end_of_stream(&self) {
        if let Some(state) = lock(&self.state).as_ref() {
            state.release_sound();
        }
    }

    /// Caps limited to the formats the loaded plugin accepts.
    pub fn allowed_caps(&self) -> gst::Caps {
        match lock(&self.state).as_ref() {
            Some(state) => caps_for(&state.plugin.description.formats),
            None => caps_for(&ALL_FORMATS),
        }
    }
}

/// Whether the stream reaching `pad` comes from a live source (a camera,
/// a network feed), from the upstream latency query.
pub fn is_live(pad: &gst::Pad) -> bool {
    let mut query = gst::query::Latency::new();
    pad.peer_query(&mut query) && query.result().0
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A loaded plugin and the parameters the settings give it.
pub type Loaded = (Arc<Plugin>, Vec<(String, ParamValue)>);

/// The stage properties, as set by the user.
#[derive(Clone, Debug)]
pub struct Settings {
    pub plugin: Option<String>,
    pub params: Option<String>,
    pub on_error: OnErrorMode,
    pub deadline_ms: u32,
    pub hang_guard_ms: u32,
    pub memory_mb: u32,
    pub assets: Option<String>,
    pub max_failures: u32,
    /// The `wasmsoundtap` channel whose sound the plugin follows.
    pub sound: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            plugin: None,
            params: None,
            on_error: OnErrorMode::default(),
            deadline_ms: DEFAULT_DEADLINE_MS,
            hang_guard_ms: DEFAULT_HANG_GUARD_MS,
            memory_mb: DEFAULT_MEMORY_MB,
            assets: None,
            max_failures: DEFAULT_MAX_FAILURES,
            sound: None,
        }
    }
}

/// The properties every stage element has (`stats` is read-only).
pub fn properties() -> Vec<glib::ParamSpec> {
    vec![
        glib::ParamSpecString::builder("plugin")
            .nick("Plugin")
            .blurb("Plugin name (on REEL_PLUGIN_PATH or the build output) or path to a .wasm file")
            .build(),
        glib::ParamSpecString::builder("params")
            .nick("Parameters")
            .blurb("Plugin parameters as an inline TOML table (strength=0.5, mode=\"x\") or a JSON object")
            .build(),
        glib::ParamSpecEnum::builder_with_default("on-error", OnErrorMode::default())
            .nick("On error")
            .blurb("What to do with a frame the plugin failed on")
            .build(),
        glib::ParamSpecUInt::builder("deadline-ms")
            .nick("Deadline")
            .blurb("Live streams: wall-clock time one frame may take, in ms (0: twice the frame interval, at most 1 s)")
            .maximum(reel_runtime::MAX_DEADLINE.as_millis() as u32)
            .default_value(DEFAULT_DEADLINE_MS)
            .build(),
        glib::ParamSpecUInt::builder("hang-guard-ms")
            .nick("Hang guard")
            .blurb("Streams that are not live: CPU time the plugin may spend on one frame before it is taken for hung, in ms")
            .minimum(1)
            .maximum(reel_runtime::MAX_DEADLINE.as_millis() as u32)
            .default_value(DEFAULT_HANG_GUARD_MS)
            .build(),
        glib::ParamSpecUInt::builder("memory-mb")
            .nick("Memory cap")
            .blurb("Memory the plugin instance may use, in MiB")
            .minimum(1)
            .maximum((reel_runtime::MAX_MEMORY_BYTES >> 20) as u32)
            .default_value(DEFAULT_MEMORY_MB)
            .build(),
        glib::ParamSpecString::builder("assets")
            .nick("Assets")
            .blurb("The folder the plugin may read (read-only, at /assets): a path, or the name of an asset bundle in Reel's catalog")
            .build(),
        glib::ParamSpecUInt::builder("max-failures")
            .nick("Max failures")
            .blurb("Failures in a row after which the stage is bypassed")
            .minimum(1)
            .default_value(DEFAULT_MAX_FAILURES)
            .build(),
        glib::ParamSpecString::builder("sound")
            .nick("Sound")
            .blurb("The channel of a wasmsoundtap whose sound the plugin follows (plugins that import `audio`): each frame gets the sound playing during it")
            .build(),
        glib::ParamSpecBoxed::builder::<gst::Structure>("stats")
            .nick("Statistics")
            .blurb("Frames, failures and mean/p99 time per frame so far")
            .read_only()
            .build(),
    ]
}

impl Settings {
    pub fn set(&mut self, name: &str, value: &glib::Value) {
        let text = || {
            value
                .get::<Option<String>>()
                .expect("type checked upstream")
        };
        let number = || value.get::<u32>().expect("type checked upstream");
        match name {
            "plugin" => self.plugin = text(),
            "params" => self.params = text(),
            "on-error" => {
                self.on_error = value.get::<OnErrorMode>().expect("type checked upstream")
            }
            "deadline-ms" => self.deadline_ms = number(),
            "hang-guard-ms" => self.hang_guard_ms = number(),
            "memory-mb" => self.memory_mb = number(),
            "assets" => self.assets = text(),
            "max-failures" => self.max_failures = number(),
            "sound" => self.sound = text(),
            other => unreachable!("no writable property {other}"),
        }
    }

    /// The value of a settings property; None for `stats`.
    pub fn get(&self, name: &str) -> Option<glib::Value> {
        Some(match name {
            "plugin" => self.plugin.to_value(),
            "params" => self.params.to_value(),
            "on-error" => self.on_error.to_value(),
            "deadline-ms" => self.deadline_ms.to_value(),
            "hang-guard-ms" => self.hang_guard_ms.to_value(),
            "memory-mb" => self.memory_mb.to_value(),
            "assets" => self.assets.to_value(),
            "max-failures" => self.max_failures.to_value(),
            "sound" => self.sound.to_value(),
            _ => return None,
        })
    }

    /// Loads the plugin and checks the settings against it: the error is
    /// a sentence for the user.
    pub fn load(&self, element: &str, kind: StageKind) -> Result<Loaded, String> {
        let name = self.plugin.as_deref().ok_or_else(|| {
            format!("{element} needs the `plugin` property (a plugin name or a .wasm path)")
        })?;
        let runtime = Runtime::global().map_err(|e| format!("{e:#}"))?;
        if let Some(warning) = runtime.cache_warning() {
            gst::warning!(gst::CAT_DEFAULT, "{warning}");
        }
        let plugin = runtime
            .load_named(crate::catalog(), name, kind)
            .map_err(|e| format!("{element}: {e}"))?;
        let params = match self.params.as_deref() {
            Some(text) => ParamValue::parse_table(text).map_err(|e| format!("params: {e}"))?,
            None => Vec::new(),
        };
        plugin
            .description
            .resolve_params(&params)
            .map_err(|e| e.to_string())?;
        Ok((plugin, params))
    }

    /// The deadline of one call on a stream of frame rate `fps`: the
    /// property when set (at most `MAX_DEADLINE`), else twice the frame
    /// interval, at most the fallback.
    fn deadline_for(&self, fps: gst::Fraction) -> Duration {
        if self.deadline_ms > 0 {
            Duration::from_millis(self.deadline_ms as u64).min(reel_runtime::MAX_DEADLINE)
        } else if fps.numer() > 0 && fps.denom() > 0 {
            // A stream claiming 1/100000 fps must not let a looping plugin
            // run for days.
            Duration::from_secs_f64(2.0 * fps.denom() as f64 / fps.numer() as f64)
                .min(FALLBACK_DEADLINE)
        } else {
            FALLBACK_DEADLINE
        }
    }

    /// The stage for a stream of frame rate `fps`, `live` or not.
    pub fn spec(&self, id: &str, state: &StageState, fps: gst::Fraction, live: bool) -> StageSpec {
        let deadline = self.deadline_for(fps);
        StageSpec {
            id: id.to_string(),
            plugin: state.plugin.clone(),
            params: state.params.clone(),
            sandbox: SandboxConfig {
                memory_bytes: (self.memory_mb as usize) << 20,
                deadline,
                hang_guard: Duration::from_millis(self.hang_guard_ms as u64),
                assets: state.assets.clone(),
            },
            on_error: self.on_error.into(),
            max_failures: self.max_failures,
            live,
        }
    }
}

pub fn format_of(f: VideoFormat) -> Option<Format> {
    match f {
        VideoFormat::I420 => Some(Format::I420),
        VideoFormat::Nv12 => Some(Format::Nv12),
        VideoFormat::Rgba => Some(Format::Rgba),
        _ => None,
    }
}

fn video_format(f: Format) -> VideoFormat {
    match f {
        Format::I420 => VideoFormat::I420,
        Format::Nv12 => VideoFormat::Nv12,
        Format::Rgba => VideoFormat::Rgba,
    }
}

pub const ALL_FORMATS: [Format; 3] = [Format::I420, Format::Nv12, Format::Rgba];

pub fn caps_for(formats: &[Format]) -> gst::Caps {
    gst_video::VideoCapsBuilder::new()
        .format_list(formats.iter().copied().map(video_format))
        .build()
}

/// Where the planes of `buffer` lie: its VideoMeta when upstream attached
/// one (custom strides), else the negotiated info.
pub fn layout_of(buffer: &gst::BufferRef, info: &gst_video::VideoInfo) -> Result<Layout, String> {
    let format = format_of(info.format()).ok_or("unsupported format")?;
    let (offsets, strides): (Vec<usize>, Vec<i32>) = match buffer.meta::<gst_video::VideoMeta>() {
        Some(meta) => (meta.offset().to_vec(), meta.stride().to_vec()),
        None => (info.offset().to_vec(), info.stride().to_vec()),
    };
    let strides = strides
        .iter()
        .map(|&s| usize::try_from(s).map_err(|_| format!("negative stride {s}")))
        .collect::<Result<Vec<_>, _>>()?;
    Layout::with_strides(
        format,
        info.width() as usize,
        info.height() as usize,
        &offsets,
        &strides,
        buffer.size(),
    )
    .map_err(|e| e.to_string())
}

/// A read-only frame over `buffer` (a mixer input).
pub fn read_only_frame(
    buffer: gst::Buffer,
    info: &gst_video::VideoInfo,
) -> Result<HostFrame, String> {
    let layout = layout_of(&buffer, info)?;
    let (pts, duration) = (buffer.pts(), buffer.duration());
    let meta = crate::frame_meta::read(&buffer);
    let mapped = buffer
        .into_mapped_buffer_readable()
        .map_err(|_| "cannot map the buffer".to_string())?;
    let mut frame =
        HostFrame::new(layout, Pixels::ReadOnly(mapped)).map_err(|e| format!("{e:?}"))?;
    frame.pts = pts.map(|t| t.nseconds());
    frame.duration = duration.map(|t| t.nseconds());
    frame.meta = meta;
    Ok(frame)
}

/// Statistics of a stage as a structure (the `stats` property).
pub fn stats(stage: Option<&Stage>) -> gst::Structure {
    let mut builder = gst::Structure::builder("reel-stage-stats");
    if let Some(stage) = stage {
        let stats = stage.stats();
        builder = builder
            .field("frames", stats.frames)
            .field("processed", stats.processed)
            .field("failures", stats.failures)
            .field("mean-us", stats.mean.as_secs_f64() * 1e6)
            .field("p99-us", stats.p99.as_secs_f64() * 1e6)
            .field("bypassed", stats.bypassed.unwrap_or_default());
    }
    builder.build()
}

/// Reports a stage's events: guest output and failures as element
/// messages (`reel-stage-output`, `reel-stage-failure`) and in the debug
/// log, a bypass once as a warning (gst-launch and `reel` print those).
pub fn post_events(
    element: &gst::Element,
    cat: gst::DebugCategory,
    stage_id: &str,
    events: Vec<StageEvent>,
) {
    for event in events {
        let structure = match event {
            StageEvent::Output(line) => {
                gst::info!(cat, obj = element, "[{stage_id}] {line}");
                gst::Structure::builder("reel-stage-output")
                    .field("stage", stage_id)
                    .field("line", line)
                    .build()
            }
            StageEvent::Failed {
                frame,
                pts,
                reason,
                action,
            } => {
                gst::warning!(cat, obj = element, "[{stage_id}] frame {frame}: {reason}");
                gst::Structure::builder("reel-stage-failure")
                    .field("stage", stage_id)
                    .field("frame", frame)
                    .field("pts", pts.unwrap_or(u64::MAX))
                    .field("reason", reason)
                    .field("action", format!("{action:?}").to_lowercase())
                    .build()
            }
            StageEvent::Bypassed { reason } => {
                gst::element_warning!(
                    element,
                    gst::StreamError::Failed,
                    ("stage `{stage_id}` is bypassed from now on: {reason}")
                );
                continue;
            }
        };
        let _ = element.post_message(
            gst::message::Element::builder(structure)
                .src(element)
                .build(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deadlines are bounded whatever asks for them: a stream's frame rate
    /// (1/100000 fps would give 55 hours) or the property.
    #[test]
    fn deadlines_have_a_ceiling() {
        let props = properties();
        let deadline = props
            .iter()
            .find(|p| p.name() == "deadline-ms")
            .and_then(|p| p.downcast_ref::<glib::ParamSpecUInt>())
            .expect("a deadline-ms property");
        assert_eq!(
            u64::from(deadline.maximum()),
            reel_runtime::MAX_DEADLINE.as_millis() as u64
        );
        let settings = Settings::default();
        assert_eq!(
            settings.deadline_for(gst::Fraction::new(1, 100_000)),
            FALLBACK_DEADLINE
        );
        assert_eq!(
            settings.deadline_for(gst::Fraction::new(25, 1)),
            Duration::from_millis(80)
        );
        let explicit = Settings {
            deadline_ms: u32::MAX,
            ..Settings::default()
        };
        assert_eq!(
            explicit.deadline_for(gst::Fraction::new(25, 1)),
            reel_runtime::MAX_DEADLINE
        );
    }
}
