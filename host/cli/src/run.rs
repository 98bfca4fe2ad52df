//! `reel run`: plays a built pipeline to the end with a progress bar,
//! reports stage failures as they happen, finishes files cleanly on Ctrl-C
//! and renames them into place only when complete.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use gst::prelude::*;

use crate::build::{Built, Output};
use crate::plan::Plan;

/// How long an interrupted run may take to bring every stream to a common
/// end before the sources are simply told to stop.
const FINISH_PATIENCE: Duration = Duration::from_secs(10);

/// How the run ended, for the exit code.
pub enum Ending {
    Finished,
    /// Ctrl-C: the files were finished cleanly and kept.
    Interrupted,
}

/// Gives a finished output its final name, atomically. With
/// `no_overwrite`, a file that appeared there meanwhile is kept and the
/// output is not moved.
fn move_into_place(o: &Output, no_overwrite: bool) -> Result<()> {
    let failed = |e: std::io::Error| {
        anyhow!(
            "cannot move {} to {}: {e}",
            o.partial.display(),
            o.target.display()
        )
    };
    if no_overwrite {
        // A hard link fails when the name is taken: no window for a race.
        std::fs::hard_link(&o.partial, &o.target).map_err(failed)?;
        std::fs::remove_file(&o.partial).map_err(failed)
    } else {
        std::fs::rename(&o.partial, &o.target).map_err(failed)
    }
}

fn remove_partials(outputs: &[Output]) {
    for o in outputs {
        let _ = std::fs::remove_file(&o.partial);
    }
}

