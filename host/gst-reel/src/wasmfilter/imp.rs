//! `wasmfilter`: a BaseTransform that hands each buffer, in place, to a
//! supervised WebAssembly filter stage.
//!
//! The buffer is taken in `generate_output` (not `transform_ip`) so the
//! element owns it while the guest works: its mapping can then live in the
//! runtime's frame table for the call without borrowing tricks.

use std::sync::LazyLock;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::prelude::BaseTransformExtManual;
use gst_base::subclass::base_transform::GenerateOutputSuccess;
use gst_base::subclass::prelude::*;

use reel_runtime::{HostFrame, Pixels, Stage, StageKind, Verdict};

use crate::frame_meta;
use crate::stage_element::{self, ALL_FORMATS, StageCore, StageState, caps_for, layout_of, lock};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "wasmfilter",
        gst::DebugColorFlags::empty(),
        Some("Reel WebAssembly filter stage"),
    )
});

#[derive(Default)]
pub struct WasmFilter {
    core: StageCore,
}

impl WasmFilter {
    pub(super) fn core(&self) -> &StageCore {
        &self.core
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
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> =
            LazyLock::new(stage_element::properties);
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        self.core.set_property(value, pspec);
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        self.core.property(pspec)
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
            let caps = caps_for(&ALL_FORMATS);
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
        self.core.start("wasmfilter", StageKind::Filter)
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        self.core.stop();
        Ok(())
    }

    fn sink_event(&self, event: gst::Event) -> bool {
        match event.view() {
            gst::EventView::Eos(_) => self.core.end_of_stream(),
            gst::EventView::FlushStart(_) => self.core.flush(),
            _ => {}
        }
        self.parent_sink_event(event)
    }

    fn transform_caps(
        &self,
        _direction: gst::PadDirection,
        caps: &gst::Caps,
        filter: Option<&gst::Caps>,
    ) -> Option<gst::Caps> {
        // The stage works in place: both sides carry the same caps, limited
        // to the formats the plugin accepts.
        let allowed = self.core.allowed_caps();
        let caps = caps.intersect(&allowed);
        Some(match filter {
            Some(f) => f.intersect_with_mode(&caps, gst::CapsIntersectMode::First),
            None => caps,
        })
    }

    fn set_caps(&self, incaps: &gst::Caps, _outcaps: &gst::Caps) -> Result<(), gst::LoggableError> {
        let info = gst_video::VideoInfo::from_caps(incaps)
            .map_err(|_| gst::loggable_error!(CAT, "cannot parse caps {incaps}"))?;
        let settings = lock(&self.core.settings).clone();
        let mut state_guard = lock(&self.core.state);
        let state = state_guard
            .as_mut()
            .ok_or_else(|| gst::loggable_error!(CAT, "caps before start"))?;
        let live = crate::stage_element::is_live(self.obj().sink_pad());
        let spec = settings.spec(&self.obj().name(), &*state, info.fps(), live);
        let stage = Stage::new(spec).map_err(|e| {
            gst::element_imp_error!(self, gst::LibraryError::Settings, ("{e:#}"));
            gst::loggable_error!(CAT, "{e:#}")
        })?;
        state.run(stage, &settings, live);
        state.info = Some(info);
        Ok(())
    }

    fn generate_output(&self) -> Result<GenerateOutputSuccess, gst::FlowError> {
        let Some(mut buffer) = self.take_queued_buffer() else {
            return Ok(GenerateOutputSuccess::NoOutput);
        };
        let mut state_guard = lock(&self.core.state);
        let Some(StageState {
            stage: Some(stage),
            info: Some(info),
            ..
        }) = state_guard.as_mut()
        else {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ("buffer before caps"));
            return Err(gst::FlowError::NotNegotiated);
        };
        self.core
            .apply_changed_params(self.obj().upcast_ref(), stage);
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
        frame.running_time = pts.and_then(|pts| {
            self.obj()
                .segment()
                .downcast_ref::<gst::ClockTime>()
                .and_then(|s| s.to_running_time(pts))
                .map(|t| t.nseconds())
        });
        frame.meta = meta;

        let (mut frame, verdict) = stage.filter(frame);
        let events = stage.take_events();
        let stage_id = stage.spec().id.clone();
        drop(state_guard);
        stage_element::post_events(self.obj().upcast_ref(), *CAT, &stage_id, events);

        let Pixels::Buffer(mapped) = frame.take_pixels() else {
            // The runtime always hands back the buffer it was lent; if it
            // ever did not, the stream stops with an error, not a panic.
            gst::element_imp_error!(
                self,
                gst::StreamError::Failed,
                ("stage `{stage_id}` lost the frame it was given (a bug in Reel)")
            );
            return Err(gst::FlowError::Error);
        };
        let mut buffer = mapped.into_buffer();
        frame_meta::write(buffer.make_mut(), &frame.meta);
        match verdict {
            Verdict::Keep | Verdict::Passthrough => Ok(GenerateOutputSuccess::Buffer(buffer)),
            Verdict::Drop => Ok(GenerateOutputSuccess::Dropped),
            Verdict::Fail(message) => {
                gst::element_imp_error!(self, gst::StreamError::Failed, ("{message}"));
                Err(gst::FlowError::Error)
            }
        }
    }
}
