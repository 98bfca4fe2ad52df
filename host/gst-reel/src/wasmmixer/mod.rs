use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;

mod imp;
mod output_pool;
mod pad;

pub use pad::WasmMixerPad;

glib::wrapper! {
    pub struct WasmMixer(ObjectSubclass<imp::WasmMixer>)
        @extends gst_video::VideoAggregator, gst_base::Aggregator, gst::Element, gst::Object,
        @implements gst::ChildProxy;
}

impl WasmMixer {
    /// Runs the stage `spec` describes, with its plugin already loaded and
    /// its parameters already checked (as `reel-pipeline` does), instead
    /// of finding, loading and parsing them again from the properties.
    pub fn set_stage(&self, spec: &reel_runtime::StageSpec) {
        self.imp().core().set_stage(spec);
    }
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "wasmmixer",
        gst::Rank::NONE,
        WasmMixer::static_type(),
    )
}
