//! Running a built pipeline: the bus loop, what stages report as it
//! happens, an early finish that keeps files playable, statistics, and
//! outputs moved under their final names only when complete. Pipelines
//! that never end (live ones) run until [`Control::interrupt`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use gst::prelude::*;

use crate::build::{Built, Output};
use crate::plan::{CredentialsPlan, Plan};

/// How long an interrupted run may take to bring every stream to a common
/// end before the sources are simply told to stop.
const FINISH_PATIENCE: Duration = Duration::from_secs(10);

/// Stops a running session from another thread (a signal handler, a
/// service's stop request): the first interrupt finishes the files
/// cleanly, a second abandons them at once.
#[derive(Debug, Default)]
pub struct Control {
    interrupts: AtomicUsize,
}

impl Control {
    pub fn interrupt(&self) {
        self.interrupts.fetch_add(1, Ordering::SeqCst);
    }

    /// Interrupts so far.
    pub fn interrupts(&self) -> usize {
        self.interrupts.load(Ordering::SeqCst)
    }
}

/// What happens during a run, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    /// Where the run is (about ten times a second).
    Progress(Progress),
    /// A line a plugin printed, sanitised.
    StageOutput { stage: String, line: String },
    /// A frame a stage failed on, and what became of it.
    StageFailure(StageFailure),
    /// A warning from GStreamer.
    Warning(String),
    /// The first interrupt: the files are being finished.
    Finishing,
}

