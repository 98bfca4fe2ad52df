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

/// Binaries built against each earlier shipped contract, kept in the
/// repo as they were built: the contract only grows, and these must keep
/// loading and running on every later host.
const SHIPPED: [&str; 7] = [
    "0.1.0", "0.1.1", "0.1.2", "0.1.3", "0.1.4", "0.1.5", "0.1.6",
];

fn fixture(version: &str, name: &str) -> PathBuf {
    root()
        .join(format!("tests/fixtures/contract-{version}"))
        .join(name)
}

#[test]
fn filters_built_against_every_earlier_contract_keep_running() {
    for version in SHIPPED {
        let plugin = runtime().load(&fixture(version, "invert.wasm")).unwrap();
        assert_eq!(plugin.description.contract, version);
        assert_ne!(reel_runtime::CONTRACT_VERSION, version);
        assert_inverts(&fixture(version, "invert.wasm"));
    }
}

#[test]
fn a_filter_built_against_0_1_0_runs_through_reel() {
    let fixture = |name: &str| fixture("0.1.0", name);
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
fn mixers_built_against_every_earlier_contract_keep_running() {
    for version in SHIPPED {
        let plugin = runtime().load(&fixture(version, "testmix.wasm")).unwrap();
        assert_eq!(plugin.description.contract, version);
        assert_eq!(plugin.description.kind, StageKind::Mixer);
        assert_mixes(&fixture(version, "testmix.wasm"));
    }
    assert_mixes(&test_plugin_path("testmix"));
}

/// `premultiply`, added in 0.1.1: a straight-alpha overlay (half-covered
/// white) over black comes out mid-grey; blended as if premultiplied it
/// would come out white. Both from today's build and from the binary
/// built against 0.1.1, the contract that added it.
#[test]
fn premultiply_from_contract_0_1_1_makes_straight_alpha_blend_right() {
    let plugin = runtime().load(&test_plugin_path("testmix")).unwrap();
    assert_eq!(plugin.description.contract, reel_runtime::CONTRACT_VERSION);
    let builds = [
        test_plugin_path("testmix"),
        fixture("0.1.1", "testmix.wasm"),
    ];
    for ((straight, want), build) in [(true, 128), (false, 255)]
        .into_iter()
        .flat_map(|case| builds.iter().map(move |b| (case, b)))
    {
        let mut stage = Stage::new(StageSpec {
            on_error: OnError::Fail,
            ..spec_at(
                build,
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
            "{} straight {straight}: {px:?}",
            build.display()
        );
    }
}

/// `blend-layer`, added in 0.1.2, through a plugin: an opaque red layer
/// multiplied onto mid grey gives dark red, screened gives light red,
/// added gives red with grey added; a straight-alpha white at half alpha
/// over grey lands halfway to white.
#[test]
fn blend_layer_from_contract_0_1_2_mixes_in_each_mode() {
    let grey = 126; // BT.709 limited-range luma of RGB 128
    // Today's build, and the binary built against 0.1.2 itself.
    let builds = [
        test_plugin_path("testmix"),
        fixture("0.1.2", "testmix.wasm"),
    ];
    for (mode, straight, overlay, want, build) in [
        ("multiply", false, [255, 0, 0, 255], [128, 0, 0]),
        ("screen", false, [255, 0, 0, 255], [255, 128, 128]),
        ("add", false, [255, 0, 0, 255], [255, 128, 128]),
        ("over", true, [255, 255, 255, 128], [192, 192, 192]),
    ]
    .into_iter()
    .flat_map(|(m, s, o, w)| builds.iter().map(move |b| (m, s, o, w, b)))
    {
        let mut stage = Stage::new(StageSpec {
            on_error: OnError::Fail,
            ..spec_at(
                build,
                vec![
                    ("mode".into(), ParamValue::Text(mode.into())),
                    ("straight".into(), ParamValue::Boolean(straight)),
                ],
            )
        })
        .unwrap();
        let luma = 16 * 8;
        let inputs = vec![
            (
                "base".to_string(),
                frame(Format::I420, 16, 8, |i| if i < luma { grey } else { 128 }),
            ),
            (
                "overlay".to_string(),
                frame(Format::Rgba, 16, 8, |i| overlay[i % 4]),
            ),
        ];
        let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, 16, 8));
        assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
        let px = out.image().unwrap().row(0, 3)[4 * 5..4 * 5 + 4].to_vec();
        assert!(
            px[..3].iter().zip(want).all(|(c, w)| c.abs_diff(w) <= 2),
            "{mode} (straight {straight}, {}): {px:?}, want {want:?}",
            build.display()
        );
    }
}

/// A `lut` stage of `plugin` grading through a LUT that swaps red and
/// blue.
fn swap_lut_stage(plugin: &Path) -> (Stage, tempfile::TempDir) {
    let assets = tempfile::tempdir().unwrap();
    let mut cube = String::from("LUT_3D_SIZE 2\n");
    for b in 0..2 {
        for g in 0..2 {
            for r in 0..2 {
                cube.push_str(&format!("{b} {g} {r}\n"));
            }
        }
    }
    std::fs::write(assets.path().join("swap.cube"), cube).unwrap();
    let stage = Stage::new(StageSpec {
        on_error: OnError::Fail,
        plugin: runtime().load(plugin).unwrap(),
        params: vec![("file".into(), ParamValue::Text("swap.cube".into()))],
        sandbox: SandboxConfig {
            assets: Some(assets.path().to_path_buf()),
            ..SandboxConfig::default()
        },
        ..spec_at(plugin, vec![])
    })
    .unwrap();
    (stage, assets)
}

/// The `lut` plugin as built against 0.1.2, when the LUT kernel took
/// only RGBA: it declares RGBA and keeps grading it (red to blue through
/// a LUT that swaps the two) on a host that also grades YUV.
#[test]
fn a_lut_plugin_built_against_0_1_2_keeps_grading_rgba() {
    let plugin = runtime().load(&fixture("0.1.2", "lut.wasm")).unwrap();
    assert_eq!(plugin.description.contract, "0.1.2");
    assert_eq!(plugin.description.formats, vec![Format::Rgba]);
    let (mut stage, _assets) = swap_lut_stage(&fixture("0.1.2", "lut.wasm"));
    let (out, verdict) = stage.filter(frame(Format::Rgba, 8, 4, |i| [250, 40, 0, 255][i % 4]));
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    let px = &out.bytes().unwrap()[..4];
    assert!(
        px[0] <= 1 && px[2] >= 249 && px[1].abs_diff(40) <= 1,
        "{px:?}"
    );
}

/// The `lut` plugin as built against 0.1.3, relying on that version's
/// addition: it declares I420 and grades it directly, to exactly the
/// bytes today's build gives (the same kernel), a red picture made blue.
#[test]
fn a_lut_plugin_built_against_0_1_3_grades_i420_directly() {
    let plugin = runtime().load(&fixture("0.1.3", "lut.wasm")).unwrap();
    assert_eq!(plugin.description.contract, "0.1.3");
    assert!(plugin.description.formats.contains(&Format::I420));
    // BT.709 limited range: a strong red is (Y 63, U 102, V 240).
    let red = || {
        frame(Format::I420, 8, 4, |i| {
            if i < 32 {
                63
            } else if i < 40 {
                102
            } else {
                240
            }
        })
    };
    let mut graded = Vec::new();
    for plugin in [fixture("0.1.3", "lut.wasm"), plugin_path("lut")] {
        let (mut stage, _assets) = swap_lut_stage(&plugin);
        let (out, verdict) = stage.filter(red());
        assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
        graded.push(out.bytes().unwrap().to_vec());
    }
    assert_eq!(graded[0], graded[1]);
    // Blue: U well above neutral, V well below.
    let (u, v) = (graded[0][32], graded[0][40]);
    assert!(u > 200 && v < 140, "U {u}, V {v}");
}

/// The `restyle` plugin as built against 0.1.4, whose `toon` and `paint`
/// looks rely on that version's kernels (palettes, XDoG lines, Kuwahara):
/// the same picture as today's build, bit for bit, and a real change to
/// the picture.
#[test]
fn a_restyle_plugin_built_against_0_1_4_paints_and_draws_the_same() {
    let plugin = runtime().load(&fixture("0.1.4", "restyle.wasm")).unwrap();
    assert_eq!(plugin.description.contract, "0.1.4");
    let photo = image::open(root().join("pipelines/media/coffee.png"))
        .unwrap()
        .resize_exact(160, 120, image::imageops::FilterType::Triangle)
        .to_rgba8();
    let picture = || frame(Format::Rgba, 160, 120, |i| photo.as_raw()[i]);
    for mode in ["toon", "paint"] {
        let mut outputs = Vec::new();
        for build in [fixture("0.1.4", "restyle.wasm"), plugin_path("restyle")] {
            let mut stage = Stage::new(StageSpec {
                on_error: OnError::Fail,
                sandbox: SandboxConfig {
                    assets: Some(root().join("assets/styles")),
                    ..SandboxConfig::default()
                },
                ..spec_at(
                    &build,
                    vec![
                        ("style".into(), ParamValue::Text("film.style".into())),
                        ("mode".into(), ParamValue::Text(mode.into())),
                    ],
                )
            })
            .unwrap();
            let (out, verdict) = stage.filter(picture());
            assert_eq!(verdict, Verdict::Keep, "{mode}: {:?}", stage.take_events());
            outputs.push(out.bytes().unwrap().to_vec());
        }
        assert!(outputs[0] == outputs[1], "{mode}: the 0.1.4 build differs");
        let changed = outputs[0]
            .iter()
            .zip(photo.as_raw())
            .filter(|(a, b)| a.abs_diff(**b) > 8)
            .count();
        assert!(
            changed > outputs[0].len() / 10,
            "{mode}: {changed} bytes changed"
        );
    }
}

#[test]
fn a_presenter_plugin_built_against_0_1_5_keys_the_same() {
    let plugin = runtime().load(&fixture("0.1.5", "dhuman.wasm")).unwrap();
    assert_eq!(plugin.description.contract, "0.1.5");
    assert!(!plugin.follows_sound);
    // A green screen with a grey disc on it, keyed over a blue programme.
    let (w, h) = (96, 64);
    let shot = |i: usize| {
        let (x, y) = ((i / 4) % w, (i / 4) / w);
        let inside = (x as i32 - 48).pow(2) + (y as i32 - 32).pow(2) < 20 * 20;
        match (inside, i % 4) {
            (_, 3) => 255,
            (true, _) => 128,
            (false, 1) => 180,
            (false, _) => 40,
        }
    };
    let mut outputs = Vec::new();
    for build in [fixture("0.1.5", "dhuman.wasm"), plugin_path("dhuman")] {
        let mut stage = Stage::new(StageSpec {
            on_error: OnError::Fail,
            ..spec_at(
                &build,
                vec![
                    ("anchor".into(), ParamValue::Text("top-left".into())),
                    ("margin_x".into(), ParamValue::Number(0.0)),
                    ("height".into(), ParamValue::Number(1.0)),
                ],
            )
        })
        .unwrap();
        let inputs = vec![
            (
                "programme".to_string(),
                frame(Format::Rgba, w, h, |i| [0, 0, 200, 255][i % 4]),
            ),
            ("presenter".to_string(), frame(Format::Rgba, w, h, shot)),
        ];
        let (out, verdict) = stage.mix(inputs, HostFrame::blank(Format::Rgba, w, h));
        assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
        outputs.push(out.bytes().unwrap().to_vec());
    }
    assert!(outputs[0] == outputs[1], "the 0.1.5 build keys differently");
    // The screen became the programme, the disc stayed.
    let px = |x: usize, y: usize| outputs[0][4 * (y * w + x)..][..4].to_vec();
    assert_eq!(px(2, 2), [0, 0, 200, 255]);
    assert_eq!(px(48, 32), [128, 128, 128, 255]);
}

/// The 0.1.6 build of a stage that follows the programme's sound (the
/// `audio` interface) still gets it on this host: the same level, voice
/// and bands for every frame as today's build of the same plugin.
#[test]
fn a_sound_following_plugin_built_against_0_1_6_hears_the_same() {
    let plugin = runtime()
        .load(&fixture("0.1.6", "soundmeter.wasm"))
        .unwrap();
    assert_eq!(plugin.description.contract, "0.1.6");
    assert!(plugin.follows_sound);
    let tone = "audiotestsrc num-buffers=40 samplesperbuffer=1200 freq=440 volume=0.3 \
                ! audio/x-raw,rate=48000,channels=1";
    let heard = |build: &Path| {
        reel_tests::frames_following(tone, 30, &format!("plugin={}", build.display()))
    };
    let (old, new) = (
        heard(&fixture("0.1.6", "soundmeter.wasm")),
        heard(&test_plugin_path("soundmeter")),
    );
    assert_eq!(old.len(), 30);
    assert_eq!(old, new, "the 0.1.6 build hears differently");
    // What it heard is the tone: about -13.5 dBFS (0.3 amplitude).
    let level: f64 = old[15]["sound.level"].parse().unwrap();
    assert!((level + 13.5).abs() < 1.5, "{level}");
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
