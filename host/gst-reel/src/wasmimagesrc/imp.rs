//! `wasmimagesrc`: stills and numbered image sequences decoded by a
//! sandboxed decoder plugin (`imagedec` unless `decoder` names another),
//! so no native code parses the files. A still repeats (forever, or for
//! `num-frames`); a sequence plays once, or loops to fill `num-frames`.

use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::prelude::*;
use gst_base::subclass::base_src::CreateSuccess;
use gst_base::subclass::prelude::*;

use reel_runtime::MAX_PICTURE_SIDE as MAX_SIDE;
use reel_runtime::{OnError, Runtime, SandboxConfig, Stage, StageKind, StageSpec};

use super::feed::{Feed, to_buffer, video_format};
use crate::stage_element::{self, ALL_FORMATS, caps_for, lock};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "wasmimagesrc",
        gst::DebugColorFlags::empty(),
        Some("Reel image source with a sandboxed decoder"),
    )
});

#[derive(Clone)]
struct Settings {
    location: Option<String>,
    decoder: String,
    rate: i32,
    num_frames: u64,
    max_size: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            location: None,
            decoder: "imagedec".into(),
            rate: 25,
            num_frames: 0,
            max_size: format!(
                "{}x{}",
                reel_runtime::DEFAULT_MAX_PICTURE.0,
                reel_runtime::DEFAULT_MAX_PICTURE.1
            ),
        }
    }
}

#[derive(Default)]
pub struct WasmImageSrc {
    settings: Mutex<Settings>,
    state: Mutex<Option<(Feed, gst::Caps)>>,
}

#[glib::object_subclass]
impl ObjectSubclass for WasmImageSrc {
    const NAME: &'static str = "ReelWasmImageSrc";
    type Type = super::WasmImageSrc;
    type ParentType = gst_base::PushSrc;
}

impl ObjectImpl for WasmImageSrc {
    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("location")
                    .nick("Location")
                    .blurb("A picture (logo.png) or a numbered sequence (walk_%03d.png, from 0 or 1 up to the first gap)")
                    .build(),
                glib::ParamSpecString::builder("decoder")
                    .nick("Decoder")
                    .blurb("The decoder plugin: a name (on REEL_PLUGIN_PATH or beside Reel) or a .wasm path")
                    .default_value(Some("imagedec"))
                    .build(),
                glib::ParamSpecInt::builder("rate")
                    .nick("Frame rate")
                    .blurb("Frames per second")
                    .minimum(1)
                    .maximum(240)
                    .default_value(25)
                    .build(),
                glib::ParamSpecUInt64::builder("num-frames")
                    .nick("Frames")
                    .blurb("Frames to play (0: a still forever, a sequence once; more than a sequence has loops it)")
                    .build(),
                glib::ParamSpecString::builder("max-size")
                    .nick("Largest picture")
                    .blurb("The largest picture the decoder may produce, WIDTHxHEIGHT (each at most 16384)")
                    .default_value(Some("4096x4096"))
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        let mut s = lock(&self.settings);
        match pspec.name() {
            "location" => s.location = value.get().expect("type checked"),
            "decoder" => {
                s.decoder = value
                    .get::<Option<String>>()
                    .expect("type checked")
                    .unwrap_or_else(|| "imagedec".into())
            }
            "rate" => s.rate = value.get().expect("type checked"),
            "num-frames" => s.num_frames = value.get().expect("type checked"),
            "max-size" => {
                s.max_size = value
                    .get::<Option<String>>()
                    .expect("type checked")
                    .unwrap_or_default()
            }
            _ => {}
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        let s = lock(&self.settings);
        match pspec.name() {
            "location" => s.location.to_value(),
            "decoder" => s.decoder.to_value(),
            "rate" => s.rate.to_value(),
            "num-frames" => s.num_frames.to_value(),
            _ => s.max_size.to_value(),
        }
    }

    fn constructed(&self) {
        self.parent_constructed();
        self.obj().set_format(gst::Format::Time);
    }
}

impl GstObjectImpl for WasmImageSrc {}

impl ElementImpl for WasmImageSrc {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Reel sandboxed image source",
                "Source/Video",
                "Stills and numbered image sequences decoded by a sandboxed Reel WebAssembly decoder plugin",
                "Reel developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            vec![
                gst::PadTemplate::new(
                    "src",
                    gst::PadDirection::Src,
                    gst::PadPresence::Always,
                    &caps_for(&ALL_FORMATS),
                )
                .expect("valid template"),
            ]
        });
        TEMPLATES.as_ref()
    }
}

