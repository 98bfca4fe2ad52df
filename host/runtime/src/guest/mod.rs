//! The boundary with plugins: the host bindings generated from the WIT
//! contract in `sdk/wit`, the conversions between their types and the
//! host's (`convert`, the only place both meet), and the host side of the
//! interfaces guests import (`frames`, `kernels`, `audio`). Outside this module
//! only the engine's set-up (`runtime.rs`), a loaded plugin (`plugin.rs`)
//! and the instance that calls guests (`instance.rs`) name generated
//! types, and none of them in a public signature.

mod audio;
mod convert;
mod frames;
mod kernels;

wasmtime::component::bindgen!({
    path: "../../sdk/wit",
    world: "plugin",
    with: {
        "reel:plugin/frames.frame": crate::frame::FrameHandle,
        "reel:plugin/kernels.lut3d": reel_kernels::Lut3d,
        "reel:plugin/kernels.palette": reel_kernels::toon::Palette,
    },
    imports: { default: trappable },
});

pub(crate) use audio::FrameSound;
pub(crate) use convert::{description, guest_error, params};
pub(crate) use exports::reel::plugin::stage;
pub(crate) use frames::add_direct_write_rows;
pub(crate) use kernels::{MAX_TABLES, TableUse};
