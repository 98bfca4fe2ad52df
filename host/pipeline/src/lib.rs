//! Reel pipelines as a library. A pipeline file is read and checked into a
//! [`Plan`] ([`check()`]: every problem found, each a located
//! [`Diagnostic`]), the plan is built into a GStreamer pipeline
//! ([`build()`]), and a [`session`] runs it: the bus loop, stage events,
//! an early finish that keeps files playable, statistics, and outputs
//! moved under their final names only when complete.
//!
//! Nothing here is global: the plugin runtime and catalog are passed in.
//! Call [`init`] once before building, so GStreamer runs and Reel's
//! elements exist.

mod build;
mod check;
mod config;
mod diagnostics;
mod element;
mod encode;
mod ending;
pub mod keys;
pub mod looks;
mod media;
mod plan;
pub mod session;
pub mod watermarks;

pub use build::{Built, Output, StageInfo, build};
pub use check::{Override, Problems, check};
pub use diagnostics::{Diagnostic, Place};
pub use plan::{
    AudioTrack, Container, ImagePlan, Plan, RateControl, SinkKind, SinkPlan, SourceKind,
    SourcePlan, StagePlan, StageWork, TestPlan, VideoSettings,
};

/// Starts GStreamer and registers Reel's elements (`wasmfilter`,
/// `wasmmixer`) in this process, finding plugins named in them in
/// `catalog` (pass the one [`check()`] gets); later calls do nothing.
pub fn init(catalog: &reel_runtime::Catalog) -> anyhow::Result<()> {
    static REGISTERED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            gst::init().map_err(|e| format!("GStreamer could not start: {e}"))?;
            gstreel::use_catalog(catalog.clone());
            gstreel::plugin_register_static()
                .map_err(|e| format!("Reel's GStreamer elements could not register: {e}"))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}
