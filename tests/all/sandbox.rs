//! Hostile plugins: none of them may take the host down, hang it, read
//! outside what it was granted, or write a malformed plane.

use std::time::{Duration, Instant};

use reel_runtime::{Format, OnError, SandboxConfig, Stage, StageEvent, StageSpec, Verdict};
use reel_tests::{bytes, frame, plugin_path, runtime, test_plugin_path};

fn hostile(mode: &str, sandbox: SandboxConfig, on_error: OnError) -> Stage {
    Stage::new(hostile_spec(mode, sandbox, on_error)).unwrap()
}

fn hostile_spec(mode: &str, sandbox: SandboxConfig, on_error: OnError) -> StageSpec {
    StageSpec {
        id: format!("hostile-{mode}"),
        plugin: runtime().load(&test_plugin_path("hostile")).unwrap(),
        params: vec![("mode".into(), reel_runtime::ParamValue::Text(mode.into()))],
        sandbox,
        on_error,
        max_failures: 3,
        live: false,
    }
}

fn test_frame() -> reel_runtime::HostFrame {
    frame(Format::I420, 17, 9, |i| (i % 200) as u8)
}

/// Filters one test frame and checks that it came back unchanged with a
/// passthrough verdict, within `limit`.
fn passes_unchanged_within(stage: &mut Stage, limit: Duration) {
    let input = test_frame();
    let before = bytes(&input);
    let started = Instant::now();
    let (out, verdict) = stage.filter(input);
    assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
    assert_eq!(verdict, Verdict::Passthrough);
    assert_eq!(bytes(&out), before, "passed through unchanged");
}

fn failures(events: &[StageEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            StageEvent::Failed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn infinite_loop_is_stopped_by_its_hang_guard_and_frames_pass_through() {
    let sandbox = SandboxConfig {
        hang_guard: Duration::from_millis(50),
        ..SandboxConfig::default()
    };
    let mut stage = hostile("loop", sandbox, OnError::Passthrough);
    for _ in 0..4 {
        // Generous upper bound: the point is that it returns at all.
        passes_unchanged_within(&mut stage, Duration::from_secs(5));
    }
    let events = stage.take_events();
    let reasons = failures(&events);
    assert_eq!(reasons.len(), 3, "{events:?}");
    assert!(
        reasons[0].contains("used more than 50 ms of CPU time on one call"),
        "{}",
        reasons[0]
    );
    // After max_failures in a row the stage is bypassed, once.
    let bypassed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, StageEvent::Bypassed { .. }))
        .collect();
    assert_eq!(bypassed.len(), 1, "{events:?}");
    assert!(stage.bypassed().is_some());
}

#[test]
fn memory_bomb_hits_its_cap_and_the_stage_recovers() {
    let sandbox = SandboxConfig {
        memory_bytes: 64 << 20,
        ..SandboxConfig::default()
    };
    let mut stage = hostile("membomb", sandbox, OnError::Drop);
    let (_, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Drop);
    let reasons = failures(&stage.take_events());
    assert!(reasons[0].contains("cap of 64 MiB"), "{reasons:?}");
    // The instance is recreated: the next frame is tried again (and fails
    // the same way), it does not find a dead instance.
    let (_, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Drop);
    assert_eq!(failures(&stage.take_events()).len(), 1);
}

#[test]
fn trap_and_panic_recreate_the_instance() {
    for mode in ["trap", "panic"] {
        let mut stage = hostile(mode, SandboxConfig::default(), OnError::Passthrough);
        let (_, verdict) = stage.filter(test_frame());
        assert_eq!(verdict, Verdict::Passthrough);
        let events = stage.take_events();
        let reasons = failures(&events);
        // The cause and where, not just "trapped" (a Rust panic ends in
        // `abort`; its message comes through the guest's output).
        let place = if mode == "trap" {
            "<hostile::Hostile as reel_sdk::Plugin>::filter"
        } else {
            "abort"
        };
        let want = format!("trapped: wasm `unreachable` instruction executed in `{place}`");
        assert!(reasons[0].contains(&want), "{mode}: {reasons:?}");
        if mode == "panic" {
            // The guest's panic message reaches the host log.
            assert!(
                events
                    .iter()
                    .any(|e| matches!(e, StageEvent::Output(l) if l.contains("panics on purpose"))),
                "{events:?}"
            );
        }
        let (_, verdict) = stage.filter(test_frame());
        assert_eq!(verdict, Verdict::Passthrough);
        assert_eq!(
            failures(&stage.take_events()).len(),
            1,
            "{mode}: a fresh instance ran"
        );
    }
}