impl WasmImageSrc {
    /// Finds the files and the decoder, and decodes the first picture,
    /// which fixes the stream's size and format.
    fn open(&self, s: &Settings) -> Result<(Feed, gst::Caps), String> {
        let location = s
            .location
            .as_deref()
            .ok_or("wasmimagesrc needs the `location` property")?;
        let files = if location.contains('%') {
            reel_runtime::numbered_files(location).map_err(|e| e.to_string())?
        } else if Path::new(location).is_file() {
            vec![PathBuf::from(location)]
        } else {
            return Err(format!("file {location} does not exist"));
        };
        let max_size = reel_runtime::parse_size(&s.max_size, MAX_SIDE).ok_or_else(|| {
            format!(
                "max-size must be WIDTHxHEIGHT, each 1..={MAX_SIDE}, not `{}`",
                s.max_size
            )
        })?;
        let runtime = Runtime::global().map_err(|e| e.to_string())?;
        let plugin = runtime
            .load_named(crate::catalog(), &s.decoder, StageKind::Decoder)
            .map_err(|e| e.to_string())?;
        let mut stage = Stage::new(StageSpec {
            id: self.obj().name().to_string(),
            plugin,
            params: Vec::new(),
            sandbox: SandboxConfig::default(),
            on_error: OnError::Fail,
            max_failures: reel_runtime::DEFAULT_MAX_FAILURES,
            live: false,
        })
        .map_err(|e| e.to_string())?;
        let bytes = reel_runtime::read_input_file(&files[0]).map_err(|e| e.to_string())?;
        let pictures = stage
            .decode(&bytes, max_size)
            .map_err(|e| format!("{}: {e}", files[0].display()))?;
        let first = pictures
            .first()
            .ok_or_else(|| format!("{}: the decoder returned no picture", files[0].display()))?;
        let info = gst_video::VideoInfo::builder(
            video_format(first.layout.format),
            first.layout.width as u32,
            first.layout.height as u32,
        )
        .fps(gst::Fraction::new(s.rate, 1))
        .build()
        .map_err(|e| e.to_string())?;
        let caps = info.to_caps().map_err(|e| e.to_string())?;
        let cached = to_buffer(first, &info)?;
        let feed = Feed {
            stage,
            files,
            info,
            rate: s.rate as u64,
            frames: (s.num_frames > 0).then_some(s.num_frames),
            next: 0,
            cached: Some((0, cached)),
            max_size,
        };
        Ok((feed, caps))
    }
}

impl BaseSrcImpl for WasmImageSrc {
    fn start(&self) -> Result<(), gst::ErrorMessage> {
        let settings = lock(&self.settings).clone();
        let opened = self
            .open(&settings)
            .map_err(|message| gst::error_msg!(gst::ResourceError::OpenRead, ("{}", message)))?;
        *lock(&self.state) = Some(opened);
        Ok(())
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        *lock(&self.state) = None;
        Ok(())
    }

    fn caps(&self, filter: Option<&gst::Caps>) -> Option<gst::Caps> {
        let caps = match &*lock(&self.state) {
            Some((_, caps)) => caps.clone(),
            None => caps_for(&ALL_FORMATS),
        };
        Some(match filter {
            Some(f) => f.intersect_with_mode(&caps, gst::CapsIntersectMode::First),
            None => caps,
        })
    }

    fn is_seekable(&self) -> bool {
        false
    }
}

impl PushSrcImpl for WasmImageSrc {
    fn create(
        &self,
        _buffer: Option<&mut gst::BufferRef>,
    ) -> Result<CreateSuccess, gst::FlowError> {
        let (next, events) = {
            let mut state = lock(&self.state);
            let (feed, _) = state.as_mut().ok_or(gst::FlowError::Flushing)?;
            (feed.next_buffer(), feed.stage.take_events())
        };
        // What the decoder printed goes where a stage's output goes.
        let obj = self.obj();
        stage_element::post_events(obj.upcast_ref(), *CAT, &obj.name(), events);
        match next {
            Some(Ok(buffer)) => Ok(CreateSuccess::NewBuffer(buffer)),
            Some(Err(message)) => {
                gst::element_imp_error!(self, gst::StreamError::Decode, ("{}", message));
                Err(gst::FlowError::Error)
            }
            None => Err(gst::FlowError::Eos),
        }
    }
}
