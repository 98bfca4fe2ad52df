//! A running stage: one plugin instance under supervision.
//!
//! A trap, an overrun deadline or an error result never escapes: the frame
//! is decided by the stage's [`OnError`] policy, a trapped instance is
//! dropped and recreated for the next frame, and after too many failures in
//! a row the stage is bypassed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::description::{ParamValue, Secret};
use crate::error::{Error, Result};
use crate::frame::HostFrame;
use crate::instance::{Failure, Live, TimeLimit};
use crate::plugin::Plugin;
use crate::sandbox::{GuestOutput, SandboxConfig};
use crate::timings::Timings;

/// What happens to a frame the plugin failed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnError {
    /// Hand the frame on as it came in.
    #[default]
    Passthrough,
    /// Leave the frame out of the output.
    Drop,
    /// Stop the pipeline with an error.
    Fail,
}

impl OnError {
    pub const NAMES: [&'static str; 3] = ["passthrough", "drop", "fail"];

    pub fn parse(name: &str) -> Option<OnError> {
        match name {
            "passthrough" => Some(OnError::Passthrough),
            "drop" => Some(OnError::Drop),
            "fail" => Some(OnError::Fail),
            _ => None,
        }
    }
}

/// Everything needed to run a stage.
#[derive(Clone, Debug)]
pub struct StageSpec {
    /// The stage's id in the pipeline, used in every message.
    pub id: String,
    pub plugin: Arc<Plugin>,
    /// Parameters as given; checked against the plugin's schema.
    pub params: Vec<(String, ParamValue)>,
    pub sandbox: SandboxConfig,
    pub on_error: OnError,
    /// Failures in a row after which the stage is bypassed.
    pub max_failures: u32,
    /// A live pipeline never goes black: a plugin that cannot start is
    /// bypassed with a message instead of refusing the run.
    pub live: bool,
}

pub const DEFAULT_MAX_FAILURES: u32 = 5;

/// Something worth telling the user, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum StageEvent {
    /// A line the guest printed.
    Output(String),
    /// The plugin failed on a frame; `action` says what became of it.
    Failed {
        frame: u64,
        pts: Option<u64>,
        reason: String,
        action: OnError,
    },
    /// Too many failures in a row: frames now pass untouched.
    Bypassed { reason: String },
}

/// What to do with the frame after [`Stage::filter`] or [`Stage::mix`].
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// The plugin succeeded: use its result.
    Keep,
    /// The plugin failed and the policy is `passthrough`: a filter's frame
    /// is back as it came in; a mixer's caller hands on its first input.
    Passthrough,
    Drop,
    Fail(String),
}

/// Per-stage numbers for the end-of-run table.
#[derive(Clone, Debug, Default)]
pub struct StageStats {
    /// Frames offered to the stage.
    pub frames: u64,
    /// Frames the plugin processed successfully.
    pub processed: u64,
    pub failures: u64,
    /// Mean and 99th-percentile time of a successful call.
    pub mean: Duration,
    pub p99: Duration,
    pub bypassed: Option<String>,
}

/// A supervised stage instance.
pub struct Stage {
    spec: StageSpec,
    params: Vec<(String, ParamValue)>,
    /// Secrets among the parameters: whatever the plugin says is redacted
    /// of them before it is reported.
    secrets: Vec<Secret>,
    live: Option<Live>,
    output: GuestOutput,
    failures_in_row: u32,
    failures: u64,
    bypassed: Option<String>,
    frames: u64,
    events: Vec<StageEvent>,
    /// The programme's sound, for a stage that follows it.
    sound: Option<Arc<reel_sound::Tap>>,
    /// Times of successful calls, for the end-of-run table.
    pub timings: Timings,
}

