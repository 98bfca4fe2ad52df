//! Time as a guest sees it. The wall clock is frozen; the monotonic clock
//! is real, but waiting on it can never outlast the call being made: every
//! clock subscription (what `std::thread::sleep` and `poll` with a timeout
//! become) wakes at the call's deadline at the latest, and a wait that
//! ends at or past the deadline interrupts the guest, exactly as a runaway
//! loop is interrupted. Without this, a guest blocked in a host `poll`
//! could not be stopped: epochs are only checked while wasm code runs.

use std::time::{Duration, Instant};

use wasmtime::component::{Linker, Resource};
use wasmtime::{StoreContextMut, Trap};
use wasmtime_wasi::p2::bindings::sync::io::poll::{Host as _, HostPollable as _};
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};

use crate::sandbox::StoreState;

/// The `wasi:clocks` version this build of wasmtime-wasi links: our
/// bounded subscriptions replace its functions under the same name, and
/// guests built against any 0.2.x find them through semver matching.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";
const POLL: &str = "wasi:io/poll@0.2.12";

/// A wake-up at `at`, never later than the deadline of the call that
/// asked for it.
struct Wake {
    at: Instant,
}

#[async_trait::async_trait]
impl Pollable for Wake {
    async fn ready(&mut self) {
        // Yield once even when the time has passed, so a busy loop of
        // zero-length sleeps still lets the runtime make progress.
        tokio::task::yield_now().await;
        tokio::time::sleep_until(self.at.into()).await;
    }
}

fn wake_at(
    mut store: StoreContextMut<'_, StoreState>,
    wanted: Option<Instant>,
) -> wasmtime::Result<(Resource<DynPollable>,)> {
    let state = store.data_mut();
    // A call with no deadline armed (none should exist) gets no waiting.
    let limit = state.call_deadline.unwrap_or_else(Instant::now);
    let at = wanted.map_or(limit, |w| w.min(limit));
    let table = &mut state.table;
    let wake = table.push(Wake { at })?;
    Ok((subscribe(table, wake)?,))
}

/// After a wait: interrupt the guest if its call's time is up.
fn after_wait(store: &mut StoreContextMut<'_, StoreState>) -> wasmtime::Result<()> {
    let state = store.data_mut();
    match state.call_deadline {
        Some(deadline) if Instant::now() >= deadline => {
            state.waited_out = true;
            Err(Trap::Interrupt.into())
        }
        _ => Ok(()),
    }
}

/// Replaces wasmtime-wasi's clock subscriptions with bounded ones, and its
/// waits with ones that interrupt a guest whose time is up.
pub(crate) fn add_bounded_clock(linker: &mut Linker<StoreState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap(
        "subscribe-duration",
        |store: StoreContextMut<'_, StoreState>, (nanos,): (u64,)| {
            let wanted = Instant::now().checked_add(Duration::from_nanos(nanos));
            wake_at(store, wanted)
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |store: StoreContextMut<'_, StoreState>, (when,): (u64,)| {
            let clock = store.data().clock;
            let wanted = clock.origin.checked_add(Duration::from_nanos(when));
            wake_at(store, wanted)
        },
    )?;
    let mut poll = linker.instance(POLL)?;
    poll.func_wrap(
        "poll",
        |mut store: StoreContextMut<'_, StoreState>, (list,): (Vec<Resource<DynPollable>>,)| {
            let ready = store.data_mut().table.poll(list)?;
            after_wait(&mut store)?;
            Ok((ready,))
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |mut store: StoreContextMut<'_, StoreState>, (pollable,): (Resource<DynPollable>,)| {
            store.data_mut().table.block(pollable)?;
            after_wait(&mut store)
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
