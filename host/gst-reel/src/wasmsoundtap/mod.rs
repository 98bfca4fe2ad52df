use gst::glib;
use gst::prelude::*;

mod imp;

glib::wrapper! {
    pub struct WasmSoundTap(ObjectSubclass<imp::WasmSoundTap>)
        @extends gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "wasmsoundtap",
        gst::Rank::NONE,
        WasmSoundTap::static_type(),
    )
}
