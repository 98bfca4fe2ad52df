//! `wasmmixer`: a VideoAggregator whose request pads `sink_0`, `sink_1`...
//! feed the plugin's named inputs in order (`sink_0` is the first name in
//! its description), composed by a supervised WebAssembly mixer stage.
//!
//! Inputs keep their own negotiated formats and are lent read-only. The
//! plugin composes into a picture of the negotiated output format that
//! then becomes the output buffer's memory, uncopied; a failed call hands
//! on the first input, so nothing is saved to undo it.

use std::sync::LazyLock;

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::prelude::*;
use gst_video::subclass::prelude::*;

use reel_runtime::{HostFrame, Layout, Pixels, Stage, StageKind, Verdict};

use super::output_pool::OutputPool;
use crate::frame_meta;
use crate::stage_element::{
    self, ALL_FORMATS, StageCore, caps_for, format_of, layout_of, lock, read_only_frame,
};

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "wasmmixer",
        gst::DebugColorFlags::empty(),
        Some("Reel WebAssembly mixer stage"),
    )
});

#[derive(Default)]
pub struct WasmMixer {
    core: StageCore,
    outputs: OutputPool,
}

impl WasmMixer {
    pub(super) fn core(&self) -> &StageCore {
        &self.core
    }
}

#[glib::object_subclass]
impl ObjectSubclass for WasmMixer {
    const NAME: &'static str = "ReelWasmMixer";
    type Type = super::WasmMixer;
    type ParentType = gst_video::VideoAggregator;
    // Pads are children, so gst-launch can set `sink_0::input=programme`.
    type Interfaces = (gst::ChildProxy,);
}

impl ChildProxyImpl for WasmMixer {
    fn child_by_index(&self, index: u32) -> Option<glib::Object> {
        self.obj()
            .sink_pads()
            .get(index as usize)
            .map(|pad| pad.clone().upcast())
    }

    fn child_by_name(&self, name: &str) -> Option<glib::Object> {
        self.obj().static_pad(name).map(|pad| pad.upcast())
    }

    fn children_count(&self) -> u32 {
        self.obj().num_sink_pads() as u32
    }
}

impl ObjectImpl for WasmMixer {
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

impl GstObjectImpl for WasmMixer {}

impl ElementImpl for WasmMixer {
    fn request_new_pad(
        &self,
        templ: &gst::PadTemplate,
        name: Option<&str>,
        caps: Option<&gst::Caps>,
    ) -> Option<gst::Pad> {
        let pad = self.parent_request_new_pad(templ, name, caps)?;
        self.obj()
            .child_added(pad.upcast_ref::<glib::Object>(), &pad.name());
        Some(pad)
    }

    fn release_pad(&self, pad: &gst::Pad) {
        self.obj()
            .child_removed(pad.upcast_ref::<glib::Object>(), &pad.name());
        self.parent_release_pad(pad);
    }

    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Reel WebAssembly mixer",
                "Filter/Editor/Video/Compositor",
                "Composes several video inputs with a sandboxed Reel WebAssembly mixer plugin",
                "Reel developers",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            let caps = caps_for(&ALL_FORMATS);
            vec![
                gst::PadTemplate::with_gtype(
                    "src",
                    gst::PadDirection::Src,
                    gst::PadPresence::Always,
                    &caps,
                    gst_base::AggregatorPad::static_type(),
                )
                .expect("valid template"),
                gst::PadTemplate::with_gtype(
                    "sink_%u",
                    gst::PadDirection::Sink,
                    gst::PadPresence::Request,
                    &caps,
                    super::WasmMixerPad::static_type(),
                )
                .expect("valid template"),
            ]
        });
        TEMPLATES.as_ref()
    }
}

impl AggregatorImpl for WasmMixer {
    /// Each input keeps its own format (an overlay keeps its alpha while
    /// the base is I420): sink pads accept any of the three formats, at any
    /// size, whatever the output is.
    fn sink_query(&self, pad: &gst_base::AggregatorPad, query: &mut gst::QueryRef) -> bool {
        let any = caps_for(&ALL_FORMATS);
        match query.view_mut() {
            gst::QueryViewMut::Caps(q) => {
                let caps = match q.filter() {
                    Some(filter) => filter.intersect_with_mode(&any, gst::CapsIntersectMode::First),
                    None => any,
                };
                q.set_result(&caps);
                true
            }
            gst::QueryViewMut::AcceptCaps(q) => {
                let ok = q.caps().is_subset(&any);
                q.set_result(ok);
                true
            }
            _ => self.parent_sink_query(pad, query),
        }
    }