#[test]
fn fail_policy_stops_with_the_stage_and_frame_named() {
    let mut stage = hostile("error", SandboxConfig::default(), OnError::Fail);
    stage.filter(test_frame());
    let (_, verdict) = stage.filter(test_frame());
    match verdict {
        Verdict::Fail(message) => {
            assert!(message.contains("hostile-error"), "{message}");
            assert!(message.contains("frame 1"), "{message}");
            assert!(message.contains("refused on purpose"), "{message}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn host_files_are_out_of_reach_and_granted_assets_are_readable() {
    let mut stage = hostile("open-file", SandboxConfig::default(), OnError::Fail);
    let (out, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Keep);
    let result = out
        .meta
        .iter()
        .find(|(k, _)| k == "open-result")
        .map(|(_, v)| v.clone());
    let result = result.expect("the plugin reported");
    assert!(result.starts_with("denied"), "{result}");

    let assets = tempfile::tempdir().unwrap();
    std::fs::write(assets.path().join("hello.txt"), "granted").unwrap();
    let sandbox = SandboxConfig {
        assets: Some(assets.path().to_path_buf()),
        ..SandboxConfig::default()
    };
    let mut stage = hostile("read-asset", sandbox, OnError::Fail);
    let (out, _) = stage.filter(test_frame());
    let result = out.meta.iter().find(|(k, _)| k == "open-result").unwrap();
    assert_eq!(result.1, "read: granted");
}

#[test]
fn a_plane_of_the_wrong_size_is_rejected_and_not_written() {
    let mut stage = hostile("bad-plane", SandboxConfig::default(), OnError::Fail);
    let input = test_frame();
    let before = bytes(&input);
    let (out, verdict) = stage.filter(input);
    assert_eq!(verdict, Verdict::Keep);
    assert_eq!(bytes(&out), before, "nothing was written");
    let meta = |k: &str| out.meta.iter().find(|(key, _)| key == k).unwrap().1.clone();
    assert!(
        meta("write-result").contains("WrongSize"),
        "{}",
        meta("write-result")
    );
    assert!(
        meta("past-end-result").contains("OutOfBounds"),
        "{}",
        meta("past-end-result")
    );
}

#[test]
fn frames_a_plugin_creates_count_against_its_memory() {
    let sandbox = SandboxConfig {
        memory_bytes: 200 << 20,
        ..SandboxConfig::default()
    };
    let mut stage = hostile("hoard-frames", sandbox, OnError::Fail);
    let (out, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Keep);
    let result = &out
        .meta
        .iter()
        .find(|(k, _)| k == "hoard-result")
        .unwrap()
        .1;
    // 4096x4096 RGBA is 64 MiB: with the guest's own ~1 MiB of memory,
    // three fit in 200 MiB and the fourth does not.
    assert!(
        result.starts_with("3 then FrameError::TooLarge"),
        "{result}"
    );
    assert!(result.contains("(memory) + 201326"), "{result}");
    assert!(result.contains("frames, LUTs and palettes"), "{result}");
}

#[test]
fn luts_a_plugin_uploads_count_against_its_memory() {
    let sandbox = SandboxConfig {
        memory_bytes: 64 << 20,
        ..SandboxConfig::default()
    };
    let mut stage = hostile("hoard-luts", sandbox, OnError::Fail);
    let (out, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Keep);
    let result = &out
        .meta
        .iter()
        .find(|(k, _)| k == "hoard-result")
        .unwrap()
        .1;
    // A 65^3 LUT takes 3.3 MB, and is counted with the 4 MiB YUV form
    // the host builds of it when it grades I420 or NV12: with the guest's
    // own 3.3 MB table and its memory, 8 or so fit in 64 MiB, far fewer
    // than the 64-LUT limit.
    let count: usize = result.split(' ').next().unwrap().parse().unwrap();
    assert!((6..=9).contains(&count), "{result}");
    assert!(result.contains("TooLarge"), "{result}");
}

/// The value of a frame's metadata `key` (the test fails without it).
fn meta<'a>(frame: &'a reel_runtime::HostFrame, key: &str) -> &'a str {
    frame
        .meta
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {:?}", frame.meta))
}

/// Kuwahara's working memory grows with the frame the guest names: it
/// counts against the guest's allowance, so a frame that fits cannot
/// make the host take gigabytes.
#[test]
fn kuwahara_working_memory_counts_against_the_allowance() {
    let mut stage = hostile("kuwahara-bomb", SandboxConfig::default(), OnError::Fail);
    let (out, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    let result = meta(&out, "bomb-result");
    assert!(
        result.contains("TooLarge") && result.contains("working memory"),
        "{result}"
    );
}

/// Palettes (contract 0.1.4) are tables the host holds like LUTs: one
/// limit on how many, counted against the plugin's memory.
#[test]
fn palettes_a_plugin_uploads_are_limited() {
    let mut stage = hostile("hoard-palettes", SandboxConfig::default(), OnError::Fail);
    let (out, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Keep);
    let result = meta(&out, "hoard-result");
    assert!(
        result.starts_with("64 then FrameError::TooLarge(\"at most 64 LUTs and palettes\")"),
        "{result}"
    );
}

/// The stylising kernels of 0.1.4 refuse bad arguments with an error the
/// guest sees (never a trap, never a hang), and leave the frame as it was.
#[test]
fn stylising_kernels_refuse_bad_arguments() {
    let mut stage = hostile("bad-stylise", SandboxConfig::default(), OnError::Fail);
    let input = test_frame();
    let before = bytes(&input);
    let (out, verdict) = stage.filter(input);
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    assert_eq!(bytes(&out), before);
    for key in [
        "empty",
        "too-many",
        "nan-sigma",
        "small-k",
        "radius",
        "sharpness",
    ] {
        let outcome = meta(&out, key);
        assert!(outcome.starts_with("Err("), "{key}: {outcome}");
    }
}

/// The screen keyer of 0.1.5 refuses a YUV frame, a grey key and a frame
/// with no screen on its border with an error the guest sees (and 0.1.7's
/// keying into a frame, a YUV one, itself or one of another size), and takes
/// settings that are no numbers without a trap (they fall back to its
/// defaults); the stage's own frame is left as it was.
#[test]
fn the_screen_keyer_refuses_what_it_cannot_key() {
    let mut stage = hostile("bad-key", SandboxConfig::default(), OnError::Fail);
    let input = test_frame();
    let before = bytes(&input);
    let (out, verdict) = stage.filter(input);
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    assert_eq!(bytes(&out), before);
    for key in [
        "yuv",
        "grey",
        "no-screen",
        "into-yuv",
        "into-itself",
        "into-other-size",
    ] {
        let outcome = meta(&out, key);
        assert!(outcome.starts_with("Err("), "{key}: {outcome}");
    }
    assert_eq!(meta(&out, "nan"), "Ok(())");
}

/// The light wrap of 0.1.7 refuses a YUV layer and one frame as both
/// layer and background with an error the guest sees, and survives a
/// place at the ends of the coordinates and settings that are no numbers
/// or huge; the stage's own frame is only read.
#[test]
fn the_light_wrap_refuses_what_it_cannot_wrap() {
    let mut stage = hostile("bad-wrap", SandboxConfig::default(), OnError::Fail);
    let input = test_frame();
    let before = bytes(&input);
    let (out, verdict) = stage.filter(input);
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    assert_eq!(bytes(&out), before);
    for key in ["yuv-layer", "same"] {
        let outcome = meta(&out, key);
        assert!(outcome.starts_with("Err("), "{key}: {outcome}");
    }
    for key in ["far", "nan", "huge"] {
        assert_eq!(meta(&out, key), "Ok(())", "{key}");
    }
}

#[test]
fn guest_output_reaches_the_host_log() {
    let mut stage = hostile("print", SandboxConfig::default(), OnError::Fail);
    let mut input = test_frame();
    input.pts = Some(40);
    stage.filter(input);
    let events = stage.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StageEvent::Output(l) if l == "hello from the sandbox, frame at Some(40)")),
        "{events:?}"
    );
}

