//! What one plugin instance may use: its store, its WASI context (nothing
//! granted but an optional read-only asset directory), its memory cap and
//! its time limit.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};
use wasmtime_wasi::{
    FsPerms, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use crate::frame::FrameTable;
use crate::guest::{MAX_TABLES, TableUse};
use crate::limits::MemoryCap;
use crate::text::{MAX_LINE, sanitize};

/// Default linear-memory cap of one instance.
pub const DEFAULT_MEMORY_BYTES: usize = 256 << 20;
/// The largest cap a stage may ask for (the pooling allocator's slot size).
pub const MAX_MEMORY_BYTES: usize = 4 << 30;
/// The longest time one call may be given, whatever asks for it (a
/// pipeline file, an element property, a stream's frame rate).
pub const MAX_DEADLINE: Duration = Duration::from_secs(600);
/// The hang guard of file jobs unless set: far beyond any honest frame.
pub const DEFAULT_HANG_GUARD: Duration = Duration::from_secs(60);
/// WASI resources (streams, pollables, open files and directories) one
/// instance may hold at once: enough for any honest plugin, and a bound on
/// the host's memory and file descriptors.
const MAX_WASI_RESOURCES: usize = 256;
/// Random bytes one call may ask for.
const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// Limits and grants of one stage's instances.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Cap on the guest's linear memory plus the frames it creates.
    pub memory_bytes: usize,
    /// Live pipelines: the wall-clock time one call may take, so the stream
    /// keeps real time (capped at [`MAX_DEADLINE`]).
    pub deadline: Duration,
    /// File jobs: the CPU time the plugin itself may spend on one call
    /// before it is taken for hung. Wall-clock time does not count, so a
    /// busy machine never fails a frame (capped at [`MAX_DEADLINE`]).
    pub hang_guard: Duration,
    /// A host directory the guest may read at `/assets`.
    pub assets: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            memory_bytes: DEFAULT_MEMORY_BYTES,
            deadline: Duration::from_millis(1000),
            hang_guard: DEFAULT_HANG_GUARD,
            assets: None,
        }
    }
}