impl Stage {
    /// Checks the parameters and starts one instance, so configuration
    /// mistakes surface before any media flows. A plugin that cannot start
    /// is an error, except in a live pipeline: there the stage is bypassed
    /// from the first frame and says why.
    pub fn new(spec: StageSpec) -> Result<Stage> {
        let params = spec
            .plugin
            .description
            .resolve_params(&spec.params)
            .map_err(|error| Error::Param {
                stage: spec.id.clone(),
                error,
            })?;
        if let Some(dir) = &spec.sandbox.assets {
            crate::files::check_asset_dir(dir).map_err(|e| Error::Stage {
                stage: spec.id.clone(),
                reason: e.to_string(),
            })?;
        }
        let secrets = secrets(&params);
        let mut stage = Stage {
            spec,
            params,
            secrets,
            live: None,
            output: GuestOutput::default(),
            failures_in_row: 0,
            failures: 0,
            bypassed: None,
            frames: 0,
            events: Vec::new(),
            sound: None,
            timings: Timings::default(),
        };
        let started = stage.ensure_live().map(|_| ()).map_err(|f| f.reason);
        let started = started.map_err(|reason| stage.redact(reason));
        stage.pump_output();
        if let Err(reason) = started {
            let (id, name) = (&stage.spec.id, &stage.spec.plugin.description.name);
            if !stage.spec.live {
                return Err(Error::StageStart {
                    stage: id.clone(),
                    plugin: name.clone(),
                    reason,
                });
            }
            let reason = format!("the plugin could not start: {reason}");
            stage.events.push(StageEvent::Bypassed {
                reason: reason.clone(),
            });
            stage.bypassed = Some(reason);
        }
        Ok(stage)
    }

    /// New parameters for the running stage: checked against the schema,
    /// then handed to the plugin's `configure` between two frames (a
    /// lower-third's new name, a layer moved). If the schema or the plugin
    /// refuses them, the stage keeps running with the old ones; if the
    /// plugin traps, its instance is started afresh with the old ones.
    pub fn configure(&mut self, params: Vec<(String, ParamValue)>) -> Result<()> {
        let resolved = self
            .spec
            .plugin
            .description
            .resolve_params(&params)
            .map_err(|error| Error::Param {
                stage: self.spec.id.clone(),
                error,
            })?;
        if let Some(live) = self.live.as_mut() {
            let result = live.configure(&resolved);
            self.pump_output();
            if let Err(failure) = result {
                if failure.fatal {
                    self.live = None;
                }
                return Err(Error::Stage {
                    stage: self.spec.id.clone(),
                    reason: self.redact(failure.reason),
                });
            }
        }
        self.secrets = secrets(&resolved);
        self.params = resolved;
        self.spec.params = params;
        Ok(())
    }

    pub fn spec(&self) -> &StageSpec {
        &self.spec
    }

    pub fn bypassed(&self) -> Option<&str> {
        self.bypassed.as_deref()
    }

    fn ensure_live(&mut self) -> Result<&mut Live, Failure> {
        let live = match self.live.take() {
            Some(live) => live,
            None => {
                let limit = TimeLimit::of(&self.spec.sandbox, self.spec.live);
                let mut live = Live::instantiate(
                    &self.spec.plugin.pre,
                    &self.spec.sandbox,
                    limit,
                    &self.output,
                )?;
                live.construct(&self.params)?;
                live
            }
        };
        Ok(self.live.insert(live))
    }

    /// Runs the filter on `frame` in place. The frame always comes back:
    /// as the plugin left it, or (on failure with `passthrough`) as it came.
    pub fn filter(&mut self, mut frame: HostFrame) -> (HostFrame, Verdict) {
        let Some(index) = self.begin(&mut frame, true) else {
            return (frame, Verdict::Passthrough);
        };
        let sound = self.frame_sound(&frame);
        let started = Instant::now();
        let (frame, result) = match (sound, self.ensure_live()) {
            (Err(failure), _) | (_, Err(failure)) => (frame, Err(failure)),
            (Ok(sound), Ok(live)) => {
                live.set_sound(sound);
                let done = live.with_lent(frame, |live, rep| live.filter(rep));
                live.set_sound(None);
                done
            }
        };
        self.settle(index, frame, started, result)
    }

