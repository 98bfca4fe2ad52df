//! A running stage: one plugin instance under supervision.
//!
//! A trap, an overrun deadline or an error result never escapes: the frame
//! is decided by the stage's [`OnError`] policy, a trapped instance is
//! dropped and recreated for the next frame, and after too many failures in
//! a row the stage is bypassed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use wasmtime::component::{Resource, ResourceAny};
use wasmtime::{PoolConcurrencyLimitError, Store, Trap, UpdateDeadline, WasmBacktrace};

use crate::bindings::stage::{Param, StageError};
use crate::bindings::{Plugin as PluginWorld, PluginPre, stage};
use crate::description::{ParamValue, to_guest_value};
use crate::frame::{HostFrame, MAX_FRAMES};
use crate::plugin::Plugin;
use crate::runtime::{EPOCH_TICK, MAX_INSTANCES};
use crate::sandbox::{GuestOutput, MAX_DEADLINE, SandboxConfig, StoreState, thread_cpu_time};
use crate::text::{MAX_LINE, sanitize};
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

/// Why a guest call did not succeed.
pub(crate) struct Failure {
    pub reason: String,
    /// The instance is unusable (it trapped) and must be recreated.
    pub fatal: bool,
}

/// Most bytes a plugin may pass the host in one call (a 65^3 LUT is 3.3
/// MB; frame rows are written straight from its memory and do not count).
const HOSTCALL_BYTES: usize = 16 << 20;

/// How long one call may take.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TimeLimit {
    /// Live pipelines: wall-clock time, so the stream keeps real time.
    Deadline(Duration),
    /// File jobs: the plugin's own CPU time, so only a hung plugin is
    /// stopped, never one slowed by a busy machine.
    HangGuard(Duration),
}

impl TimeLimit {
    pub(crate) fn of(sandbox: &SandboxConfig, live: bool) -> TimeLimit {
        if live {
            TimeLimit::Deadline(sandbox.deadline.min(MAX_DEADLINE))
        } else {
            TimeLimit::HangGuard(sandbox.hang_guard.min(MAX_DEADLINE))
        }
    }

    fn duration(self) -> Duration {
        match self {
            TimeLimit::Deadline(d) | TimeLimit::HangGuard(d) => d,
        }
    }

    /// At least `floor` (start-up code gets a little room).
    fn at_least(self, floor: Duration) -> TimeLimit {
        match self {
            TimeLimit::Deadline(d) => TimeLimit::Deadline(d.max(floor)),
            TimeLimit::HangGuard(d) => TimeLimit::HangGuard(d.max(floor)),
        }
    }

    /// Why a call was interrupted, for the user.
    fn overrun(self) -> String {
        match self {
            TimeLimit::Deadline(d) => format!(
                "exceeded its deadline of {} ms and was interrupted",
                d.as_millis()
            ),
            TimeLimit::HangGuard(d) => format!(
                "used more than {} ms of CPU time on one call (its hang guard) and was stopped as hung",
                d.as_millis()
            ),
        }
    }
}

/// A store with an instantiated plugin.
pub(crate) struct Live {
    store: Store<StoreState>,
    world: PluginWorld,
    instance: Option<ResourceAny>,
    limit: TimeLimit,
}

