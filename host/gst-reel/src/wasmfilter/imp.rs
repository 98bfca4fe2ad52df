//! `wasmfilter`: a BaseTransform that hands each buffer, in place, to a
//! supervised WebAssembly filter stage.
//!
//! The buffer is taken in `generate_output` (not `transform_ip`) so the
//! element owns it while the guest works: its mapping can then live in the
//! runtime's frame table for the call without borrowing tricks.

use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::base_transform::GenerateOutputSuccess;
use gst_base::subclass::prelude::*;
use gst_video::VideoFormat;

use reel_runtime::{
    Format, HostFrame, Layout, OnError, ParamValue, Pixels, Plugin, Runtime, SandboxConfig, Stage,
    StageEvent, StageSpec, Verdict,
};

use crate::frame_meta;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "wasmfilter",
        gst::DebugColorFlags::empty(),
        Some("Reel WebAssembly filter stage"),
    )
});

const DEFAULT_ON_ERROR: &str = "passthrough";
const DEFAULT_DEADLINE_MS: u32 = 0;
const DEFAULT_MEMORY_MB: u32 = (reel_runtime::DEFAULT_MEMORY_BYTES >> 20) as u32;
const DEFAULT_MAX_FAILURES: u32 = reel_runtime::DEFAULT_MAX_FAILURES;
/// CPU deadline when the stream has no fixed frame rate.
const FALLBACK_DEADLINE: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
struct Settings {
    plugin: Option<String>,
    params: Option<String>,
    on_error: String,
    deadline_ms: u32,
    memory_mb: u32,
    assets: Option<String>,
    max_failures: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            plugin: None,
            params: None,
            on_error: DEFAULT_ON_ERROR.into(),
            deadline_ms: DEFAULT_DEADLINE_MS,
            memory_mb: DEFAULT_MEMORY_MB,
            assets: None,
            max_failures: DEFAULT_MAX_FAILURES,
        }
    }
}

/// What exists between `start` and `stop`.
struct State {
    plugin: Arc<Plugin>,
    params: Vec<(String, ParamValue)>,
    stage: Option<Stage>,
    info: Option<gst_video::VideoInfo>,
}