    /// Sound for this stage comes from `tap`: each frame's `filter` or
    /// `mix` call gets the sound playing during it (by the frame's
    /// running time), waiting for it in a file job.
    pub fn follow_sound(&mut self, tap: Arc<reel_sound::Tap>) {
        self.sound = Some(tap);
    }

    /// The sound for `frame`'s call: none without a tap; silence, counted
    /// missing, for a frame without a time; a failure when a file job's
    /// sound does not come.
    fn frame_sound(&self, frame: &HostFrame) -> Result<Option<reel_sound::Window>, Failure> {
        let Some(tap) = &self.sound else {
            return Ok(None);
        };
        // A frame without a duration counts as 1/25 s.
        let span = frame.duration.unwrap_or(40_000_000);
        // Without a time the frame's sound cannot be found: silence.
        let Some(start) = frame.running_time else {
            return Ok(Some(reel_sound::Window::silence(span)));
        };
        let end = start.saturating_add(span);
        tap.window(start, end, !self.spec.live)
            .map_err(|e| Failure {
                reason: e.to_string(),
                fatal: false,
            })
    }

    /// Runs a mixer stage: composes the named `inputs` (read-only for the
    /// plugin) into `output`. The output always comes back; the verdict
    /// follows `on_error`. A failed call's output holds whatever the plugin
    /// left there (nothing is saved to undo it: a mixer that fails hands on
    /// its first input instead, which the caller has).
    pub fn mix(
        &mut self,
        inputs: Vec<(String, HostFrame)>,
        mut output: HostFrame,
    ) -> (HostFrame, Verdict) {
        let Some(index) = self.begin(&mut output, false) else {
            output.fill_unwritten();
            return (output, Verdict::Passthrough);
        };
        let sound = self.frame_sound(&output);
        let started = Instant::now();
        let (output, result) = match (sound, self.ensure_live()) {
            (Err(failure), _) | (_, Err(failure)) => (output, Err(failure)),
            (Ok(sound), Ok(live)) => live.with_lent(output, |live, out_rep| {
                live.set_sound(sound);
                let table = live.frames();
                let lent: Vec<(String, u32)> = inputs
                    .into_iter()
                    .map(|(name, mut frame)| {
                        frame.lent_by_host = true;
                        (name, table.insert(frame))
                    })
                    .collect();
                let result = live.mix(&lent, out_rep);
                live.set_sound(None);
                // Inputs the plugin still holds are revoked: their pixels go
                // back to the host and the handles read as gone.
                let table = live.frames();
                for (_, rep) in &lent {
                    if let Ok(frame) = table.get_mut(*rep)
                        && frame.lent_by_host
                    {
                        frame.take_pixels();
                    }
                }
                result
            }),
        };
        self.settle(index, output, started, result)
    }

    /// Runs a decoder stage on one encoded item (a PNG, a JPEG...): at
    /// most `max_size` (width, height) per picture. Errors name the stage
    /// and say why; a trapped instance is recreated for the next item.
    pub fn decode(&mut self, data: &[u8], max_size: (u32, u32)) -> Result<Vec<HostFrame>> {
        let index = self.frames;
        self.frames += 1;
        let started = Instant::now();
        let result = match self.ensure_live() {
            Ok(live) => live.decode(data),
            Err(failure) => Err(failure),
        };
        self.pump_output();
        let result = result.and_then(|frames| match frames
            .iter()
            .find(|f| f.layout.width > max_size.0 as usize || f.layout.height > max_size.1 as usize)
        {
            Some(f) => Err(Failure {
                reason: format!(
                    "decoded a {}x{} picture, larger than the {}x{} allowed (raise the source's max_size if it is meant to be that large)",
                    f.layout.width, f.layout.height, max_size.0, max_size.1
                ),
                fatal: false,
            }),
            None => Ok(frames),
        });
        match result {
            Ok(frames) => {
                self.timings.record(started.elapsed());
                self.failures_in_row = 0;
                Ok(frames)
            }
            Err(failure) => {
                if failure.fatal {
                    self.live = None;
                }
                self.failures += 1;
                Err(Error::Decode {
                    stage: self.spec.id.clone(),
                    item: index,
                    file: None,
                    reason: self.redact(failure.reason),
                })
            }
        }
    }