    fn start(&self) -> Result<(), gst::ErrorMessage> {
        self.core.start("wasmmixer", StageKind::Mixer)?;
        self.parent_start()
    }

    fn stop(&self) -> Result<(), gst::ErrorMessage> {
        self.core.stop();
        self.parent_stop()
    }

    fn sink_event(&self, pad: &gst_base::AggregatorPad, event: gst::Event) -> bool {
        // The output follows the first input: when it ends, no more
        // frames will ask for sound.
        if let gst::EventView::Eos(_) = event.view()
            && self.obj().sink_pads().first() == Some(pad.upcast_ref())
        {
            self.core.end_of_stream();
        }
        if let gst::EventView::FlushStart(_) = event.view() {
            self.core.flush();
        }
        self.parent_sink_event(pad, event)
    }
}

impl VideoAggregatorImpl for WasmMixer {
    /// An empty buffer: `aggregate_frames` gives it the picture the plugin
    /// composed into as its memory.
    fn create_output_buffer(&self) -> Result<Option<gst::Buffer>, gst::FlowError> {
        Ok(Some(gst::Buffer::new()))
    }

    fn update_caps(&self, caps: &gst::Caps) -> Result<gst::Caps, gst::LoggableError> {
        // The output is in a format the plugin accepts, and takes the
        // size, rate and (when the plugin accepts it) format of the first
        // input, the base picture overlays go on: not the largest input,
        // nor a format with alpha because a logo has it (the aggregator's
        // default), which would convert every programme frame.
        let allowed = self.core.allowed_caps();
        let mut caps = caps.intersect_with_mode(&allowed, gst::CapsIntersectMode::First);
        let first = self.obj().sink_pads().first().and_then(|p| {
            p.downcast_ref::<gst_video::VideoAggregatorPad>()
                .and_then(|p| p.video_info())
        });
        if let Some(info) = first {
            let format = info.format().to_str();
            let in_first_format = gst::Caps::builder("video/x-raw")
                .field("format", format)
                .build();
            let same = caps.intersect_with_mode(&in_first_format, gst::CapsIntersectMode::First);
            if !same.is_empty() {
                caps = same;
            }
            let caps = caps.make_mut();
            for s in caps.iter_mut() {
                s.set("width", info.width() as i32);
                s.set("height", info.height() as i32);
                if info.fps().numer() > 0 {
                    s.set("framerate", info.fps());
                }
            }
        }
        Ok(caps)
    }

