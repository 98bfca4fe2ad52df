//! Host bindings generated from the WIT contract in `sdk/wit`.

wasmtime::component::bindgen!({
    path: "../../sdk/wit",
    world: "plugin",
    with: {
        "reel:plugin/frames.frame": crate::frame::FrameHandle,
        "reel:plugin/kernels.lut3d": crate::host_kernels::LutHandle,
    },
    imports: { default: trappable },
});

pub use exports::reel::plugin::stage;
pub use reel::plugin::{frames, kernels};