    /// Before a filter or mix call: counts the frame and, when `undo`,
    /// arms the undo the policy needs. None when the stage is bypassed.
    fn begin(&mut self, frame: &mut HostFrame, undo: bool) -> Option<u64> {
        let index = self.frames;
        self.frames += 1;
        if self.bypassed.is_some() {
            return None;
        }
        frame.keep_undo(undo && self.spec.on_error == OnError::Passthrough);
        Some(index)
    }

    /// After a filter or mix call: keep the plugin's changes to `frame` and
    /// time the call, or undo them and apply the failure policy.
    fn settle(
        &mut self,
        index: u64,
        mut frame: HostFrame,
        started: Instant,
        result: Result<(), Failure>,
    ) -> (HostFrame, Verdict) {
        let elapsed = started.elapsed();
        frame.fill_unwritten();
        self.pump_output();
        match result {
            Ok(()) => {
                frame.commit();
                self.failures_in_row = 0;
                self.timings.record(elapsed);
                (frame, Verdict::Keep)
            }
            Err(failure) => {
                frame.restore();
                let verdict = self.fail(index, frame.pts, failure);
                (frame, verdict)
            }
        }
    }

    fn fail(&mut self, frame: u64, pts: Option<u64>, failure: Failure) -> Verdict {
        let failure = Failure {
            reason: self.redact(failure.reason),
            ..failure
        };
        if failure.fatal {
            // A trapped instance cannot be entered again: start afresh.
            self.live = None;
        }
        self.failures_in_row += 1;
        self.failures += 1;
        let action = self.spec.on_error;
        self.events.push(StageEvent::Failed {
            frame,
            pts,
            reason: failure.reason.clone(),
            action,
        });
        if self.failures_in_row >= self.spec.max_failures && action != OnError::Fail {
            let reason = format!(
                "{} failures in a row, the last: {}",
                self.failures_in_row, failure.reason
            );
            self.events.push(StageEvent::Bypassed {
                reason: reason.clone(),
            });
            self.bypassed = Some(reason);
            self.live = None;
        }
        match action {
            OnError::Passthrough => Verdict::Passthrough,
            OnError::Drop => Verdict::Drop,
            OnError::Fail => Verdict::Fail(format!(
                "stage `{}` failed on frame {frame}: {}",
                self.spec.id, failure.reason
            )),
        }
    }

    fn pump_output(&mut self) {
        for line in self.output.drain_lines() {
            let line = self.redact(line);
            self.events.push(StageEvent::Output(line));
        }
    }

    /// `text` from the plugin with the stage's secrets taken out.
    fn redact(&self, text: String) -> String {
        self.secrets.iter().fold(text, |t, s| s.redact(&t))
    }

    pub fn stats(&self) -> StageStats {
        StageStats {
            frames: self.frames,
            processed: self.timings.count(),
            failures: self.failures,
            mean: self.timings.mean(),
            p99: self.timings.percentile(0.99),
            bypassed: self.bypassed.clone(),
        }
    }

    /// Events since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<StageEvent> {
        std::mem::take(&mut self.events)
    }
}

/// The secrets among `params`.
fn secrets(params: &[(String, ParamValue)]) -> Vec<Secret> {
    params
        .iter()
        .filter_map(|(_, v)| match v {
            ParamValue::Secret(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}
