//! One live plugin instance: its store, the guest calls it makes with a
//! time limit armed, and the translation of traps, overruns and guest
//! errors into a [`Failure`] the stage supervising it can act on.

use std::time::{Duration, Instant};

use wasmtime::component::{Resource, ResourceAny};
use wasmtime::{PoolConcurrencyLimitError, Store, Trap, UpdateDeadline, WasmBacktrace};

use crate::description::{Description, ParamValue};
use crate::frame::{FrameTable, HostFrame, MAX_FRAMES};
use crate::guest::{self, Plugin as PluginWorld, PluginPre, guest_error, stage};
use crate::limits::{EPOCH_TICK, MAX_INSTANCES};
use crate::sandbox::{GuestOutput, MAX_DEADLINE, SandboxConfig, StoreState, thread_cpu_time};
use crate::text::{MAX_LINE, sanitize};

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

    /// The frames the guest holds handles to.
    pub(crate) fn frames(&mut self) -> &mut FrameTable {
        &mut self.store.data_mut().frames
    }

    fn arm(&mut self) {
        arm(&mut self.store, self.limit);
    }

    /// The sound the next call's frame plays with (None after it).
    pub(crate) fn set_sound(&mut self, sound: Option<reel_sound::Window>) {
        self.store.data_mut().sound = sound.map(crate::guest::FrameSound::new);
    }

    /// The guest's instance, once constructed.
    fn instance(&self) -> Result<ResourceAny, Failure> {
        self.instance.ok_or_else(|| Failure {
            reason: "was called before it was started".into(),
            fatal: true,
        })
    }

    /// The plugin's description, as the guest gives it (unchecked) and
    /// the contract version it was built against.
    pub(crate) fn describe(&mut self, contract: &str) -> Result<Description, Failure> {
        self.arm();
        let world = &self.world;
        let raw = world
            .reel_plugin_stage()
            .call_describe(&mut self.store)
            .map_err(|e| failure(&self.store, e, self.limit))?;
        guest::description(raw, contract).map_err(|e| Failure {
            reason: format!("its self-description is invalid: {e}"),
            fatal: false,
        })
    }

    /// Creates the guest's instance and configures it.
    pub(crate) fn construct(&mut self, params: &[(String, ParamValue)]) -> Result<(), Failure> {
        self.arm();
        let guest = self.world.reel_plugin_stage().instance();
        let instance = guest
            .call_constructor(&mut self.store)
            .map_err(|e| failure(&self.store, e, self.limit))?;
        self.instance = Some(instance);
        self.configure(params)
    }

    /// Hands the guest's instance new parameters (`configure`).
    pub(crate) fn configure(&mut self, params: &[(String, ParamValue)]) -> Result<(), Failure> {
        let instance = self.instance()?;
        let params = guest::params(params);
        self.arm();
        let result = self
            .world
            .reel_plugin_stage()
            .instance()
            .call_configure(&mut self.store, instance, &params)
            .map_err(|e| failure(&self.store, e, self.limit))?;
        result.map_err(|e| refused("refused its parameters", &e))
    }

    pub(crate) fn filter(&mut self, rep: u32) -> Result<(), Failure> {
        let instance = self.instance()?;
        self.arm();
        let result = self
            .world
            .reel_plugin_stage()
            .instance()
            .call_filter(&mut self.store, instance, Resource::new_borrow(rep))
            .map_err(|e| failure(&self.store, e, self.limit))?;
        result.map_err(|e| refused("returned an error", &e))
    }
}

impl Live {
    /// Lends `frame` to the guest for `call` (pinned: the guest cannot drop
    /// it) and takes it back. A guest that already holds as many frames as
    /// it may is refused before the call: it keeps handles it should have
    /// dropped, and only a fresh instance frees them.
    pub(crate) fn with_lent(
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
    pub(crate) fn mix(&mut self, inputs: &[(String, u32)], output: u32) -> Result<(), Failure> {
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
        result.map_err(|e| refused("returned an error", &e))
    }

    /// Runs the decoder on `data`; the frames it returns move to the host.
    pub(crate) fn decode(&mut self, data: &[u8]) -> Result<Vec<HostFrame>, Failure> {
        let instance = self.instance()?;
        self.arm();
        let result = self
            .world
            .reel_plugin_stage()
            .instance()
            .call_decode(&mut self.store, instance, data)
            .map_err(|e| failure(&self.store, e, self.limit))?;
        let handles = result.map_err(|e| refused("could not decode", &e))?;
        let state = self.store.data_mut();
        let frames = handles
            .into_iter()
            .filter_map(|h| state.frames.remove(h.rep()))
            .collect();
        state.update_host_bytes();
        Ok(frames)
    }
}

/// A guest's error result (not a trap): the instance stays usable.
fn refused(what: &str, e: &stage::StageError) -> Failure {
    Failure {
        reason: format!("{what}: {}", guest_error(e)),
        fatal: false,
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