/// Everything a store holds for one instance.
pub struct StoreState {
    wasi: WasiCtx,
    /// WASI's resources and the guest's LUTs and palettes.
    pub(crate) table: ResourceTable,
    pub(crate) memory: MemoryCap,
    /// The guest's frames. They have their own table, not the
    /// `ResourceTable`: a kernel reads one frame while writing another
    /// (the table lends one entry at a time), the host lends frames for
    /// one call and revokes them after it, and the guest's frames are
    /// counted and summed for its memory cap.
    pub(crate) frames: FrameTable,
    pub(crate) tables: TableUse,
    /// When the call in progress must end: clock waits wake by then.
    pub(crate) call_deadline: Option<Instant>,
    /// The thread's CPU time when the call began (for hang guards).
    pub(crate) call_cpu_start: Duration,
    /// The call was stopped at the end of a wait that reached its limit.
    pub(crate) waited_out: bool,
    pub(crate) clock: GuestClock,
    /// The sound of the frame the call in progress is about, for stages
    /// that follow the programme's sound.
    pub(crate) sound: Option<crate::guest::FrameSound>,
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl StoreState {
    pub(crate) fn new(config: &SandboxConfig, output: &GuestOutput) -> anyhow::Result<StoreState> {
        let clock = GuestClock {
            origin: Instant::now(),
        };
        let mut wasi = WasiCtxBuilder::new();
        // Nothing is inherited: no environment, arguments, network or host
        // clock. Randomness stays (guests' hash maps need it).
        wasi.stdout(output.clone())
            .stderr(output.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .wall_clock(FrozenClock)
            .monotonic_clock(clock)
            .max_random_size(MAX_RANDOM_BYTES);
        if let Some(dir) = &config.assets {
            wasi.preopened_dir(dir, "/assets", FsPerms::ReadOnly)
                .map_err(|e| {
                    anyhow::anyhow!("cannot grant asset directory {}: {e}", dir.display())
                })?;
        }
        let mut table = ResourceTable::new();
        // The table holds the guest's LUTs and palettes too (at most
        // MAX_TABLES).
        table.set_max_capacity(MAX_WASI_RESOURCES + MAX_TABLES);
        Ok(StoreState {
            wasi: wasi.build(),
            table,
            memory: MemoryCap::new(config.memory_bytes),
            frames: FrameTable::default(),
            tables: TableUse::default(),
            call_deadline: None,
            call_cpu_start: Duration::ZERO,
            waited_out: false,
            clock,
            sound: None,
        })
    }

    /// Recounts what the host holds for the guest after a change.
    pub(crate) fn update_host_bytes(&mut self) {
        self.memory.host_bytes = self.frames.held_bytes() + self.tables.bytes;
    }
}

/// The monotonic clock a guest reads: nanoseconds since its store began.
#[derive(Clone, Copy)]
pub(crate) struct GuestClock {
    pub(crate) origin: Instant,
}

impl HostMonotonicClock for GuestClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A wall clock stuck at the Unix epoch: plugins get no host time.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// Most bytes of guest output held between two drains; more is dropped.
const OUTPUT_BUFFER: usize = 64 << 10;

/// A guest's stdout and stderr, collected for the host log. Writes never
/// fail (a full buffer drops bytes), so a chatty plugin cannot trap itself.
#[derive(Clone, Default)]
pub struct GuestOutput {
    inner: Arc<Mutex<OutputState>>,
}

#[derive(Default)]
struct OutputState {
    pending: Vec<u8>,
    dropped: usize,
    /// When recent lines went out, for rate limiting.
    recent: VecDeque<Instant>,
    suppressed: usize,
}

/// Lines per `RATE_WINDOW` one instance may log.
const RATE_LINES: usize = 20;
const RATE_WINDOW: Duration = Duration::from_secs(1);

impl GuestOutput {
    fn push(&self, bytes: &[u8]) {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let room = OUTPUT_BUFFER.saturating_sub(state.pending.len());
        let take = bytes.len().min(room);
        state.pending.extend_from_slice(&bytes[..take]);
        state.dropped += bytes.len() - take;
    }

    /// Complete lines written since the last drain, rate-limited: beyond
    /// the rate, lines are counted and reported as suppressed. One pass
    /// over the buffer, whatever the guest wrote.
    pub fn drain_lines(&self) -> Vec<String> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *state;
        let mut lines = Vec::new();
        let mut start = 0;
        let now = Instant::now();
        while state.recent.front().is_some_and(|t| now - *t > RATE_WINDOW) {
            state.recent.pop_front();
        }
        while start < state.pending.len() {
            let rest = &state.pending[start..];
            // A full buffer with no line end is shown as one (cut) line, so
            // it cannot block the output that follows.
            let (line, next) = match rest.iter().position(|&b| b == b'\n') {
                Some(end) => (&rest[..end], start + end + 1),
                None if state.pending.len() >= OUTPUT_BUFFER => (rest, state.pending.len()),
                None => break,
            };
            if state.recent.len() < RATE_LINES {
                if state.suppressed > 0 {
                    lines.push(format!("({} lines suppressed)", state.suppressed));
                    state.suppressed = 0;
                }
                state.recent.push_back(now);
                lines.push(sanitize(&String::from_utf8_lossy(line), MAX_LINE));
            } else {
                state.suppressed += 1;
            }
            start = next;
        }
        state.pending.drain(..start);
        if state.dropped > 0 {
            lines.push(format!("({} bytes of output dropped)", state.dropped));
            state.dropped = 0;
        }
        lines
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(OUTPUT_BUFFER)
    }
}

#[async_trait::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for GuestOutput {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.push(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// CPU time the calling thread has used: what a plugin's own work costs,
/// whatever else the machine is doing.
pub(crate) fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write; this clock always exists
    // on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_split_into_lines_and_rate_limited() {
        let out = GuestOutput::default();
        for i in 0..50 {
            out.push(format!("line {i}\n").as_bytes());
        }
        out.push(b"partial");
        let lines = out.drain_lines();
        assert_eq!(lines.len(), RATE_LINES);
        assert_eq!(lines[0], "line 0");
        out.push(b" end\n");
        // Still inside the window: the finished partial line is suppressed too.
        assert!(out.drain_lines().is_empty());
    }

    #[test]
    fn output_is_sanitised_and_a_line_never_blocks_the_buffer() {
        let out = GuestOutput::default();
        out.push(b"\x1b[2J\rforged\n");
        assert_eq!(out.drain_lines(), ["\\u{1b}[2J\\u{d}forged"]);
        out.push(&vec![b'x'; OUTPUT_BUFFER + 10]);
        let lines = out.drain_lines();
        assert!(
            lines[0].starts_with("xxx") && lines[0].contains("more bytes"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "(10 bytes of output dropped)");
    }
}
