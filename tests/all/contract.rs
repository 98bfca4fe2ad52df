//! Plugins loaded through the real runtime: description, parameters and
//! pixel results.

use std::path::{Path, PathBuf};

use reel_runtime::{
    Format, HostFrame, OnError, ParamValue, SandboxConfig, Stage, StageKind, StageSpec, Verdict,
};
use reel_tests::{bytes, frame, plugin_path, reel_in, root, runtime, test_plugin_path};

fn spec_at(path: &Path, params: Vec<(String, ParamValue)>) -> StageSpec {
    StageSpec {
        id: "under-test".into(),
        plugin: runtime().load(path).unwrap(),
        params,
        sandbox: SandboxConfig::default(),
        on_error: OnError::Passthrough,
        max_failures: 5,
        live: false,
    }
}

#[test]
fn invert_describes_itself() {
    let plugin = runtime().load(&plugin_path("invert")).unwrap();
    let d = &plugin.description;
    assert_eq!(d.name, "invert");
    assert_eq!(d.kind, StageKind::Filter);
    assert_eq!(d.contract, reel_runtime::CONTRACT_VERSION);
    let strength = d.param("strength").expect("has strength");
    assert_eq!(strength.max, Some(1.0));
}

#[test]
fn invert_inverts_i420_and_rgba_on_an_odd_width() {
    assert_inverts(&plugin_path("invert"));
}

/// The SDK's C example (`sdk/examples/c`) does what the Rust plugin does.
/// Its tools take 20 minutes to build, so CI does not build it: run
/// `bash sdk/examples/c/test.sh`, which builds it and runs this test.
#[test]
#[ignore = "needs the C example built: bash sdk/examples/c/test.sh"]
fn the_c_example_inverts_like_the_rust_plugin() {
    let path = root().join("target/examples/c_invert.wasm");
    assert!(
        path.is_file(),
        "{} is missing: run sdk/examples/c/test.sh",
        path.display()
    );
    let plugin = runtime().load(&path).unwrap();
    assert_eq!(plugin.description.name, "c-invert");
    assert_inverts(&path);
}

/// The SDK's Python example (`sdk/examples/python`, built by
/// componentize-py in tests/setup.sh) does what the Rust plugin does.
#[test]
fn the_python_example_inverts_like_the_rust_plugin() {
    let path = root().join("target/examples/py_invert.wasm");
    assert!(
        path.is_file(),
        "{} is missing: run tests/setup.sh",
        path.display()
    );
    let plugin = runtime().load(&path).unwrap();
    assert_eq!(plugin.description.name, "py-invert");
    assert_inverts(&path);
}

fn assert_inverts(plugin: &Path) {
    for format in [Format::I420, Format::Rgba] {
        let mut stage = Stage::new(spec_at(plugin, vec![])).unwrap();
        let input = frame(format, 33, 7, |i| (i * 7 % 251) as u8);
        let before = bytes(&input);
        let (out, verdict) = stage.filter(input);
        assert_eq!(verdict, Verdict::Keep);
        let after = bytes(&out);
        for (i, (a, b)) in before.iter().zip(&after).enumerate() {
            let alpha = format == Format::Rgba && i % 4 == 3;
            let expected = if alpha { *a } else { 255 - a };
            assert_eq!(*b, expected, "{format} byte {i}");
        }
    }
}

/// Binaries built against the first shipped contract, kept in the repo
/// as they were built: the contract only grows, and these must keep
/// loading and running on every later host.
fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/contract-0.1.0").join(name)
}

