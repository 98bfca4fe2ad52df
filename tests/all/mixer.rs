//! The mixer stage kind through the runtime: named inputs, the host's
//! `convert` and `blend` kernels called from the guest, read-only inputs,
//! and inputs revoked after the call.

use reel_runtime::{
    Format, HostFrame, OnError, ParamValue, SandboxConfig, Stage, StageKind, StageSpec, Verdict,
};
use reel_tests::{frame, runtime, test_plugin_path};

fn mixer(params: Vec<(String, ParamValue)>) -> Stage {
    let plugin = runtime().load(&test_plugin_path("testmix")).unwrap();
    assert_eq!(plugin.description.kind, StageKind::Mixer);
    assert_eq!(plugin.description.inputs, vec!["base", "overlay"]);
    Stage::new(StageSpec {
        id: "mix".into(),
        plugin,
        params,
        sandbox: SandboxConfig::default(),
        on_error: OnError::Fail,
        max_failures: 5,
        live: false,
    })
    .unwrap()
}

/// White I420 (Y 235, U and V 128).
fn white_base() -> HostFrame {
    let luma = 64 * 48;
    frame(Format::I420, 64, 48, |i| if i < luma { 235 } else { 128 })
}

/// Opaque red, premultiplied RGBA.
fn red_overlay() -> HostFrame {
    frame(Format::Rgba, 16, 8, |i| [255, 0, 0, 255][i % 4])
}

fn pixel(f: &HostFrame, x: usize, y: usize) -> [u8; 4] {
    f.image().unwrap().row(0, y)[4 * x..4 * x + 4]
        .try_into()
        .unwrap()
}

fn meta(f: &HostFrame, key: &str) -> String {
    f.meta
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[test]
fn mixer_composes_its_inputs_with_host_kernels() {
    let mut stage = mixer(vec![
        ("x".into(), ParamValue::Integer(10)),
        ("y".into(), ParamValue::Integer(5)),
    ]);
    let inputs = vec![
        ("base".to_string(), white_base()),
        ("overlay".to_string(), red_overlay()),
    ];
    let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, 64, 48));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    assert_eq!(pixel(&out, 0, 0), [255, 255, 255, 255]);
    assert_eq!(pixel(&out, 10, 5), [255, 0, 0, 255]);
    assert_eq!(pixel(&out, 25, 12), [255, 0, 0, 255]);
    assert_eq!(pixel(&out, 26, 12), [255, 255, 255, 255]);
    assert_eq!(pixel(&out, 25, 13), [255, 255, 255, 255]);
    assert!(
        meta(&out, "input-write").contains("ReadOnly"),
        "{}",
        meta(&out, "input-write")
    );
}

#[test]
fn inputs_kept_by_a_mixer_are_revoked_after_the_call() {
    let mut stage = mixer(vec![("keep".into(), ParamValue::Boolean(true))]);
    for _ in 0..2 {
        let inputs = vec![
            ("base".to_string(), white_base()),
            ("overlay".to_string(), red_overlay()),
        ];
        let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, 64, 48));
        assert_eq!(verdict, Verdict::Keep);
        if !meta(&out, "kept-read").is_empty() {
            assert!(
                meta(&out, "kept-read").contains("OutOfBounds"),
                "{}",
                meta(&out, "kept-read")
            );
            return;
        }
    }
    panic!("the second call should have reported on the kept handle");
}

/// A mixer that keeps every (revoked) input handle fills its frame table
/// two handles a call; the host then refuses the call (and starts a fresh
/// instance) rather than fail to lend the next frames.
#[test]
fn a_mixer_hoarding_its_inputs_is_refused_not_the_host() {
    let mut stage = mixer(vec![("hoard".into(), ParamValue::Boolean(true))]);
    let mut verdicts = Vec::new();
    for _ in 0..600 {
        let inputs = vec![
            ("base".to_string(), white_base()),
            ("overlay".to_string(), red_overlay()),
        ];
        let (_, verdict) = stage.mix(inputs, HostFrame::blank(Format::I420, 64, 48));
        verdicts.push(verdict);
    }
    // Two kept inputs a call: after 512 calls the plugin holds 1024
    // handles, and the 513th call is refused before it starts.
    let first_refused = verdicts.iter().position(|v| *v != Verdict::Keep).unwrap();
    assert_eq!(first_refused, 512, "{:?}", &verdicts[first_refused]);
    match &verdicts[first_refused] {
        Verdict::Fail(message) => {
            assert!(message.contains("holds 1024 frame handles"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A fresh instance took over.
    assert_eq!(verdicts[first_refused + 1], Verdict::Keep);
}

/// A mixer's output picture is reused from earlier frames, but what the
/// plugin does not write reads as zeros, as on a fresh frame: the output
/// never depends on which picture came back first.
#[test]
fn a_mixer_output_holds_nothing_from_earlier_frames() {
    let stale = |format, w, h| {
        let layout = reel_runtime::Layout::packed(format, w, h);
        let bytes = vec![0xAB; layout.min_len()];
        HostFrame::unwritten(layout, bytes).unwrap()
    };
    // A plugin that writes nothing (it keeps its inputs instead).
    let mut idle = mixer(vec![("hoard".into(), ParamValue::Boolean(true))]);
    let inputs = vec![("base".to_string(), white_base())];
    let (out, verdict) = idle.mix(inputs, stale(Format::Rgba, 64, 48));
    assert_eq!(verdict, Verdict::Keep);
    assert!(out.bytes().unwrap().iter().all(|&b| b == 0));
    // One that writes everything and blends a part: the same picture as
    // on a zeroed output.
    let run = |output: HostFrame| {
        let mut stage = mixer(vec![("x".into(), ParamValue::Integer(10))]);
        let inputs = vec![
            ("base".to_string(), white_base()),
            ("overlay".to_string(), red_overlay()),
        ];
        stage.mix(inputs, output).0.bytes().unwrap().to_vec()
    };
    assert_eq!(
        run(stale(Format::I420, 64, 48)),
        run(HostFrame::blank(Format::I420, 64, 48))
    );
}
