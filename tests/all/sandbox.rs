//! Hostile plugins: none of them may take the host down, hang it, read
//! outside what it was granted, or write a malformed plane.

use std::time::{Duration, Instant};

use reel_runtime::{Format, OnError, SandboxConfig, Stage, StageEvent, StageSpec, Verdict};
use reel_tests::{bytes, frame, plugin_path, runtime, test_plugin_path};

fn hostile(mode: &str, sandbox: SandboxConfig, on_error: OnError) -> Stage {
    let spec = StageSpec {
        id: format!("hostile-{mode}"),
        plugin: runtime().load(&test_plugin_path("hostile")).unwrap(),
        params: vec![("mode".into(), reel_runtime::ParamValue::Text(mode.into()))],
        sandbox,
        on_error,
        max_failures: 3,
    };
    Stage::new(spec).unwrap()
}

fn test_frame() -> reel_runtime::HostFrame {
    frame(Format::I420, 17, 9, |i| (i % 200) as u8)
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
fn infinite_loop_is_interrupted_at_its_deadline_and_frames_pass_through() {
    let sandbox = SandboxConfig {
        deadline: Duration::from_millis(50),
        ..SandboxConfig::default()
    };
    let mut stage = hostile("loop", sandbox, OnError::Passthrough);
    for _ in 0..4 {
        let input = test_frame();
        let before = bytes(&input);
        let started = Instant::now();
        let (out, verdict) = stage.filter(input);
        // Generous upper bound: the point is that it returns at all.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(verdict, Verdict::Passthrough);
        assert_eq!(bytes(&out), before, "passed through unchanged");
    }
    let events = stage.take_events();
    let reasons = failures(&events);
    assert_eq!(reasons.len(), 3, "{events:?}");
    assert!(reasons[0].contains("deadline of 50 ms"), "{}", reasons[0]);
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
        assert!(reasons[0].contains("trapped"), "{mode}: {reasons:?}");
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
    assert!(result.contains("frames and LUTs"), "{result}");
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
    // A 65^3 LUT takes 3.3 MB: with the guest's own 3.3 MB table and its
    // memory, 17 or so fit in 64 MiB, far fewer than the 64-LUT limit.
    let count: usize = result.split(' ').next().unwrap().parse().unwrap();
    assert!((10..=19).contains(&count), "{result}");
    assert!(result.contains("TooLarge"), "{result}");
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
    assert!(text.contains("reel:plugin@0.1.0"), "{text}");
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
