//! Reel's GStreamer plugin: `wasmfilter` and `wasmmixer` run sandboxed
//! WebAssembly stages inside any GStreamer pipeline.
//!
//! ```text
//! gst-launch-1.0 videotestsrc ! wasmfilter plugin=invert ! autovideosink
//! ```

use gst::glib;

pub mod frame_meta;
mod stage_element;
mod wasmfilter;
mod wasmmixer;

pub use wasmfilter::WasmFilter;
pub use wasmmixer::WasmMixer;

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    frame_meta::register();
    wasmfilter::register(plugin)?;
    wasmmixer::register(plugin)
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
