//! `reel run`: checks, builds and runs a pipeline with a progress bar;
//! Ctrl-C, SIGTERM and SIGHUP finish the files (a second one abandons
//! them); prints what the run did and turns it into the exit code.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use reel_pipeline::session::{self, Control, Ending, Event, FailureAction, Report};

use crate::{EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_RUN_FAILED, fail};

pub fn run(pipeline: &Path, set: &[String], allow_failures: bool, no_overwrite: bool) -> ExitCode {
    let mut plan = match crate::check::checked(pipeline, set) {
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
    let control = Arc::new(Control::default());
    let signals = control.clone();
    if let Err(e) = ctrlc::set_handler(move || signals.interrupt()) {
        eprintln!("warning: Ctrl-C will not finish files cleanly: {e}");
    }
    let built = match reel_pipeline::build(&plan) {
        Ok(b) => b,
        Err(e) => return fail(EXIT_RUN_FAILED, &format!("building the pipeline: {e:#}")),
    };
    let mut progress: Option<indicatif::ProgressBar> = None;
    let result = session::run(&plan, built, &control, no_overwrite, |event| {
        let bar = progress.get_or_insert_with(|| match &event {
            Event::Progress(p) => make_progress(p.total),
            _ => make_progress(None),
        });
        show(bar, event);
    });
    if let Some(bar) = &progress {
        if result.is_ok() {
            bar.finish_and_clear();
        } else {
            bar.abandon();
        }
    }
    match result {
        Ok(report) => {
            print_report(&report);
            match report.ending {
                Ending::Finished => ExitCode::SUCCESS,
                Ending::Interrupted => ExitCode::from(EXIT_INTERRUPTED),
            }
        }
        Err(e) => {
            let code = if control.interrupts() >= 2 {
                EXIT_INTERRUPTED
            } else {
                EXIT_RUN_FAILED
            };
            let text = format!("{e:#}");
            if plan.strict_stages().next().is_some() && text.contains("failed on frame") {
                eprintln!(
                    "note: in a file job a frame a stage cannot process fails the run; to go on past such frames, set `on_error` in the stage or run with --allow-failures"
                );
            }
            fail(code, &format!("{text}; no output was written"))
        }
    }
}

/// Shows one event on the bar, or above it.
fn show(bar: &indicatif::ProgressBar, event: Event) {
    match event {
        Event::Progress(p) => {
            if let Some(total) = p.total {
                bar.set_length(total.as_millis() as u64);
            }
            bar.set_position(p.position.as_millis() as u64);
            bar.set_message(progress_text(p.position, p.total, p.frames, p.elapsed));
        }
        Event::StageOutput { stage, line } => say(bar, format!("[{stage}] {line}")),
        Event::StageFailure(f) => say(
            bar,
            format!(
                "warning: stage `{}` failed on frame {}: {} (frame {})",
                f.stage,
                f.frame,
                f.reason,
                match f.action {
                    FailureAction::Dropped => "dropped",
                    FailureAction::FailsTheRun => "stops the run",
                    FailureAction::PassedThrough => "passed through unchanged",
                }
            ),
        ),
        Event::Warning(w) => say(bar, format!("warning: {w}")),
        Event::Finishing => say(
            bar,
            "interrupted: finishing the output files (Ctrl-C again to abandon them)",
        ),
    }
}

fn print_report(report: &Report) {
    let elapsed = report.elapsed.as_secs_f64();
    if let Some(frames) = report.frames {
        eprintln!(
            "{frames} frames in {elapsed:.1} s ({:.1} fps)",
            frames as f64 / elapsed.max(1e-3)
        );
    }
    for (path, frames) in &report.written {
        let credentials = if report.signed.contains(path) {
            ", Content Credentials signed"
        } else {
            ""
        };
        eprintln!("wrote {} ({frames} frames{credentials})", path.display());
    }
    for line in &report.failures {
        eprintln!("{line}");
    }
    eprint!("{}", stage_table(&report.stages));
}

/// The end-of-run table: per stage, frames, mean and p99 time per frame,
/// failures and whether it was bypassed.
fn stage_table(stages: &[session::StageStats]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if stages.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "{:<16} {:<8} {:>7} {:>10} {:>10} {:>9}  note",
        "stage", "kind", "frames", "mean ms", "p99 ms", "failures"
    );
    for s in stages {
        let failures = s.failures.map_or("-".to_string(), |f| f.to_string());
        let note = s
            .bypassed
            .as_ref()
            .map(|b| format!("bypassed: {b}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<16} {:<8} {:>7} {:>10.3} {:>10.3} {failures:>9}  {note}",
            s.id,
            s.kind,
            s.frames,
            s.mean.as_secs_f64() * 1e3,
            s.p99.as_secs_f64() * 1e3,
        );
    }
    out
}

/// `12.3/20.0 s  372 frames  30.1 fps`.
fn progress_text(
    done: Duration,
    total: Option<Duration>,
    frames: u64,
    elapsed: Duration,
) -> String {
    let time = match total {
        Some(total) => format!("{:.1}/{:.1} s", done.as_secs_f64(), total.as_secs_f64()),
        None => format!("{:.1} s", done.as_secs_f64()),
    };
    let rate = frames as f64 / elapsed.as_secs_f64().max(1e-3);
    format!("{time}  {frames} frames  {rate:.1} fps")
}

fn make_progress(total: Option<Duration>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n.as_millis() as u64),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template("{bar:40} {msg}  eta {eta}")
        .expect("valid template");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Prints above the progress bar, or plainly when there is no bar (a
/// hidden bar swallows what it is asked to print).
fn say(progress: &indicatif::ProgressBar, line: impl AsRef<str>) {
    if progress.is_hidden() {
        eprintln!("{}", line.as_ref());
    } else {
        progress.println(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_in_stream_time_and_counted_frames() {
        let text = progress_text(
            Duration::from_millis(12_340),
            Some(Duration::from_secs(20)),
            372,
            Duration::from_secs(4),
        );
        assert_eq!(text, "12.3/20.0 s  372 frames  93.0 fps");
        assert_eq!(
            progress_text(Duration::from_secs(1), None, 25, Duration::from_secs(1)),
            "1.0 s  25 frames  25.0 fps"
        );
    }
}
