//! Content Credentials (C2PA) in file sinks: a clip marked and signed by
//! `reel run`, validated by c2pa-python (the C2PA SDK's Python binding, a
//! separate build from the one Reel signs with; tests/setup.sh installs it
//! in target/test-venv), trusted once the registry's issuer is a trust
//! anchor, reported by `reel watermark detect` and found broken after one
//! byte of video changes; bad settings are located errors that write
//! nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use reel_tests::{decode_frames, reel_in, root, stderr_text, write_pipeline};
use serde_json::Value;

const PAYLOAD: &str = "0x00000000c0ffee42";

/// c2pa-python's reading of `file`, trusting `anchors` when given.
fn validate(file: &Path, anchors: Option<&Path>) -> Value {
    let python = root().join("target/test-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run tests/setup.sh",
        python.display()
    );
    let mut command = Command::new(python);
    command.arg(root().join("tests/c2pa/validate.py")).arg(file);
    if let Some(a) = anchors {
        command.arg(a);
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", stderr_text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The active manifest of a c2pa-python report.
fn active(report: &Value) -> &Value {
    let store = &report["store"];
    let label = store["active_manifest"]
        .as_str()
        .expect("an active manifest");
    &store["manifests"][label]
}

fn assertion<'a>(manifest: &'a Value, label: &str) -> &'a Value {
    manifest["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == label)
        .map(|a| &a["data"])
        .unwrap_or_else(|| panic!("no {label} in {manifest}"))
}

fn keys(dir: &Path) {
    for (command, name) in [("watermark", "mark.key"), ("asset", "sign.key")] {
        let out = reel_in(dir, &[command, "keygen", "--out", name]);
        assert!(out.status.success(), "{}", stderr_text(&out));
    }
}

/// A pipeline marking the repository's clip into `output` with the
/// `credentials` table given.
fn pipeline(dir: &Path, output: &str, mark_params: &str, credentials: &str) -> String {
    write_pipeline(
        dir,
        &format!(
            r#"
[[source]]
id = "clip"
file = "{}"

[[stage]]
id = "mark"
plugin = "{}"
input = "clip"
key_file = "mark.key"
params = {{ {mark_params} }}

[[sink]]
input = "mark"
file = "{output}"
video = {{ preset = "veryfast", crf = 18 }}
credentials = {{ {credentials} }}
"#,
            root().join("pipelines/media/photos.mp4").display(),
            reel_tests::plugin_path("watermark").display(),
        ),
    )
}

/// `reel watermark detect --json` with the registry, as assets.rs runs it.
fn detect_json(dir: &Path, file: &Path) -> Value {
    crate::assets::detect_json(dir, file).1
}

#[test]
fn a_signed_output_validates_independently_and_a_changed_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    keys(dir);
    let path = pipeline(
        dir,
        "signed.mp4",
        &format!("payload = \"{PAYLOAD}\""),
        r#"signing_key_file = "sign.key", owner = "Newsroom Ltd", title = "Evening bulletin""#,
    );
    let out = reel_in(dir, &["run", &path]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let signed = dir.join("signed.mp4");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Every frame is still there and plays.
    let source_frames = decode_frames(&root().join("pipelines/media/photos.mp4"), 64, 36).len();
    assert_eq!(decode_frames(&signed, 64, 36).len(), source_frames);

    // c2pa-python: intact and correctly signed, signer unknown...
    let report = validate(&signed, None);
    assert_eq!(report["state"], "Valid", "{report}");
    let manifest = active(&report);
    let asset = assertion(manifest, "org.reel.asset");
    assert_eq!(asset["id"], PAYLOAD);
    assert_eq!(asset["owner"], "Newsroom Ltd");
    assert_eq!(asset["title"], "Evening bulletin");
    let binding = assertion(manifest, "c2pa.soft-binding");
    assert_eq!(binding["alg"], "org.reel.watermark.1");
    assert_eq!(binding["blocks"][0]["value"], "00000000c0ffee42");
    let actions: Vec<&str> = assertion(manifest, "c2pa.actions.v2")["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["c2pa.opened", "c2pa.watermarked", "c2pa.transcoded"]
    );
    let ingredient = &manifest["ingredients"][0];
    assert_eq!(ingredient["title"], "photos.mp4");
    assert_eq!(ingredient["relationship"], "parentOf");

    // ...and trusted once the registry's issuer is a trust anchor.
    let out = reel_in(dir, &["asset", "issuer", "--signing-key", "sign.key"]);
    assert!(out.status.success(), "{}", stderr_text(&out));
    let anchors = dir.join("issuer.pem");
    std::fs::write(&anchors, &out.stdout).unwrap();
    assert_eq!(validate(&signed, Some(&anchors))["state"], "Trusted");
    // Another registry's issuer does not make it trusted.
    let out = reel_in(dir, &["asset", "keygen", "--out", "other.key"]);
    assert!(out.status.success());
    let out = reel_in(dir, &["asset", "issuer", "--signing-key", "other.key"]);
    let other = dir.join("other.pem");
    std::fs::write(&other, &out.stdout).unwrap();
    assert_eq!(validate(&signed, Some(&other))["state"], "Valid");

    // The detector reports the manifest beside the mark and the registry.
    let out = reel_in(
        dir,
        &[
            "asset",
            "register",
            "signed.mp4",
            "--registry",
            "assets.db",
            "--id",
            PAYLOAD,
            "--owner",
            "Newsroom Ltd",
            "--title",
            "Evening bulletin",
            "--signing-key",
            "sign.key",
            "--key-file",
            "mark.key",
        ],
    );
    assert!(out.status.success(), "{}", stderr_text(&out));
    let report = detect_json(dir, &signed);
    assert_eq!(report["payload"], PAYLOAD);
    let credentials = &report["credentials"];
    assert_eq!(credentials["valid"], true, "{report}");
    assert_eq!(credentials["asset"], PAYLOAD);
    assert_eq!(credentials["owner"], "Newsroom Ltd");
    assert_eq!(credentials["signer"], "Newsroom Ltd");
    assert_eq!(credentials["matches_watermark"], true);
    assert_eq!(credentials["signed_by_registry"], true);

    // One byte of video changed: both readers say the manifest no longer
    // holds.
    let mut bytes = std::fs::read(&signed).unwrap();
    let mdat = bytes.windows(4).position(|w| w == b"mdat").unwrap();
    bytes[mdat + 5000] ^= 0x01;
    let changed = dir.join("changed.mp4");
    std::fs::write(&changed, &bytes).unwrap();
    assert_eq!(validate(&changed, None)["state"], "Invalid");
    let report = detect_json(dir, &changed);
    assert_eq!(report["credentials"]["valid"], false, "{report}");
    let problems = report["credentials"]["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
}

/// `reel check` of a pipeline with these credentials: its stderr, after
/// asserting that it failed and wrote nothing.
fn refused(dir: &Path, output: &str, mark_params: &str, credentials: &str) -> String {
    let path = pipeline(dir, output, mark_params, credentials);
    let out = reel_in(dir, &["run", &path]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_text(&out));
    assert!(!dir.join(output).exists());
    stderr_text(&out)
}

#[test]
fn bad_credentials_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    keys(dir);
    let mark = format!("payload = \"{PAYLOAD}\"");
    let owner = r#"owner = "Newsroom Ltd""#;

    let e = refused(
        dir,
        "a.mp4",
        &mark,
        &format!(r#"signing_key_file = "missing.key", {owner}"#),
    );
    assert!(
        e.contains("pipeline.toml:17:") && e.contains("signing_key_file"),
        "{e}"
    );
    assert!(e.contains("missing.key"), "{e}");

    std::fs::write(dir.join("bad.key"), "not a key\n").unwrap();
    let e = refused(
        dir,
        "a.mp4",
        &mark,
        &format!(r#"signing_key_file = "bad.key", {owner}"#),
    );
    assert!(e.contains("not 64 hexadecimal digits"), "{e}");
    assert!(!e.contains("not a key"), "the key's text is shown: {e}");

    let e = refused(dir, "a.mp4", &mark, owner);
    assert!(e.contains("signing_key_file"), "{e}");

    let e = refused(
        dir,
        "a.mkv",
        &mark,
        &format!(r#"signing_key_file = "sign.key", {owner}"#),
    );
    assert!(e.contains(".mp4 or .mov"), "{e}");

    let e = refused(
        dir,
        "a.mp4",
        "mode = \"visible\", text = \"Reel\"",
        &format!(r#"signing_key_file = "sign.key", {owner}"#),
    );
    assert!(e.contains("no invisible watermark feeds this sink"), "{e}");

    let e = refused(
        dir,
        "a.mp4",
        &mark,
        &format!(r#"signing_key_file = "sign.key", {owner}, asset = "0x2a""#),
    );
    assert!(e.contains("differs from the payload"), "{e}");

    let e = refused(
        dir,
        "a.mp4",
        &mark,
        r#"signing_key_file = "sign.key", owner = "  ""#,
    );
    assert!(e.contains("owner is empty"), "{e}");
}