impl Live {
    pub(crate) fn instantiate(
        pre: &PluginPre<StoreState>,
        sandbox: &SandboxConfig,
        limit: TimeLimit,
        output: &GuestOutput,
    ) -> Result<Live, Failure> {
        let state = StoreState::new(sandbox, output).map_err(|e| Failure {
            reason: format!("{e:#}"),
            fatal: true,
        })?;
        let mut store = Store::new(pre.engine(), state);
        store.limiter(|s| &mut s.memory);
        // What one call may hand the host (strings, lists, a description):
        // the host copies it outside the plugin's memory cap.
        store.set_hostcall_fuel(HOSTCALL_BYTES);
        match limit {
            TimeLimit::Deadline(_) => store.epoch_deadline_trap(),
            // At each wall-clock deadline, look at the CPU time the call has
            // really used, and give it the rest of its guard.
            TimeLimit::HangGuard(guard) => store.epoch_deadline_callback(move |store| {
                let used = thread_cpu_time().saturating_sub(store.data().call_cpu_start);
                Ok(match guard.checked_sub(used) {
                    Some(left) if !left.is_zero() => UpdateDeadline::Continue(ticks(left)),
                    _ => UpdateDeadline::Interrupt,
                })
            }),
        }
        // Instantiation runs the guest's start code: give it a limit too.
        let start = limit.at_least(Duration::from_millis(100));
        arm(&mut store, start);
        let world = pre
            .instantiate(&mut store)
            .map_err(|e| failure(&store, e, start))?;
        Ok(Live {
            store,
            world,
            instance: None,
            limit,
        })
    }

    fn arm(&mut self) {
        arm(&mut self.store, self.limit);
    }

    /// The guest's instance, once constructed.
    fn instance(&self) -> Result<ResourceAny, Failure> {
        self.instance.ok_or_else(|| Failure {
            reason: "was called before it was started".into(),
            fatal: true,
        })
    }

    pub(crate) fn describe(&mut self) -> Result<stage::Description, Failure> {
        self.arm();
        let world = &self.world;
        world
            .reel_plugin_stage()
            .call_describe(&mut self.store)
            .map_err(|e| failure(&self.store, e, self.limit))
    }

    /// Creates the guest's instance and configures it.
    fn construct(&mut self, params: &[(String, ParamValue)]) -> Result<(), Failure> {
        let params: Vec<Param> = params
            .iter()
            .map(|(name, value)| Param {
                name: name.clone(),
                value: to_guest_value(value),
            })
            .collect();
        self.arm();
        let guest = self.world.reel_plugin_stage().instance();
        let instance = guest
            .call_constructor(&mut self.store)
            .map_err(|e| failure(&self.store, e, self.limit))?;
        self.instance = Some(instance);
        self.arm();
        let result = self
            .world
            .reel_plugin_stage()
            .instance()
            .call_configure(&mut self.store, instance, &params)
            .map_err(|e| failure(&self.store, e, self.limit))?;
        result.map_err(|e| Failure {
            reason: format!("refused its parameters: {}", stage_error(&e)),
            fatal: false,
        })
    }

    fn filter(&mut self, rep: u32) -> Result<(), Failure> {
        let instance = self.instance()?;
        self.arm();
        let result = self
            .world
            .reel_plugin_stage()
            .instance()
            .call_filter(&mut self.store, instance, Resource::new_borrow(rep))
            .map_err(|e| failure(&self.store, e, self.limit))?;
        result.map_err(|e| Failure {
            reason: format!("returned an error: {}", stage_error(&e)),
            fatal: false,
        })
    }
}

impl Live {
    /// Lends `frame` to the guest for `call` (pinned: the guest cannot drop
    /// it) and takes it back. A guest that already holds as many frames as
    /// it may is refused before the call: it keeps handles it should have
    /// dropped, and only a fresh instance frees them.
    fn with_lent(
        &mut self,
        mut frame: HostFrame,
        call: impl FnOnce(&mut Live, u32) -> Result<(), Failure>,
    ) -> (HostFrame, Result<(), Failure>) {
        let held = self.store.data().frames.held();
        if held >= MAX_FRAMES {
            let reason = format!(
                "holds {held} frame handles, the most a plugin may keep; it must drop the ones it no longer uses"
            );
            return (
                frame,
                Err(Failure {
                    reason,
                    fatal: true,
                }),
            );
        }
        frame.pinned = true;
        let rep = self.store.data_mut().frames.insert(frame);
        let result = call(self, rep);
        let state = self.store.data_mut();
        let frame = state.frames.remove(rep);
        state.update_host_bytes();
        match frame {
            Some(mut frame) => {
                frame.pinned = false;
                (frame, result)
            }
            // Pinned frames cannot leave the table; this is unreachable,
            // but a frame is owed to the caller whatever happens.
            None => (
                HostFrame::blank(reel_kernels::Format::Rgba, 1, 1),
                Err(Failure {
                    reason: "the host lost the frame it lent (a bug in Reel)".into(),
                    fatal: true,
                }),
            ),
        }
    }