#[test]
fn another_contract_version_is_refused_naming_both() {
    let err = runtime()
        .load(&test_plugin_path("wrong_version"))
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("reel:plugin@0.2.0"), "{text}");
    assert!(
        text.contains(&format!("reel:plugin@{}", reel_runtime::CONTRACT_VERSION)),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_a_component_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.wasm");
    std::fs::write(&path, b"\0asm garbage").unwrap();
    let text = format!("{:#}", runtime().load(&path).unwrap_err());
    assert!(text.contains("not a valid WebAssembly component"), "{text}");
    // A real plugin still loads afterwards.
    runtime().load(&plugin_path("passthrough")).unwrap();
}

fn short_deadline() -> SandboxConfig {
    SandboxConfig {
        deadline: Duration::from_millis(100),
        hang_guard: Duration::from_millis(100),
        ..SandboxConfig::default()
    }
}

/// `std::thread::sleep` in WASI is a clock subscription and a blocking
/// poll in the host, out of reach of epoch interruption: it must end at
/// the call's deadline all the same.
#[test]
fn a_plugin_sleeping_on_a_frame_is_stopped_at_its_deadline() {
    let mut stage = hostile("sleep", short_deadline(), OnError::Passthrough);
    passes_unchanged_within(&mut stage, Duration::from_secs(5));
    let reasons = failures(&stage.take_events());
    assert!(
        reasons[0].contains("waited until the end of its time (100 ms)"),
        "{reasons:?}"
    );
}