pub fn run(
    plan: &Plan,
    built: Built,
    interrupts: Arc<AtomicUsize>,
    no_overwrite: bool,
) -> Result<Ending> {
    for o in &built.outputs {
        if let Some(dir) = o.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let mut failed = FailedFrames::default();
    let result = play(plan, &built, &interrupts, &mut failed);
    if interrupts.load(Ordering::SeqCst) >= 2 {
        // Abandoned: do not wait for the pipeline to wind down (a plugin
        // call may be running up to its deadline); the process ends now.
        remove_partials(&built.outputs);
        std::mem::forget(built);
        return result;
    }
    // Statistics live in the elements: read them before they stop.
    let table = stage_table(&built);
    let _ = built.pipeline.set_state(gst::State::Null);
    match result {
        Ok(ending) => {
            for o in &built.outputs {
                move_into_place(o, no_overwrite)?;
                eprintln!(
                    "wrote {} ({} frames)",
                    o.target.display(),
                    o.frames.load(Ordering::Relaxed)
                );
            }
            for line in failed.summary() {
                eprintln!("{line}");
            }
            eprint!("{table}");
            Ok(ending)
        }
        Err(e) => {
            remove_partials(&built.outputs);
            Err(e)
        }
    }
}

/// Frames stages failed on, by stage, for the end-of-run summary.
#[derive(Default)]
struct FailedFrames {
    /// Stage id -> (frames passed through, frames dropped, first frames).
    stages: std::collections::BTreeMap<String, (u64, u64, Vec<u64>)>,
}

impl FailedFrames {
    /// How many of the first failed frames a summary names.
    const NAMED: usize = 5;

    fn record(&mut self, s: &gst::StructureRef) {
        let (Ok(stage), Ok(frame), Ok(action)) = (
            s.get::<String>("stage"),
            s.get::<u64>("frame"),
            s.get::<String>("action"),
        ) else {
            return;
        };
        let entry = self.stages.entry(stage).or_default();
        if action == "drop" {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
        if entry.2.len() < Self::NAMED {
            entry.2.push(frame);
        }
    }

    /// One line per stage that failed on frames.
    fn summary(&self) -> Vec<String> {
        self.stages
            .iter()
            .map(|(stage, (passed, dropped, first))| {
                let mut what = Vec::new();
                if *passed > 0 {
                    what.push(format!("{passed} passed through unprocessed"));
                }
                if *dropped > 0 {
                    what.push(format!("{dropped} dropped"));
                }
                let frames: Vec<String> = first.iter().map(u64::to_string).collect();
                let more = if passed + dropped > first.len() as u64 {
                    ", ..."
                } else {
                    ""
                };
                format!(
                    "stage `{stage}` failed on {} frames ({}): frames {}{more}",
                    passed + dropped,
                    what.join(", "),
                    frames.join(", ")
                )
            })
            .collect()
    }
}

fn play(
    plan: &Plan,
    built: &Built,
    interrupts: &AtomicUsize,
    failed: &mut FailedFrames,
) -> Result<Ending> {
    let pipeline = &built.pipeline;
    let bus = pipeline.bus().expect("a pipeline has a bus");
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| anyhow!("the pipeline could not start: {}", first_error(&bus)))?;

    let (total, fps) = progress_target(plan);
    let progress = make_progress(total);
    let started = Instant::now();
    let mut eos_sent = false;
    let mut interrupted_at: Option<Instant> = None;
    loop {
        let seen = interrupts.load(Ordering::SeqCst);
        if seen >= 2 {
            progress.abandon();
            bail!("interrupted twice: stopped without finishing the output");
        }
        if seen == 1 && !eos_sent {
            eos_sent = true;
            interrupted_at = Some(Instant::now());
            say(
                &progress,
                "interrupted: finishing the output files (Ctrl-C again to abandon them)",
            );
            built.ending.finish_at_furthest();
        }
        // A stream that makes no progress (a stalled live source) cannot
        // reach the common end: after a while, end the sources as they are.
        if let Some(at) = interrupted_at
            && at.elapsed() > FINISH_PATIENCE
        {
            interrupted_at = None;
            // From another thread: a source busy in a plugin call holds its
            // stream lock until the call ends, and this loop must stay free
            // to see a second Ctrl-C.
            let pipeline = pipeline.clone();
            std::thread::spawn(move || pipeline.send_event(gst::event::Eos::new()));
        }
        if let Some(pos) = pipeline.query_position::<gst::ClockTime>() {
            let done = pos.mseconds().min(total.unwrap_or(u64::MAX));
            progress.set_position(done);
            // Frames counted at the encoders when there are files: exact
            // for variable frame rates and after `videorate`.
            let frames = written(built).unwrap_or_else(|| (pos.seconds_f64() * fps).round() as u64);
            progress.set_message(progress_text(
                Duration::from_millis(done),
                total.map(Duration::from_millis),
                frames,
                started.elapsed(),
            ));
        }
        let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
            continue;
        };
        use gst::MessageView;
        match msg.view() {
            MessageView::Eos(_) => break,
            MessageView::Error(err) => {
                progress.abandon();
                return Err(anyhow!("{}", describe_error(err)));
            }
            MessageView::Warning(w) => {
                say(&progress, format!("warning: {}", w.error()));
            }
            MessageView::Element(e) => {
                if let Some(s) = e.structure() {
                    if s.name() == "reel-stage-failure" {
                        failed.record(s);
                    }
                    if let Some(line) = stage_message(s) {
                        say(&progress, line);
                    }
                }
            }
            _ => {}
        }
    }
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    // Frames that reached an encoder when there are files; else as far
    // as the stream got.
    let frames = match written(built) {
        Some(n) => Some(n as f64),
        None => pipeline
            .query_position::<gst::ClockTime>()
            .map(|pos| (pos.seconds_f64() * fps).round()),
    };
    if let Some(frames) = frames {
        eprintln!(
            "{frames} frames in {elapsed:.1} s ({:.1} fps)",
            frames / elapsed.max(1e-3)
        );
    }
    Ok(if eos_sent {
        Ending::Interrupted
    } else {
        Ending::Finished
    })
}

/// The length in milliseconds of the longest source (the progress bar
/// runs on stream time: a frame count from a nominal rate is wrong for
/// variable frame rates) and its frame rate, for estimates.
fn progress_target(plan: &Plan) -> (Option<u64>, f64) {
    let main = plan
        .sources
        .iter()
        .max_by_key(|s| s.duration.unwrap_or_default());
    let fps = main.and_then(|s| s.fps).unwrap_or(30.0);
    let total = main.and_then(|s| s.duration).map(|d| d.as_millis() as u64);
    (total, fps)
}

