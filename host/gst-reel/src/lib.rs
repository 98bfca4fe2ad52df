//! Reel's GStreamer plugin: `wasmfilter` runs a sandboxed WebAssembly
//! stage inside any GStreamer pipeline.
//!
//! ```text
//! gst-launch-1.0 videotestsrc ! wasmfilter plugin=invert ! autovideosink
//! ```

use gst::glib;

pub mod frame_meta;
mod wasmfilter;

pub use wasmfilter::WasmFilter;

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    frame_meta::register();
    wasmfilter::register(plugin)
}

gst::plugin_define!(
    reel,
    env!("CARGO_PKG_DESCRIPTION"),
    plugin_init,
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("COMMIT_ID")),
    "MIT/X11",
    env!("CARGO_PKG_NAME"),
    env!("CARGO_PKG_NAME"),
    "https://reel.invalid",
    env!("BUILD_REL_DATE")
);