#[derive(Default)]
pub struct WasmFilter {
    settings: Mutex<Settings>,
    state: Mutex<Option<State>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn format_of(f: VideoFormat) -> Option<Format> {
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

fn caps_for(formats: &[Format]) -> gst::Caps {
    gst_video::VideoCapsBuilder::new()
        .format_list(formats.iter().copied().map(video_format))
        .build()
}

/// Where the planes of `buffer` lie: its VideoMeta when upstream attached
/// one (custom strides), else the negotiated info.
fn layout_of(buffer: &gst::BufferRef, info: &gst_video::VideoInfo) -> Result<Layout, String> {
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

impl WasmFilter {
    fn post_events(&self, stage_id: &str, events: Vec<StageEvent>) {
        let element = self.obj();
        for event in events {
            let structure = match event {
                StageEvent::Output(line) => {
                    gst::info!(CAT, imp = self, "[{stage_id}] {line}");
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
                    gst::warning!(CAT, imp = self, "[{stage_id}] frame {frame}: {reason}");
                    gst::Structure::builder("reel-stage-failure")
                        .field("stage", stage_id)
                        .field("frame", frame)
                        .field("pts", pts.unwrap_or(u64::MAX))
                        .field("reason", reason)
                        .field("action", format!("{action:?}").to_lowercase())
                        .build()
                }
                StageEvent::Bypassed { reason } => {
                    // Posted once, as a warning: gst-launch and `reel` both
                    // print warnings.
                    gst::element_imp_warning!(
                        self,
                        gst::StreamError::Failed,
                        ("stage `{stage_id}` is bypassed from now on: {reason}")
                    );
                    continue;
                }
            };
            let _ = element.post_message(
                gst::message::Element::builder(structure)
                    .src(&*element)
                    .build(),
            );
        }
    }

    fn deadline(&self, settings: &Settings, info: &gst_video::VideoInfo) -> Duration {
        if settings.deadline_ms > 0 {
            return Duration::from_millis(settings.deadline_ms as u64);
        }
        let fps = info.fps();
        if fps.numer() > 0 && fps.denom() > 0 {
            Duration::from_secs_f64(2.0 * fps.denom() as f64 / fps.numer() as f64)
        } else {
            FALLBACK_DEADLINE
        }
    }

    /// Statistics of the running stage as a structure (the `stats` property).
    fn stats(&self) -> gst::Structure {
        let state = lock(&self.state);
        let mut builder = gst::Structure::builder("reel-stage-stats");
        if let Some(stage) = state.as_ref().and_then(|s| s.stage.as_ref()) {
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
}

#[glib::object_subclass]
impl ObjectSubclass for WasmFilter {
    const NAME: &'static str = "ReelWasmFilter";
    type Type = super::WasmFilter;
    type ParentType = gst_base::BaseTransform;
}

impl ObjectImpl for WasmFilter {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("plugin")
                    .nick("Plugin")
                    .blurb("Plugin name (on REEL_PLUGIN_PATH or the build output) or path to a .wasm file")
                    .build(),
                glib::ParamSpecString::builder("params")
                    .nick("Parameters")
                    .blurb("Plugin parameters as an inline TOML table (strength=0.5, mode=\"x\") or a JSON object")
                    .build(),
                glib::ParamSpecString::builder("on-error")
                    .nick("On error")
                    .blurb("What to do with a frame the plugin failed on: passthrough, drop or fail")
                    .default_value(Some(DEFAULT_ON_ERROR))
                    .build(),
                glib::ParamSpecUInt::builder("deadline-ms")
                    .nick("Deadline")
                    .blurb("CPU time one frame may take, in ms (0: twice the frame interval)")
                    .default_value(DEFAULT_DEADLINE_MS)
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
                    .blurb("A directory the plugin may read (read-only, at /assets)")
                    .build(),
                glib::ParamSpecUInt::builder("max-failures")
                    .nick("Max failures")
                    .blurb("Failures in a row after which the stage is bypassed")
                    .minimum(1)
                    .default_value(DEFAULT_MAX_FAILURES)
                    .build(),
                glib::ParamSpecBoxed::builder::<gst::Structure>("stats")
                    .nick("Statistics")
                    .blurb("Frames, failures and mean/p99 time per frame so far")
                    .read_only()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut settings = lock(&self.settings);
        match pspec.name() {
            "plugin" => settings.plugin = value.get().expect("type checked upstream"),
            "params" => settings.params = value.get().expect("type checked upstream"),
            "on-error" => {
                let v: Option<String> = value.get().expect("type checked upstream");
                settings.on_error = v.unwrap_or_else(|| DEFAULT_ON_ERROR.into());
            }
            "deadline-ms" => settings.deadline_ms = value.get().expect("type checked upstream"),
            "memory-mb" => settings.memory_mb = value.get().expect("type checked upstream"),
            "assets" => settings.assets = value.get().expect("type checked upstream"),
            "max-failures" => settings.max_failures = value.get().expect("type checked upstream"),
            other => unreachable!("no property {other}"),
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let settings = lock(&self.settings);
        match pspec.name() {
            "plugin" => settings.plugin.to_value(),
            "params" => settings.params.to_value(),
            "on-error" => settings.on_error.to_value(),
            "deadline-ms" => settings.deadline_ms.to_value(),
            "memory-mb" => settings.memory_mb.to_value(),
            "assets" => settings.assets.to_value(),
            "max-failures" => settings.max_failures.to_value(),
            "stats" => {
                drop(settings);
                self.stats().to_value()
            }
            other => unreachable!("no property {other}"),
        }
    }
}

impl GstObjectImpl for WasmFilter {}

impl ElementImpl for WasmFilter {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Reel WebAssembly filter",
                "Filter/Effect/Video",
                "Runs a sandboxed Reel WebAssembly filter plugin on each frame",
                "Reel developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let caps = caps_for(&[Format::I420, Format::Nv12, Format::Rgba]);
            vec![
                gst::PadTemplate::new(
                    "src",
                    gst::PadDirection::Src,
                    gst::PadPresence::Always,
                    &caps,
                )
                .expect("valid template"),
                gst::PadTemplate::new(
                    "sink",
                    gst::PadDirection::Sink,
                    gst::PadPresence::Always,
                    &caps,
                )
                .expect("valid template"),
            ]
        });
        TEMPLATES.as_ref()
    }
}

impl BaseTransformImpl for WasmFilter {
    const MODE: gst_base::subclass::BaseTransformMode =
        gst_base::subclass::BaseTransformMode::AlwaysInPlace;
    const PASSTHROUGH_ON_SAME_CAPS: bool = false;
    const TRANSFORM_IP_ON_PASSTHROUGH: bool = false;

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = lock(&self.settings).clone();
        let Some(name) = settings.plugin.as_deref() else {
            return Err(gst::error_msg!(
                gst::LibraryError::Settings,
                ("wasmfilter needs the `plugin` property (a plugin name or a .wasm path)")
            ));
        };
        let settings_error = |msg: String| gst::error_msg!(gst::LibraryError::Settings, ("{msg}"));
        if OnError::parse(&settings.on_error).is_none() {
            return Err(settings_error(format!(
                "on-error must be one of {}, not `{}`",
                OnError::NAMES.join(", "),
                settings.on_error
            )));
        }
        let path = reel_runtime::find_plugin(name).map_err(settings_error)?;
        let runtime = Runtime::global().map_err(|e| settings_error(format!("{e:#}")))?;
        let plugin = runtime
            .load(&path)
            .map_err(|e| settings_error(format!("{e:#}")))?;
        if plugin.description.kind != reel_runtime::StageKind::Filter {
            return Err(settings_error(format!(
                "plugin `{}` is a {}, but wasmfilter runs filters",
                plugin.description.name, plugin.description.kind
            )));
        }
        let params = match settings.params.as_deref() {
            Some(text) => {
                ParamValue::parse_table(text).map_err(|e| settings_error(format!("params: {e}")))?
            }
            None => Vec::new(),
        };
        plugin
            .description
            .resolve_params(&params)
            .map_err(|e| settings_error(e.to_string()))?;
        gst::info!(
            CAT,
            imp = self,
            "loaded plugin {} from {}",
            plugin.description.name,
            path.display()
        );
        *lock(&self.state) = Some(State {
            plugin,
            params,
            stage: None,
            info: None,
        });
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *lock(&self.state) = None;
        Ok(())
    }

    fn transform_caps(
        &self,
        _direction: gst::PadDirection,
        caps: &gst::Caps,
        filter: Option<&gst::Caps>,
    ) -> Option<gst::Caps> {
        // The stage works in place: both sides carry the same caps, limited
        // to the formats the plugin accepts.
        let allowed = match lock(&self.state).as_ref() {
            Some(state) => caps_for(&state.plugin.description.formats),
            None => caps_for(&[Format::I420, Format::Nv12, Format::Rgba]),
        };
        let caps = caps.intersect(&allowed);
        Some(match filter {
            Some(f) => f.intersect_with_mode(&caps, gst::CapsIntersectMode::First),
            None => caps,
        })
    }

    fn set_caps(&self, incaps: &gst::Caps, _outcaps: &gst::Caps) -> Result<(), gst::LoggableError> {
        let info = gst_video::VideoInfo::from_caps(incaps)
            .map_err(|_| gst::loggable_error!(CAT, "cannot parse caps {incaps}"))?;
        let settings = lock(&self.settings).clone();
        let mut state_guard = lock(&self.state);
        let state = state_guard
            .as_mut()
            .ok_or_else(|| gst::loggable_error!(CAT, "caps before start"))?;
        let spec = StageSpec {
            id: self.obj().name().to_string(),
            plugin: state.plugin.clone(),
            params: state.params.clone(),
            sandbox: SandboxConfig {
                memory_bytes: (settings.memory_mb as usize) << 20,
                deadline: self.deadline(&settings, &info),
                assets: settings.assets.as_ref().map(Into::into),
            },
            on_error: OnError::parse(&settings.on_error).unwrap_or_default(),
            max_failures: settings.max_failures,
        };
        let stage = Stage::new(spec).map_err(|e| {
            gst::element_imp_error!(self, gst::LibraryError::Settings, ("{e:#}"));
            gst::loggable_error!(CAT, "{e:#}")
        })?;
        state.stage = Some(stage);
        state.info = Some(info);
        Ok(())
    }

    fn generate_output(&self) -> Result<GenerateOutputSuccess, gst::FlowError> {
        let Some(mut buffer) = self.take_queued_buffer() else {
            return Ok(GenerateOutputSuccess::NoOutput);
        };
        let mut state_guard = lock(&self.state);
        let Some(State {
            stage: Some(stage),
            info: Some(info),
            ..
        }) = state_guard.as_mut()
        else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ("buffer before caps"));
            return Err(gst::FlowError::NotNegotiated);
        };
        let layout = layout_of(&buffer, info).map_err(|e| {
            gst::element_imp_error!(self, gst::StreamError::Format, ("buffer layout: {e}"));
            gst::FlowError::Error
        })?;
        let meta = frame_meta::read(&buffer);
        let (pts, duration) = (buffer.pts(), buffer.duration());
        buffer.make_mut();
        let mapped = buffer.into_mapped_buffer_writable().map_err(|_| {
            gst::element_imp_error!(
                self,
                gst::ResourceError::Write,
                ("cannot map buffer writable")
            );
            gst::FlowError::Error
        })?;
        let mut frame = HostFrame::new(layout, Pixels::Buffer(mapped)).map_err(|e| {
            gst::element_imp_error!(self, gst::StreamError::Format, ("{e:?}"));
            gst::FlowError::Error
        })?;
        frame.pts = pts.map(|t| t.nseconds());
        frame.duration = duration.map(|t| t.nseconds());
        frame.meta = meta;

        let (mut frame, verdict) = stage.filter(frame);
        let events = stage.take_events();
        let stage_id = stage.spec().id.clone();
        drop(state_guard);
        self.post_events(&stage_id, events);

        let Pixels::Buffer(mapped) = frame.take_pixels() else {
            unreachable!("the frame keeps the pixels it was given");
        };
        let mut buffer = mapped.into_buffer();
        frame_meta::write(buffer.make_mut(), &frame.meta);
        match verdict {
            Verdict::Keep => Ok(GenerateOutputSuccess::Buffer(buffer)),
            Verdict::Drop => Ok(GenerateOutputSuccess::Dropped),
            Verdict::Fail(message) => {
                gst::element_imp_error!(self, gst::StreamError::Failed, ("{message}"));
                Err(gst::FlowError::Error)
            }
        }
    }
}
