//! `reel check`, and the check every other pipeline command starts with.

use std::path::Path;
use std::process::ExitCode;

use reel_pipeline::{Override, Plan};
use reel_runtime::{Catalog, Runtime};

use crate::{EXIT_BAD_INPUT, EXIT_RUN_FAILED, fail};

pub fn check(pipeline: &Path, set: &[String]) -> ExitCode {
    match checked(pipeline, set) {
        Ok(plan) => {
            eprintln!(
                "{}: ok ({} sources, {} stages, {} sinks)",
                pipeline.display(),
                plan.sources.len(),
                plan.stages.len(),
                plan.sinks.len()
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// The checked plan of `pipeline` with the `--set` overrides, or the exit
/// code after every problem has been printed.
pub fn checked(pipeline: &Path, set: &[String]) -> Result<Plan, ExitCode> {
    let overrides = set
        .iter()
        .map(|s| Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(EXIT_BAD_INPUT, &e))?;
    let runtime = Runtime::global().map_err(|e| fail(EXIT_RUN_FAILED, &format!("{e:#}")))?;
    if let Some(warning) = runtime.cache_warning() {
        eprintln!("warning: {warning}");
    }
    let catalog = Catalog::for_this_program();
    let plan =
        reel_pipeline::check(pipeline, &runtime, &catalog, &overrides).map_err(|problems| {
            let count = problems.0.len();
            eprintln!("{problems}");
            fail(
                EXIT_BAD_INPUT,
                &format!(
                    "{} has {count} problem{}; nothing was run",
                    pipeline.display(),
                    if count == 1 { "" } else { "s" }
                ),
            )
        })?;
    for warning in &plan.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(plan)
}