    fn aggregate_frames(
        &self,
        token: &gst_video::subclass::AggregateFramesToken,
        outbuf: &mut gst::BufferRef,
    ) -> Result<gst::FlowSuccess, gst::FlowError> {
        let obj = self.obj();
        let out_info = obj.video_info().ok_or(gst::FlowError::NotNegotiated)?;
        let settings = lock(&self.core.settings).clone();
        let mut guard = lock(&self.core.state);
        let state = guard.as_mut().ok_or(gst::FlowError::Flushing)?;
        if state.stage.is_none() {
            let live = obj
                .sink_pads()
                .first()
                .is_some_and(crate::stage_element::is_live);
            let spec = settings.spec(&obj.name(), &*state, out_info.fps(), live);
            let stage = Stage::new(spec).map_err(|e| {
                gst::element_imp_error!(self, gst::LibraryError::Settings, ("{e:#}"));
                gst::FlowError::Error
            })?;
            state.run(stage, &settings, live);
        }
        if let Some(stage) = state.stage.as_mut() {
            self.core.apply_changed_params(obj.upcast_ref(), stage);
        }
        let description = &state.plugin.description;

        // Inputs, by pad order; the first one is kept to pass through.
        let mut inputs = Vec::new();
        let mut first: Option<(gst::Buffer, gst_video::VideoInfo)> = None;
        for (index, pad) in obj.sink_pads().iter().enumerate() {
            let Some(pad) = pad.downcast_ref::<super::WasmMixerPad>() else {
                continue;
            };
            let name = match input_name(description, pad, index) {
                Ok(Some(name)) => name,
                // More pads than the plugin has inputs: not read.
                Ok(None) => continue,
                Err(message) => {
                    gst::element_imp_error!(self, gst::CoreError::Negotiation, ("{message}"));
                    return Err(gst::FlowError::Error);
                }
            };
            let (Some(buffer), Some(info)) = (pad.current_buffer(token), pad.video_info()) else {
                continue;
            };
            if first.is_none() {
                first = Some((buffer.clone(), info.clone()));
            }
            match read_only_frame(buffer, &info) {
                Ok(frame) => inputs.push((name.clone(), frame)),
                Err(e) => gst::warning!(CAT, imp = self, "input {name}: {e}"),
            }
        }

        let format = format_of(out_info.format()).ok_or(gst::FlowError::NotNegotiated)?;
        let layout = Layout::with_strides(
            format,
            out_info.width() as usize,
            out_info.height() as usize,
            out_info.offset(),
            &out_info
                .stride()
                .iter()
                .map(|&s| s.max(0) as usize)
                .collect::<Vec<_>>(),
            out_info.size(),
        )
        .map_err(|e| {
            gst::element_imp_error!(self, gst::CoreError::Negotiation, ("output layout: {e}"));
            gst::FlowError::NotNegotiated
        })?;
        let mut output = HostFrame::unwritten(layout, self.outputs.take(out_info.size()))
            .map_err(|_| gst::FlowError::Error)?;
        output.pts = outbuf.pts().map(|t| t.nseconds());
        output.duration = outbuf.duration().map(|t| t.nseconds());
        output.running_time = outbuf.pts().and_then(|pts| {
            obj.src_pad()
                .segment()
                .downcast_ref::<gst::ClockTime>()
                .and_then(|s| s.to_running_time(pts))
                .map(|t| t.nseconds())
        });

        let stage = state.stage.as_mut().expect("made above");
        let (mut output, verdict) = stage.mix(inputs, output);
        let events = stage.take_events();
        let stage_id = stage.spec().id.clone();
        drop(guard);
        stage_element::post_events(obj.upcast_ref(), *CAT, &stage_id, events);

        let mut data = match output.take_pixels() {
            Pixels::Owned(data) => data,
            _ => return Err(gst::FlowError::Error),
        };
        match verdict {
            Verdict::Keep => frame_meta::write(outbuf, &output.meta),
            Verdict::Passthrough | Verdict::Drop => {
                // The first input, converted to the output format when the
                // sizes agree; otherwise (and for `drop`) a blank frame.
                data.fill(0);
                if let (Verdict::Passthrough, Some((buffer, info))) = (&verdict, first)
                    && let Ok(src_layout) = layout_of(buffer.as_ref(), &info)
                    && let Ok(src_map) = buffer.map_readable()
                    && let (Ok(src), Ok(mut dst)) = (
                        reel_runtime::Image::new(&src_layout, src_map.as_slice()),
                        reel_runtime::ImageMut::new(&output.layout, &mut data),
                    )
                {
                    let _ = reel_runtime::convert(src, &mut dst);
                }
            }
            Verdict::Fail(message) => {
                gst::element_imp_error!(self, gst::StreamError::Failed, ("{message}"));
                return Err(gst::FlowError::Error);
            }
        }
        outbuf.append_memory(self.outputs.memory(data));
        Ok(gst::FlowSuccess::Ok)
    }
}

/// The name the plugin knows `pad` (the `index`-th) by: its `input`
/// property, which must be one of the plugin's input names unless the
/// plugin takes any; else the plugin's `index`-th name. None for a pad
/// beyond the plugin's inputs.
fn input_name(
    description: &reel_runtime::Description,
    pad: &super::WasmMixerPad,
    index: usize,
) -> Result<Option<String>, String> {
    match pad.input() {
        Some(name) if description.takes_any_inputs() || description.inputs.contains(&name) => {
            Ok(Some(name))
        }
        Some(name) => Err(format!(
            "pad {}: plugin `{}` has no input `{name}` (it has {})",
            pad.name(),
            description.name,
            description.inputs.join(", ")
        )),
        None if description.takes_any_inputs() => Err(format!(
            "pad {}: plugin `{}` takes any inputs, so each pad needs its `input` property (the name the plugin knows it by)",
            pad.name(),
            description.name
        )),
        None => Ok(description.inputs.get(index).cloned()),
    }
}
