//! `wasmsoundtap`: takes a stream's sound (32-bit float, any rate and
//! channel count) and hands it, by running time, to the stage elements
//! that follow the same `channel`. It has no output and is not a sink: it
//! never holds a pipeline's preroll or its end, and in a file job it only
//! waits when the sound runs far ahead of the video its stages read.

use std::sync::{Arc, LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;

use reel_sound::Tap;

use crate::stage_element::lock;

static CAT: LazyLock<gst::DebugCategory> = LazyLock::new(|| {
    gst::DebugCategory::new(
        "wasmsoundtap",
        gst::DebugColorFlags::empty(),
        Some("Reel sound for WebAssembly stages"),
    )
});

#[derive(Default)]
struct Stream {
    rate: u32,
    channels: usize,
    segment: Option<gst::FormattedSegment<gst::ClockTime>>,
}

pub struct WasmSoundTap {
    sinkpad: gst::Pad,
    channel: Mutex<Option<String>>,
    tap: Mutex<Option<Arc<Tap>>>,
    stream: Mutex<Stream>,
}

impl WasmSoundTap {
    fn tap(&self) -> Option<Arc<Tap>> {
        let mut tap = lock(&self.tap);
        if tap.is_none() {
            *tap = lock(&self.channel)
                .as_deref()
                .map(crate::sound_channels::channel);
        }
        tap.clone()
    }

    fn chain(&self, buffer: gst::Buffer) -> Result<gst::FlowSuccess, gst::FlowError> {
        let Some(tap) = self.tap() else {
            gst::element_imp_error!(
                self,
                gst::CoreError::Negotiation,
                ("wasmsoundtap needs the `channel` property: the name stage elements give as `sound`")
            );
            return Err(gst::FlowError::Error);
        };
        let (rate, channels, running) = {
            let stream = lock(&self.stream);
            let running = buffer
                .pts()
                .and_then(|pts| stream.segment.as_ref().and_then(|s| s.to_running_time(pts)));
            (stream.rate, stream.channels, running)
        };
        let (Some(running), true) = (running, rate > 0 && channels > 0) else {
            gst::debug!(CAT, imp = self, "sound without a time or caps: left out");
            return Ok(gst::FlowSuccess::Ok);
        };
        let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
        let samples: Vec<f32> = map
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        tap.push(running.nseconds(), rate, channels, &samples);
        Ok(gst::FlowSuccess::Ok)
    }

    fn event(&self, event: gst::Event) -> bool {
        match event.view() {
            gst::EventView::Caps(c) => {
                let Ok(info) = gst_audio::AudioInfo::from_caps(c.caps()) else {
                    return false;
                };
                let mut stream = lock(&self.stream);
                stream.rate = info.rate();
                stream.channels = info.channels() as usize;
            }
            gst::EventView::Segment(s) => {
                lock(&self.stream).segment = s.segment().downcast_ref::<gst::ClockTime>().cloned();
            }
            gst::EventView::Eos(_) => {
                if let Some(tap) = self.tap() {
                    tap.finish();
                }
            }
            gst::EventView::FlushStart(_) | gst::EventView::FlushStop(_) => {
                if let Some(tap) = self.tap() {
                    tap.reset();
                }
            }
            _ => {}
        }
        true
    }
}

#[glib::object_subclass]
impl ObjectSubclass for WasmSoundTap {
    const NAME: &'static str = "ReelWasmSoundTap";
    type Type = super::WasmSoundTap;
    type ParentType = gst::Element;

    fn with_class(klass: &Self::Class) -> Self {
        let templ = klass.pad_template("sink").expect("registered below");
        let sinkpad = gst::Pad::builder_from_template(&templ)
            .chain_function(|pad, parent, buffer| {
                WasmSoundTap::catch_panic_pad_function(
                    parent,
                    || Err(gst::FlowError::Error),
                    |tap| {
                        let _ = pad;
                        tap.chain(buffer)
                    },
                )
            })
            .event_function(|_pad, parent, event| {
                WasmSoundTap::catch_panic_pad_function(parent, || false, |tap| tap.event(event))
            })
            .build();
        WasmSoundTap {
            sinkpad,
            channel: Mutex::new(None),
            tap: Mutex::new(None),
            stream: Mutex::new(Stream::default()),
        }
    }
}

impl ObjectImpl for WasmSoundTap {
    fn constructed(&self) {
        self.parent_constructed();
        self.obj()
            .add_pad(&self.sinkpad)
            .expect("a new element takes its pad");
    }

    fn properties() -> &'static [glib::ParamSpec] {
        static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
            vec![
                glib::ParamSpecString::builder("channel")
                    .nick("Channel")
                    .blurb("The name stage elements give as `sound` to follow this sound")
                    .mutable_ready()
                    .build(),
            ]
        });
        PROPERTIES.as_ref()
    }

    fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
        if pspec.name() == "channel" {
            *lock(&self.channel) = value.get().expect("type checked upstream");
            *lock(&self.tap) = None;
        }
    }

    fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
        match pspec.name() {
            "channel" => lock(&self.channel).to_value(),
            other => unreachable!("no property {other}"),
        }
    }
}

impl GstObjectImpl for WasmSoundTap {}

impl ElementImpl for WasmSoundTap {
    fn metadata() -> Option<&'static gst::subclass::ElementMetadata> {
        static METADATA: LazyLock<gst::subclass::ElementMetadata> = LazyLock::new(|| {
            gst::subclass::ElementMetadata::new(
                "Reel sound tap",
                "Sink/Audio",
                "Hands a stream's sound to the Reel stages that follow its channel (wasmfilter/wasmmixer sound=CHANNEL)",
                "Reel",
            )
        });
        Some(&*METADATA)
    }

    fn pad_templates() -> &'static [gst::PadTemplate] {
        static TEMPLATES: LazyLock<Vec<gst::PadTemplate>> = LazyLock::new(|| {
            // Rates a broadcast stream has: a bogus one cannot make the
            // tap fill memory with silence.
            let caps = gst_audio::AudioCapsBuilder::new_interleaved()
                .format(gst_audio::AudioFormat::F32le)
                .rate_range(8_000..=384_000)
                .build();
            vec![
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

    fn change_state(
        &self,
        transition: gst::StateChange,
    ) -> Result<gst::StateChangeSuccess, gst::StateChangeError> {
        if transition == gst::StateChange::PausedToReady {
            // Nothing reads the sound after this: forget it.
            *lock(&self.tap) = None;
            *lock(&self.stream) = Stream::default();
        }
        self.parent_change_state(transition)
    }
}