    /// Runs the mixer on named input frames (lent as owned handles the host
    /// revokes after the call) into the output frame.
    fn mix(&mut self, inputs: &[(String, u32)], output: u32) -> Result<(), Failure> {
        let instance = self.instance()?;
        let list: Vec<stage::MixerInput> = inputs
            .iter()
            .map(|(name, rep)| stage::MixerInput {
                name: name.clone(),
                frame: Resource::new_own(*rep),
            })
            .collect();
        self.arm();
        let result = self
            .world
            .reel_plugin_stage()
            .instance()
            .call_mix(
                &mut self.store,
                instance,
                &list,
                Resource::new_borrow(output),
            )
            .map_err(|e| failure(&self.store, e, self.limit))?;
        result.map_err(|e| Failure {
            reason: format!("returned an error: {}", stage_error(&e)),
            fatal: false,
        })
    }

    /// Runs the decoder on `data`; the frames it returns move to the host.
    fn decode(&mut self, data: &[u8]) -> Result<Vec<HostFrame>, Failure> {
        let instance = self.instance()?;
        self.arm();
        let result = self
            .world
            .reel_plugin_stage()
            .instance()
            .call_decode(&mut self.store, instance, data)
            .map_err(|e| failure(&self.store, e, self.limit))?;
        let handles = result.map_err(|e| Failure {
            reason: format!("could not decode: {}", stage_error(&e)),
            fatal: false,
        })?;
        let state = self.store.data_mut();
        let frames = handles
            .into_iter()
            .filter_map(|h| state.frames.remove(h.rep()))
            .collect();
        state.update_host_bytes();
        Ok(frames)
    }
}

/// Starts the clock on a call: the epoch deadline interrupts running wasm,
/// the call deadline ends any wait in the host (see `clocks`).
fn arm(store: &mut Store<StoreState>, limit: TimeLimit) {
    let time = limit.duration();
    store.set_epoch_deadline(ticks(time));
    let state = store.data_mut();
    state.call_deadline = Some(Instant::now() + time);
    // A system call: only hang guards count CPU time.
    if matches!(limit, TimeLimit::HangGuard(_)) {
        state.call_cpu_start = thread_cpu_time();
    }
    state.waited_out = false;
}

fn ticks(deadline: Duration) -> u64 {
    (deadline.as_micros() / EPOCH_TICK.as_micros()).max(1) as u64
}

/// A guest's error, sanitised for the user.
pub(crate) fn stage_error(e: &StageError) -> String {
    let (what, message) = match e {
        StageError::InvalidParam(m) => ("invalid parameter: ", m),
        StageError::Unsupported(m) => ("unsupported: ", m),
        StageError::BadData(m) => ("bad data: ", m),
        StageError::Failed(m) => ("", m),
    };
    format!("{what}{}", sanitize(message, MAX_LINE))
}

