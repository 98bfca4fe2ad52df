use gst::glib;
use gst::prelude::*;
use gst::subclass::prelude::*;

mod imp;

glib::wrapper! {
    pub struct WasmFilter(ObjectSubclass<imp::WasmFilter>)
        @extends gst_base::BaseTransform, gst::Element, gst::Object;
}

impl WasmFilter {
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
        "wasmfilter",
        gst::Rank::NONE,
        WasmFilter::static_type(),
    )
}
