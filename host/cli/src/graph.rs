//! `reel graph`: the built GStreamer pipeline as Graphviz DOT.

use std::path::Path;
use std::process::ExitCode;

use gst::prelude::*;

use crate::{EXIT_RUN_FAILED, fail};

pub fn graph(pipeline: &Path) -> ExitCode {
    let plan = match crate::check::checked(pipeline, &[]) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    match reel_pipeline::build(&plan) {
        Ok(built) => {
            let dot = built
                .pipeline
                .debug_to_dot_data(gst::DebugGraphDetails::all());
            println!("{dot}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(EXIT_RUN_FAILED, &format!("{e:#}")),
    }
}
