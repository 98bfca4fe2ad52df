//! Reel's GStreamer plugin: `wasmfilter` and `wasmmixer` run sandboxed
//! WebAssembly stages inside any GStreamer pipeline, `wasmimagesrc`
//! plays stills and image sequences decoded by a sandboxed decoder, and
//! `wasmsoundtap` hands a stream's sound to the stages that follow it.
//!
//! ```text
//! gst-launch-1.0 videotestsrc ! wasmfilter plugin=invert ! autovideosink
//! ```

use gst::glib;

pub mod frame_meta;
mod sound_channels;
mod stage_element;
mod wasmfilter;
mod wasmimagesrc;
mod wasmmixer;
mod wasmsoundtap;

pub use wasmfilter::WasmFilter;
pub use wasmimagesrc::WasmImageSrc;
pub use wasmmixer::WasmMixer;
pub use wasmsoundtap::WasmSoundTap;

/// Where plugins named in `plugin=` are found: the catalog an application
/// gave ([`use_catalog`]), else `REEL_PLUGIN_PATH` then beside this
/// library when GStreamer loaded it from a file, else beside the program
/// it is built into.
pub(crate) fn catalog() -> &'static reel_runtime::Catalog {
    CATALOG.get_or_init(reel_runtime::Catalog::for_this_program)
}

/// Set once: by the application, or by the first registration.
static CATALOG: std::sync::OnceLock<reel_runtime::Catalog> = std::sync::OnceLock::new();

/// Makes the elements of this process find plugins by name in `catalog`
/// (an application that registers them statically, and checks pipelines
/// with the same catalog). Only the first catalog set counts: false when
/// one was set already.
pub fn use_catalog(catalog: reel_runtime::Catalog) -> bool {
    CATALOG.set(catalog).is_ok()
}

fn plugin_init(plugin: &gst::Plugin) -> Result<(), glib::BoolError> {
    if let Some(library) = plugin.filename() {
        let _ = CATALOG.set(reel_runtime::Catalog::from_env(Some(&library)));
    }
    frame_meta::register();
    wasmfilter::register(plugin)?;
    wasmimagesrc::register(plugin)?;
    wasmmixer::register(plugin)?;
    wasmsoundtap::register(plugin)
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