/// Video frames written so far, the most of any output file.
fn written(built: &Built) -> Option<u64> {
    built
        .outputs
        .iter()
        .map(|o| o.frames.load(Ordering::Relaxed))
        .max()
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

fn make_progress(total: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template("{bar:40} {msg}  eta {eta}")
        .expect("valid template");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn first_error(bus: &gst::Bus) -> String {
    bus.timed_pop_filtered(
        gst::ClockTime::from_mseconds(500),
        &[gst::MessageType::Error],
    )
    .and_then(|m| match m.view() {
        gst::MessageView::Error(e) => Some(describe_error(e)),
        _ => None,
    })
    .unwrap_or_else(|| "no reason given".into())
}

/// An error message naming the stage (or source) it came from.
fn describe_error(err: &gst::message::Error) -> String {
    let source = err
        .src()
        .map(|s| s.path_string().to_string())
        .unwrap_or_default();
    let origin = source.rsplit('/').next().unwrap_or("").to_string();
    // GStreamer's debug text starts with a source location and an internal
    // object path; only a detail after them that says something is kept.
    let detail = err
        .debug()
        .and_then(|d| {
            let last = d.lines().last()?.to_string();
            let text = last.rsplit(": ").next()?.trim().to_string();
            let internal = text.is_empty()
                || text.starts_with('/')
                || text.contains(".rs(")
                || text.contains(".c(");
            (!internal).then(|| format!("\n  detail: {text}"))
        })
        .unwrap_or_default();
    format!("{origin}: {}{detail}", err.error())
}

/// The line to print for a stage's element message, if it is one of ours.
fn stage_message(s: &gst::StructureRef) -> Option<String> {
    let stage = s.get::<String>("stage").ok()?;
    match s.name().as_str() {
        "reel-stage-output" => Some(format!("[{stage}] {}", s.get::<String>("line").ok()?)),
        "reel-stage-failure" => Some(format!(
            "warning: stage `{stage}` failed on frame {}: {} (frame {})",
            s.get::<u64>("frame").ok()?,
            s.get::<String>("reason").ok()?,
            match s.get::<String>("action").ok()?.as_str() {
                "drop" => "dropped",
                "fail" => "stops the run",
                _ => "passed through unchanged",
            }
        )),
        _ => None,
    }
}

/// The end-of-run table: per stage, frames, mean and p99 time per frame,
/// failures and whether it was bypassed.
fn stage_table(built: &Built) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if built.stages.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "{:<16} {:<8} {:>7} {:>10} {:>10} {:>9}  note",
        "stage", "kind", "frames", "mean ms", "p99 ms", "failures"
    );
    for stage in &built.stages {
        let row = if stage.kind == "element" {
            let times = stage
                .times
                .samples
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            (
                times.count(),
                times.mean().as_secs_f64() * 1e3,
                times.percentile(0.99).as_secs_f64() * 1e3,
                "-".to_string(),
                String::new(),
            )
        } else {
            let stats = stage.element.property::<gst::Structure>("stats");
            let bypassed = stats.get::<String>("bypassed").unwrap_or_default();
            (
                stats.get::<u64>("frames").unwrap_or(0),
                stats.get::<f64>("mean-us").unwrap_or(0.0) / 1e3,
                stats.get::<f64>("p99-us").unwrap_or(0.0) / 1e3,
                stats.get::<u64>("failures").unwrap_or(0).to_string(),
                if bypassed.is_empty() {
                    String::new()
                } else {
                    format!("bypassed: {bypassed}")
                },
            )
        };
        let (frames, mean, p99, failures, note) = row;
        let _ = writeln!(
            out,
            "{:<16} {:<8} {frames:>7} {mean:>10.3} {p99:>10.3} {failures:>9}  {note}",
            stage.id, stage.kind
        );
    }
    out
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
