use gst::glib;
use gst::prelude::*;

mod feed;
mod imp;

glib::wrapper! {
    pub struct WasmImageSrc(ObjectSubclass<imp::WasmImageSrc>)
        @extends gst_base::PushSrc, gst_base::BaseSrc, gst::Element, gst::Object;
}

pub fn register(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    gst::Element::register(
        Some(plugin),
        "wasmimagesrc",
        gst::Rank::NONE,
        WasmImageSrc::static_type(),
    )
}