/// Describes a trap in the user's terms.
fn failure(store: &Store<StoreState>, error: wasmtime::Error, limit: TimeLimit) -> Failure {
    let reason = if error.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        if store.data().waited_out {
            format!(
                "waited until the end of its time ({} ms) and was stopped",
                limit.duration().as_millis()
            )
        } else {
            limit.overrun()
        }
    } else if store.data().memory.denied {
        format!(
            "ran out of memory: it asked for more than its cap of {} MiB and then trapped",
            store.data().memory.bytes >> 20
        )
    } else if let Some(trap) = error.downcast_ref::<Trap>() {
        // The guest function it trapped in, from the name section (guest
        // text, so sanitised).
        let place = error
            .downcast_ref::<WasmBacktrace>()
            .and_then(|trace| trace.frames().iter().find_map(|f| f.func_name()))
            .map(|name| {
                let readable = format!("{:#}", rustc_demangle::demangle(name));
                format!(" in `{}`", sanitize(&readable, 200))
            })
            .unwrap_or_default();
        let trap = trap.to_string();
        format!(
            "trapped: {}{place}",
            trap.strip_prefix("wasm trap: ").unwrap_or(&trap)
        )
    } else if format!("{error:#}").contains("fuel allocated for hostcalls has been exhausted") {
        format!(
            "passed the host more than {} MiB in one call",
            HOSTCALL_BYTES >> 20
        )
    } else if error.chain().any(|e| e.is::<PoolConcurrencyLimitError>()) {
        format!(
            "could not be started: this process already runs {MAX_INSTANCES} plugin instances, the most it can"
        )
    } else {
        // Refused by the host during the call (a borrowed handle kept past
        // its end, a table full): every cause, without the backtrace.
        let causes: Vec<String> = error
            .chain()
            .map(|e| e.to_string())
            .filter(|text| !text.contains("wasm backtrace:"))
            .collect();
        format!("failed: {}", sanitize(&causes.join(": "), MAX_LINE))
    };
    Failure {
        reason,
        fatal: true,
    }
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
    live: Option<Live>,
    output: GuestOutput,
    failures_in_row: u32,
    failures: u64,
    bypassed: Option<String>,
    frames: u64,
    events: Vec<StageEvent>,
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
            .map_err(|e| anyhow!("stage `{}`: {e}", spec.id))?;
        if let Some(dir) = &spec.sandbox.assets {
            crate::files::check_asset_dir(dir).map_err(|e| anyhow!("stage `{}`: {e}", spec.id))?;
        }
        let mut stage = Stage {
            spec,
            params,
            live: None,
            output: GuestOutput::default(),
            failures_in_row: 0,
            failures: 0,
            bypassed: None,
            frames: 0,
            events: Vec::new(),
            timings: Timings::default(),
        };
        let started = stage.ensure_live().map(|_| ()).map_err(|f| f.reason);
        stage.pump_output();
        if let Err(reason) = started {
            let (id, name) = (&stage.spec.id, &stage.spec.plugin.description.name);
            if !stage.spec.live {
                return Err(anyhow!(
                    "stage `{id}` (plugin {name}) could not start: {reason}"
                ));
            }
            let reason = format!("the plugin could not start: {reason}");
            stage.events.push(StageEvent::Bypassed {
                reason: reason.clone(),
            });
            stage.bypassed = Some(reason);
        }
        Ok(stage)
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
        let started = Instant::now();
        let (frame, result) = match self.ensure_live() {
            Err(failure) => (frame, Err(failure)),
            Ok(live) => live.with_lent(frame, |live, rep| live.filter(rep)),
        };
        self.settle(index, frame, started, result)
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
        let started = Instant::now();
        let (output, result) = match self.ensure_live() {
            Err(failure) => (output, Err(failure)),
            Ok(live) => live.with_lent(output, |live, out_rep| {
                let table = &mut live.store.data_mut().frames;
                let lent: Vec<(String, u32)> = inputs
                    .into_iter()
                    .map(|(name, mut frame)| {
                        frame.lent_by_host = true;
                        (name, table.insert(frame))
                    })
                    .collect();
                let result = live.mix(&lent, out_rep);
                // Inputs the plugin still holds are revoked: their pixels go
                // back to the host and the handles read as gone.
                let table = &mut live.store.data_mut().frames;
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
    pub fn decode(&mut self, data: &[u8], max_size: (u32, u32)) -> Result<Vec<HostFrame>, String> {
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
                let message = format!("stage `{}`, item {index}: {}", self.spec.id, failure.reason);
                if failure.fatal {
                    self.live = None;
                }
                self.failures += 1;
                Err(message)
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
            self.events.push(StageEvent::Output(line));
        }
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