#[test]
fn a_filter_built_against_0_1_0_keeps_loading_and_running() {
    let plugin = runtime().load(&fixture("invert.wasm")).unwrap();
    assert_eq!(plugin.description.contract, "0.1.0");
    assert_ne!(reel_runtime::CONTRACT_VERSION, "0.1.0");
    assert_inverts(&fixture("invert.wasm"));
    // Through the whole product too: `reel plugin inspect` names the
    // contract it was built against, and `reel run` uses it.
    let dir = tempfile::tempdir().unwrap();
    let shown = reel_in(
        dir.path(),
        &[
            "plugin",
            "inspect",
            fixture("invert.wasm").to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains("contract:  reel:plugin@0.1.0"), "{text}");
    let pipeline = dir.path().join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[[source]]\nid = \"main\"\ntestsrc = {{ pattern = \"white\", size = \"64x48\", rate = 25, seconds = 1 }}\n\n[[stage]]\nid = \"neg\"\nplugin = \"{}\"\ninput = \"main\"\n\n[[sink]]\ninput = \"neg\"\nfile = \"out.mkv\"\n",
            fixture("invert.wasm").display()
        ),
    )
    .unwrap();
    let run = reel_in(dir.path(), &["run", pipeline.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let frames = reel_tests::decode_frames(&dir.path().join("out.mkv"), 64, 48);
    assert_eq!(frames.len(), 25);
    // White inverted is black (within the encoder's error).
    assert!(frames.iter().all(|f| f.chunks(4).all(|px| px[0] < 24)));
}

/// Opaque red over white I420, as a mixer of either contract composes it.
fn assert_mixes(plugin: &Path) {
    let mut stage = Stage::new(StageSpec {
        on_error: OnError::Fail,
        ..spec_at(plugin, vec![("x".into(), ParamValue::Integer(10))])
    })
    .unwrap();
    let luma = 64 * 48;
    let inputs = vec![
        (
            "base".to_string(),
            frame(Format::I420, 64, 48, |i| if i < luma { 235 } else { 128 }),
        ),
        (
            "overlay".to_string(),
            frame(Format::Rgba, 16, 8, |i| [255, 0, 0, 255][i % 4]),
        ),
    ];
    let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, 64, 48));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    let px = |x: usize, y: usize| out.image().unwrap().row(0, y)[4 * x..4 * x + 4].to_vec();
    assert_eq!(px(0, 0), [255, 255, 255, 255]);
    assert_eq!(px(10, 0), [255, 0, 0, 255]);
    assert_eq!(px(26, 0), [255, 255, 255, 255]);
}

#[test]
fn a_mixer_built_against_0_1_0_keeps_loading_and_running() {
    let plugin = runtime().load(&fixture("testmix.wasm")).unwrap();
    assert_eq!(plugin.description.contract, "0.1.0");
    assert_eq!(plugin.description.kind, StageKind::Mixer);
    assert_mixes(&fixture("testmix.wasm"));
    assert_mixes(&test_plugin_path("testmix"));
}

/// `premultiply`, added in 0.1.1: a straight-alpha overlay (half-covered
/// white) over black comes out mid-grey; blended as if premultiplied it
/// would come out white.
#[test]
fn premultiply_from_contract_0_1_1_makes_straight_alpha_blend_right() {
    let plugin = runtime().load(&test_plugin_path("testmix")).unwrap();
    assert_eq!(plugin.description.contract, reel_runtime::CONTRACT_VERSION);
    for (straight, want) in [(true, 128), (false, 255)] {
        let mut stage = Stage::new(StageSpec {
            on_error: OnError::Fail,
            ..spec_at(
                &test_plugin_path("testmix"),
                vec![("straight".into(), ParamValue::Boolean(straight))],
            )
        })
        .unwrap();
        let luma = 16 * 8;
        let inputs = vec![
            (
                "base".to_string(),
                frame(Format::I420, 16, 8, |i| if i < luma { 16 } else { 128 }),
            ),
            (
                "overlay".to_string(),
                frame(Format::Rgba, 16, 8, |i| [255, 255, 255, 128][i % 4]),
            ),
        ];
        let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, 16, 8));
        assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
        let px = &out.image().unwrap().row(0, 3)[4 * 5..4 * 5 + 4].to_vec();
        assert!(
            px[..3].iter().all(|c| c.abs_diff(want) <= 1),
            "straight {straight}: {px:?}"
        );
    }
}

/// `Plugin::new` runs once when an instance starts (with the pipeline's
/// parameters), not once with defaults and again through `configure`:
/// expensive set-up happens once.
#[test]
fn plugin_set_up_runs_once_per_instance() {
    let mut stage = Stage::new(spec_at(
        &test_plugin_path("band"),
        vec![
            ("top".into(), ParamValue::Integer(0)),
            ("rows".into(), ParamValue::Integer(4)),
        ],
    ))
    .unwrap();
    for _ in 0..3 {
        let (_, verdict) = stage.filter(frame(Format::I420, 64, 48, |_| 0));
        assert_eq!(verdict, Verdict::Keep);
    }
    let set_ups = stage
        .take_events()
        .iter()
        .filter(
            |e| matches!(e, reel_runtime::StageEvent::Output(line) if line.contains("band: new")),
        )
        .count();
    assert_eq!(set_ups, 1);
}