/// Sleeping while starting (in `configure`) is bounded too. A file job
/// refuses to start; a live pipeline bypasses the stage and says why.
#[test]
fn a_plugin_sleeping_while_starting_is_stopped_and_a_live_stage_is_bypassed() {
    let started = Instant::now();
    let err = Stage::new(hostile_spec(
        "sleep-configure",
        short_deadline(),
        OnError::Passthrough,
    ))
    .map(|_| ())
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let text = format!("{err:#}");
    assert!(text.contains("could not start"), "{text}");
    assert!(
        text.contains("waited until the end of its time (100 ms)"),
        "{text}"
    );

    let mut spec = hostile_spec("sleep-configure", short_deadline(), OnError::Passthrough);
    spec.live = true;
    let mut stage = Stage::new(spec).expect("a live stage starts bypassed");
    let events = stage.take_events();
    assert!(
        events.iter().any(
            |e| matches!(e, StageEvent::Bypassed { reason } if reason.contains("could not start"))
        ),
        "{events:?}"
    );
    // Bypassed frames do not wait for anything.
    passes_unchanged_within(&mut stage, Duration::from_millis(50));
}

/// Creating frames until refused and keeping the handles (while starting,
/// or call after call) fills the plugin's frame table; the host must still
/// get every frame it lends back, and never panic.
#[test]
fn a_plugin_hoarding_frame_handles_cannot_make_the_host_lose_a_frame() {
    let mut stage = hostile(
        "hoard-handles-configure",
        SandboxConfig::default(),
        OnError::Passthrough,
    );
    for _ in 0..4 {
        passes_unchanged_within(&mut stage, Duration::from_secs(5));
    }
    let reasons = failures(&stage.take_events());
    assert!(
        reasons[0].contains("holds 1024 frame handles"),
        "{reasons:?}"
    );
    assert!(stage.bypassed().is_some());

    let mut stage = hostile("hoard-handles", SandboxConfig::default(), OnError::Fail);
    for _ in 0..3 {
        let (out, verdict) = stage.filter(test_frame());
        assert_eq!(verdict, Verdict::Keep);
        let held = &out
            .meta
            .iter()
            .find(|(k, _)| k == "hoard-result")
            .unwrap()
            .1;
        // The frame being filtered takes one of the 1024 places.
        assert_eq!(held, "1023");
    }
}

/// A call that fails is undone whole: the pixels it wrote and the
/// metadata it set do not travel downstream.
#[test]
fn a_failed_call_leaves_neither_pixels_nor_metadata_behind() {
    let mut stage = hostile(
        "forge-meta-then-fail",
        SandboxConfig::default(),
        OnError::Passthrough,
    );
    let mut input = test_frame();
    input.meta.push(("origin".into(), "camera 2".into()));
    let before = bytes(&input);
    let (out, verdict) = stage.filter(input);
    assert_eq!(verdict, Verdict::Passthrough);
    assert_eq!(bytes(&out), before);
    assert_eq!(
        out.meta,
        vec![("origin".to_string(), "camera 2".to_string())]
    );
}

fn has_terminal_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() || ('\u{2066}'..='\u{2069}').contains(&c) || c == '\u{202e}')
}

/// Nothing a guest writes reaches a terminal raw: its printed lines, its
/// errors, its description.
#[test]
fn guest_text_cannot_act_on_a_terminal() {
    let mut stage = hostile("escape", SandboxConfig::default(), OnError::Passthrough);
    stage.filter(test_frame());
    let events = stage.take_events();
    let line = events
        .iter()
        .find_map(|e| match e {
            StageEvent::Output(l) => Some(l.clone()),
            _ => None,
        })
        .expect("the printed line");
    assert!(!has_terminal_controls(&line), "{line:?}");
    assert!(
        line.contains("\\u{1b}[2J") && line.contains("reel: all frames processed"),
        "{line}"
    );
    let reason = &failures(&events)[0];
    assert!(!has_terminal_controls(reason), "{reason:?}");
    assert!(reason.contains("forged error"), "{reason}");

    let plugin = runtime().load(&test_plugin_path("hostile")).unwrap();
    let d = &plugin.description;
    assert!(!has_terminal_controls(&d.summary), "{:?}", d.summary);
    assert!(d.summary.contains("forged: all is well"), "{}", d.summary);
    let note = d.param("note").unwrap();
    assert!(!has_terminal_controls(&note.doc), "{:?}", note.doc);
    assert!(note.doc.contains("\\u{202e}"), "{}", note.doc);
}

