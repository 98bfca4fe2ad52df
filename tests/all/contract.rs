//! Plugins loaded through the real runtime: description, parameters and
//! pixel results.

use reel_runtime::{Format, OnError, SandboxConfig, Stage, StageKind, StageSpec, Verdict};
use reel_tests::{bytes, frame, plugin_path, runtime};

fn spec(plugin: &str, params: Vec<(String, reel_runtime::ParamValue)>) -> StageSpec {
    StageSpec {
        id: "under-test".into(),
        plugin: runtime().load(&plugin_path(plugin)).unwrap(),
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
    for format in [Format::I420, Format::Rgba] {
        let mut stage = Stage::new(spec("invert", vec![])).unwrap();
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
