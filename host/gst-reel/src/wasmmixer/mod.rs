use gst::glib;
use gst::prelude::*;

mod imp;
mod output_pool;

glib::wrapper! {
    pub struct WasmMixer(ObjectSubclass<imp::WasmMixer>)
        @extends gst_video::VideoAggregator, gst_base::Aggregator, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "wasmmixer",
        gst::Rank::NONE,
        WasmMixer::static_type(),
    )
}