/// Live pipelines keep real time: a call is interrupted at its wall-clock
/// deadline.
#[test]
fn a_live_stage_is_interrupted_at_its_wall_clock_deadline() {
    let mut spec = hostile_spec(
        "loop",
        SandboxConfig {
            deadline: Duration::from_millis(50),
            ..SandboxConfig::default()
        },
        OnError::Passthrough,
    );
    spec.live = true;
    let mut stage = Stage::new(spec).unwrap();
    passes_unchanged_within(&mut stage, Duration::from_secs(5));
    let reasons = failures(&stage.take_events());
    assert!(
        reasons[0].contains("exceeded its deadline of 50 ms"),
        "{reasons:?}"
    );
}

/// Busy work on every core of the machine, for as long as it is kept.
struct Load(
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    Vec<std::thread::JoinHandle<()>>,
);

impl Load {
    fn start(threads: usize) -> Load {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let handles = (0..threads)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        x = std::hint::black_box(x.wrapping_add(1));
                    }
                })
            })
            .collect();
        Load(stop, handles)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        for h in self.1.drain(..) {
            let _ = h.join();
        }
    }
}

/// CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A file job's frame never fails because the machine is busy: its hang
/// guard counts the plugin's own CPU time, not the wall clock. The same
/// work under heavy load takes far longer than the guard in wall time and
/// still passes.
#[test]
fn a_busy_machine_never_fails_a_file_job_frame() {
    let spin = |spins: i64, guard: Duration| {
        let mut spec = hostile_spec(
            "spin",
            SandboxConfig {
                hang_guard: guard,
                ..SandboxConfig::default()
            },
            OnError::Fail,
        );
        spec.params
            .push(("spins".into(), reel_runtime::ParamValue::Integer(spins)));
        Stage::new(spec).unwrap()
    };
    // Calibrate: spins that take about 40 ms of CPU here, measured in this
    // thread's CPU time (the plugin runs on it), so other work on the
    // machine while the tests run does not skew it.
    let mut stage = spin(1 << 22, Duration::from_secs(60));
    let started = thread_cpu_time();
    assert_eq!(stage.filter(test_frame()).1, Verdict::Keep);
    let per_spin = (thread_cpu_time() - started).as_secs_f64() / f64::from(1 << 22);
    let spins = (0.040 / per_spin) as i64;

    let guard = Duration::from_millis(80);
    let mut stage = spin(spins, guard);
    let load = Load::start(8);
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let (_, verdict) = stage.filter(test_frame());
        slowest = slowest.max(started.elapsed());
        assert_eq!(
            verdict,
            Verdict::Keep,
            "{:?}",
            failures(&stage.take_events())
        );
    }
    drop(load);
    // The load was real: in wall time the work overran the guard.
    assert!(
        slowest > guard,
        "slowest call {slowest:?}: the machine was not loaded"
    );
}

/// Metadata a plugin attaches to frames it holds counts against its memory
/// cap like pixels: 1024 tiny frames cannot carry 60 KiB each under 16 MiB.
#[test]
fn metadata_counts_against_the_memory_cap() {
    let sandbox = SandboxConfig {
        memory_bytes: 16 << 20,
        ..SandboxConfig::default()
    };
    let mut stage = hostile("meta-bomb", sandbox, OnError::Fail);
    let (out, verdict) = stage.filter(test_frame());
    assert_eq!(verdict, Verdict::Keep);
    let kept: usize = out
        .meta
        .iter()
        .find(|(k, _)| k == "meta-kept")
        .unwrap()
        .1
        .parse()
        .unwrap();
    // About (16 MiB - the guest's own memory) / 60 KiB.
    assert!(
        (100..270).contains(&kept),
        "{kept} frames kept their metadata"
    );
}

/// What a plugin hands the host in one call is bounded: a 20 MiB error
/// message is refused while it is copied, not held by the host.
#[test]
fn a_call_cannot_hand_the_host_unbounded_data() {
    let mut stage = hostile("huge-error", SandboxConfig::default(), OnError::Passthrough);
    passes_unchanged_within(&mut stage, Duration::from_secs(5));
    let reasons = failures(&stage.take_events());
    assert!(
        reasons[0].contains("passed the host more than 16 MiB in one call"),
        "{reasons:?}"
    );
}
