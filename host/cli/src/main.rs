//! `reel`: check, run and inspect TOML media pipelines whose stages are
//! sandboxed WebAssembly plugins on GStreamer.

mod build;
mod check;
mod config;
mod diagnostics;
mod encode;
mod ending;
mod images;
mod media;
mod plan;
mod plugin_cmd;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, Subcommand};
use gst::prelude::*;

#[derive(Parser)]
#[command(
    name = "reel",
    version,
    about = "Run media pipelines with sandboxed WebAssembly stages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a pipeline, then run it to the end.
    Run {
        pipeline: PathBuf,
        /// Override a stage parameter or property: --set stage.param=value
        #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
        set: Vec<String>,
        /// In a file job, pass frames a stage failed on through unchanged
        /// (and report them) instead of failing the run, for stages that
        /// do not set `on_error` themselves.
        #[arg(long)]
        allow_failures: bool,
        /// Refuse to run when an output file exists (by default an existing
        /// output is replaced, and only when the run succeeds).
        #[arg(long)]
        no_overwrite: bool,
    },
    /// Check a pipeline without running it.
    Check {
        pipeline: PathBuf,
        #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
        set: Vec<String>,
    },
    /// Print the built GStreamer pipeline as Graphviz DOT.
    Graph { pipeline: PathBuf },
    /// Inspect and list plugins.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Show a plugin's self-description.
    Inspect {
        /// A plugin name on the search path, or a path to a .wasm file.
        plugin: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the plugins on the search path.
    List,
}

/// Exit codes: 1 for a failed run, 2 for a pipeline or usage mistake,
/// 130 for a run abandoned with a second Ctrl-C.
const EXIT_RUN_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_ABANDONED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = gst::init() {
        eprintln!("error: GStreamer could not start: {e}");
        return ExitCode::from(EXIT_RUN_FAILED);
    }
    if let Err(e) = gstreel::plugin_register_static() {
        eprintln!("error: Reel's GStreamer elements could not register: {e}");
        return ExitCode::from(EXIT_RUN_FAILED);
    }
    match cli.command {
        Command::Run {
            pipeline,
            set,
            allow_failures,
            no_overwrite,
        } => run_command(&pipeline, &set, allow_failures, no_overwrite),
        Command::Check { pipeline, set } => match checked(&pipeline, &set) {
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
        },
        Command::Graph { pipeline } => {
            let plan = match checked(&pipeline, &[]) {
                Ok(plan) => plan,
                Err(code) => return code,
            };
            match build::build(&plan) {
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
        Command::Plugin { command } => match command {
            PluginCommand::Inspect { plugin, json } => plugin_cmd::inspect(&plugin, json),
            PluginCommand::List => plugin_cmd::list(),
        },
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

fn checked(pipeline: &std::path::Path, set: &[String]) -> Result<plan::Plan, ExitCode> {
    let overrides = set
        .iter()
        .map(|s| check::Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(EXIT_BAD_INPUT, &e))?;
    let checked = check::check(pipeline, &overrides);
    if let Some(warning) = reel_runtime::Runtime::global()
        .ok()
        .and_then(|rt| rt.cache_warning().map(str::to_string))
    {
        eprintln!("warning: {warning}");
    }
    checked.map_err(|problems| {
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
    })
}

fn run_command(
    pipeline: &std::path::Path,
    set: &[String],
    allow_failures: bool,
    no_overwrite: bool,
) -> ExitCode {
    let mut plan = match checked(pipeline, set) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    plan.settle_failure_policy(allow_failures);
    if no_overwrite && let Some(existing) = plan.output_files().find(|p| p.exists()) {
        return fail(
            EXIT_BAD_INPUT,
            &format!(
                "{} exists and --no-overwrite was given; nothing was run",
                existing.display()
            ),
        );
    }
    let interrupts = Arc::new(AtomicUsize::new(0));
    let counter = interrupts.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }) {
        eprintln!("warning: Ctrl-C will not finish files cleanly: {e}");
    }
    let built = match build::build(&plan) {
        Ok(b) => b,
        Err(e) => return fail(EXIT_RUN_FAILED, &format!("building the pipeline: {e:#}")),
    };
    match run::run(&plan, built, interrupts.clone(), no_overwrite) {
        Ok(run::Ending::Finished) => ExitCode::SUCCESS,
        Ok(run::Ending::Interrupted) => ExitCode::from(EXIT_ABANDONED),
        Err(e) => {
            let code = if interrupts.load(Ordering::SeqCst) >= 2 {
                EXIT_ABANDONED
            } else {
                EXIT_RUN_FAILED
            };
            let strict: Vec<&str> = plan.strict_stages().collect();
            let text = format!("{e:#}");
            if !strict.is_empty() && text.contains("failed on frame") {
                eprintln!(
                    "note: in a file job a frame a stage cannot process fails the run; to go on past such frames, set `on_error` in the stage or run with --allow-failures"
                );
            }
            fail(code, &format!("{text}; no output was written"))
        }
    }
}