#[derive(Debug, Clone)]
pub struct Progress {
    /// Stream time reached.
    pub position: Duration,
    /// The longest source's length, when known.
    pub total: Option<Duration>,
    /// Video frames written: counted at the encoders when there are files
    /// (right for variable frame rates), else estimated from stream time.
    pub frames: u64,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageFailure {
    pub stage: String,
    /// The frame's number in the stage's stream, from 0.
    pub frame: u64,
    pub reason: String,
    pub action: FailureAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    PassedThrough,
    Dropped,
    /// The run fails (a file job whose stage left `on_error` unset).
    FailsTheRun,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished,
    /// Interrupted once: the files were finished cleanly and kept.
    Interrupted,
}

/// What a successful run did.
#[derive(Debug)]
pub struct Report {
    pub ending: Ending,
    /// Each output file under its final name, with its video frames.
    pub written: Vec<(PathBuf, u64)>,
    /// The outputs that carry signed Content Credentials.
    pub signed: Vec<PathBuf>,
    /// One line per stage that failed on frames it was allowed to fail on.
    pub failures: Vec<String>,
    pub stages: Vec<StageStats>,
    /// Frames through the pipeline (as in [`Progress::frames`]).
    pub frames: Option<u64>,
    pub elapsed: Duration,
}

/// One stage's numbers at the end of a run.
#[derive(Debug, Clone)]
pub struct StageStats {
    pub id: String,
    /// `filter`, `mixer` or `element`.
    pub kind: &'static str,
    pub frames: u64,
    pub mean: Duration,
    pub p99: Duration,
    /// Frames failed on (plugin stages only).
    pub failures: Option<u64>,
    /// Why the stage was bypassed, if it was (live pipelines).
    pub bypassed: Option<String>,
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

/// Signs Content Credentials into a finished output, still under its
/// partial name.
fn sign(o: &Output, credentials: &CredentialsPlan) -> Result<()> {
    let mut signed = o.partial.clone().into_os_string();
    signed.push(".signed");
    let signed = PathBuf::from(signed);
    let _ = std::fs::remove_file(&signed);
    credentials
        .claim
        .sign(&credentials.key, &o.partial, &signed)
        .map_err(|e| match e {
            reel_credentials::CredentialsError::Sign { reason, .. } => anyhow!(
                "{}: cannot sign its Content Credentials: {reason}",
                o.target.display()
            ),
            e => anyhow!("{}: {e}", o.target.display()),
        })?;
    std::fs::rename(&signed, &o.partial).map_err(|e| {
        let _ = std::fs::remove_file(&signed);
        anyhow!("cannot move {} into place: {e}", signed.display())
    })
}

fn remove_partials(outputs: &[Output]) {
    for o in outputs {
        let _ = std::fs::remove_file(&o.partial);
    }
}

/// Plays `built` (made from `plan`) to its end, or until `control` stops
/// it, telling `on_event` what happens. On success every output is under
/// its final name; on failure none is, and no partial file is left.
pub fn run(
    plan: &Plan,
    built: Built,
    control: &Control,
    no_overwrite: bool,
    mut on_event: impl FnMut(Event),
) -> Result<Report> {
    for o in &built.outputs {
        if let Some(dir) = o.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let mut failed = FailedFrames::default();
    let started = Instant::now();
    let result = play(plan, &built, control, &mut failed, &mut on_event);
    if control.interrupts() >= 2 {
        // Abandoned: do not wait for the pipeline to wind down (a plugin
        // call may be running up to its deadline); the process ends now.
        remove_partials(&built.outputs);
        std::mem::forget(built);
        return Err(result.err().unwrap_or_else(|| anyhow!(ABANDONED)));
    }
    // Statistics live in the elements: read them before they stop.
    let stages = stage_stats(&built);
    let frames = frames_so_far(plan, &built);
    let _ = built.pipeline.set_state(gst::State::Null);
    match result {
        Ok(ending) => {
            let mut written = Vec::new();
            let mut signed = Vec::new();
            for o in &built.outputs {
                if let Some(credentials) = plan.credentials_for(&o.target) {
                    if let Err(e) = sign(o, credentials) {
                        remove_partials(&built.outputs);
                        return Err(e);
                    }
                    signed.push(o.target.clone());
                }
            }
            for o in &built.outputs {
                move_into_place(o, no_overwrite)?;
                written.push((o.target.clone(), o.frames.load(Ordering::Relaxed)));
            }
            Ok(Report {
                ending,
                written,
                signed,
                failures: failed.summary(),
                stages,
                frames,
                elapsed: started.elapsed(),
            })
        }
        Err(e) => {
            remove_partials(&built.outputs);
            Err(e)
        }
    }
}

const ABANDONED: &str = "interrupted twice: stopped without finishing the output";

/// Frames stages failed on, by stage, for the end-of-run summary.
#[derive(Default)]
struct FailedFrames {
    /// Stage id -> (frames passed through, frames dropped, first frames).
    stages: std::collections::BTreeMap<String, (u64, u64, Vec<u64>)>,
}

impl FailedFrames {
    /// How many of the first failed frames a summary names.
    const NAMED: usize = 5;

    fn record(&mut self, failure: &StageFailure) {
        let entry = self.stages.entry(failure.stage.clone()).or_default();
        if failure.action == FailureAction::Dropped {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
        if entry.2.len() < Self::NAMED {
            entry.2.push(failure.frame);
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
    control: &Control,
    failed: &mut FailedFrames,
    on_event: &mut impl FnMut(Event),
) -> Result<Ending> {
    let pipeline = &built.pipeline;
    let bus = pipeline.bus().expect("a pipeline has a bus");
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| anyhow!("the pipeline could not start: {}", first_error(&bus)))?;

    let total = progress_target(plan).0;
    let started = Instant::now();
    let mut eos_sent = false;
    let mut interrupted_at: Option<Instant> = None;
    loop {
        let seen = control.interrupts();
        if seen >= 2 {
            bail!(ABANDONED);
        }
        if seen == 1 && !eos_sent {
            eos_sent = true;
            interrupted_at = Some(Instant::now());
            on_event(Event::Finishing);
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
            // to see a second interrupt.
            let pipeline = pipeline.clone();
            std::thread::spawn(move || pipeline.send_event(gst::event::Eos::new()));
        }
        if let Some(pos) = pipeline.query_position::<gst::ClockTime>() {
            let position = Duration::from_nanos(pos.nseconds());
            on_event(Event::Progress(Progress {
                position: total.map_or(position, |t| position.min(t)),
                total,
                frames: frames_so_far(plan, built).unwrap_or(0),
                elapsed: started.elapsed(),
            }));
        }
        let Some(msg) = bus.timed_pop(gst::ClockTime::from_mseconds(100)) else {
            continue;
        };
        use gst::MessageView;
        match msg.view() {
            MessageView::Eos(_) => break,
            MessageView::Error(err) => return Err(anyhow!("{}", describe_error(err))),
            MessageView::Warning(w) => on_event(Event::Warning(w.error().to_string())),
            MessageView::Element(e) => {
                if let Some(event) = e.structure().and_then(stage_event) {
                    if let Event::StageFailure(failure) = &event {
                        failed.record(failure);
                    }
                    on_event(event);
                }
            }
            _ => {}
        }
    }
    Ok(if eos_sent {
        Ending::Interrupted
    } else {
        Ending::Finished
    })
}

/// The longest source's length (the progress runs on stream time: a frame
/// count from a nominal rate is wrong for variable frame rates) and its
/// frame rate, for estimates.
fn progress_target(plan: &Plan) -> (Option<Duration>, f64) {
    let main = plan
        .sources
        .iter()
        .max_by_key(|s| s.duration.unwrap_or_default());
    let fps = main.and_then(|s| s.fps).unwrap_or(30.0);
    (main.and_then(|s| s.duration), fps)
}

/// Video frames written so far, the most of any output file; without
/// files, as far as the stream got at the main source's rate.
fn frames_so_far(plan: &Plan, built: &Built) -> Option<u64> {
    let counted = built
        .outputs
        .iter()
        .map(|o| o.frames.load(Ordering::Relaxed))
        .max();
    counted.or_else(|| {
        built
            .pipeline
            .query_position::<gst::ClockTime>()
            .map(|pos| (pos.seconds_f64() * progress_target(plan).1).round() as u64)
    })
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

/// A stage's element message as an event, if it is one of ours.
fn stage_event(s: &gst::StructureRef) -> Option<Event> {
    let stage = s.get::<String>("stage").ok()?;
    match s.name().as_str() {
        "reel-stage-output" => Some(Event::StageOutput {
            stage,
            line: s.get::<String>("line").ok()?,
        }),
        "reel-stage-failure" => Some(Event::StageFailure(StageFailure {
            stage,
            frame: s.get::<u64>("frame").ok()?,
            reason: s.get::<String>("reason").ok()?,
            action: match s.get::<String>("action").ok()?.as_str() {
                "drop" => FailureAction::Dropped,
                "fail" => FailureAction::FailsTheRun,
                _ => FailureAction::PassedThrough,
            },
        })),
        _ => None,
    }
}

/// Per stage: frames, mean and p99 time per frame, failures and whether
/// it was bypassed.
fn stage_stats(built: &Built) -> Vec<StageStats> {
    built
        .stages
        .iter()
        .map(|stage| {
            if stage.kind == "element" {
                let times = stage
                    .times
                    .samples
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                StageStats {
                    id: stage.id.clone(),
                    kind: stage.kind,
                    frames: times.count(),
                    mean: times.mean(),
                    p99: times.percentile(0.99),
                    failures: None,
                    bypassed: None,
                }
            } else {
                let stats = stage.element.property::<gst::Structure>("stats");
                let micros = |key: &str| {
                    Duration::from_secs_f64(stats.get::<f64>(key).unwrap_or(0.0).max(0.0) / 1e6)
                };
                StageStats {
                    id: stage.id.clone(),
                    kind: stage.kind,
                    frames: stats.get::<u64>("frames").unwrap_or(0),
                    mean: micros("mean-us"),
                    p99: micros("p99-us"),
                    failures: Some(stats.get::<u64>("failures").unwrap_or(0)),
                    bypassed: stats
                        .get::<String>("bypassed")
                        .ok()
                        .filter(|b| !b.is_empty()),
                }
            }
        })
        .collect()
}
