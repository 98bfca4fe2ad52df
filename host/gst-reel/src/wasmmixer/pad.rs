//! `wasmmixer`'s sink pads: a `VideoAggregatorPad` with an `input`
//! property, the name the plugin knows the pad's stream by. A plugin with
//! fixed input names takes them in pad order when `input` is unset; a
//! plugin taking any inputs (`*`) needs it set on every pad.

use std::sync::{LazyLock, Mutex};

use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_base::subclass::prelude::*;
use gst_video::subclass::prelude::*;

glib::wrapper! {
    pub struct WasmMixerPad(ObjectSubclass<imp::WasmMixerPad>)
        @extends gst_video::VideoAggregatorPad, gst_base::AggregatorPad, gst::Pad, gst::Object;
}

impl WasmMixerPad {
    /// The name the plugin knows this pad's stream by, when set.
    pub fn input(&self) -> Option<String> {
        self.imp()
            .input
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct WasmMixerPad {
        pub(super) input: Mutex<Option<String>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for WasmMixerPad {
        const NAME: &'static str = "ReelWasmMixerPad";
        type Type = super::WasmMixerPad;
        type ParentType = gst_video::VideoAggregatorPad;
    }

    impl ObjectImpl for WasmMixerPad {
        fn properties() -> &'static [glib::ParamSpec] {
            static PROPERTIES: LazyLock<Vec<glib::ParamSpec>> = LazyLock::new(|| {
                vec![
                    glib::ParamSpecString::builder("input")
                        .nick("Input")
                        .blurb(
                            "The name the plugin knows this input by (unset: the plugin's input names in pad order)",
                        )
                        .mutable_ready()
                        .build(),
                ]
            });
            PROPERTIES.as_ref()
        }

        fn set_property(&self, _id: usize, value: &glib::Value, pspec: &glib::ParamSpec) {
            if pspec.name() == "input" {
                *self.input.lock().unwrap_or_else(|e| e.into_inner()) =
                    value.get::<Option<String>>().ok().flatten();
            }
        }

        fn property(&self, _id: usize, pspec: &glib::ParamSpec) -> glib::Value {
            match pspec.name() {
                "input" => self
                    .input
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .to_value(),
                _ => None::<String>.to_value(),
            }
        }
    }

    impl GstObjectImpl for WasmMixerPad {}
    impl PadImpl for WasmMixerPad {}
    impl AggregatorPadImpl for WasmMixerPad {}
    impl VideoAggregatorPadImpl for WasmMixerPad {}
}
