//! `reel asset` and the detector naming a registered asset: a clip marked
//! by `reel run`, registered, found again by `reel watermark detect`;
//! duplicate IDs, wrong keys, tampering (done with SQLite itself) and a
//! damaged file, each with its exit code and message, losing nothing.

use std::path::{Path, PathBuf};
use std::process::Output;

use reel_tests::{reel_in, root, stderr_text};

fn stdout_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Keys made by the CLI: a watermark key and two signing keys.
fn keys(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let names = ["mark.key", "sign.key", "other-sign.key"];
    for (i, name) in names.iter().enumerate() {
        let command = if i == 0 { "watermark" } else { "asset" };
        let out = reel_in(dir, &[command, "keygen", "--out", name]);
        assert!(out.status.success(), "{}", stderr_text(&out));
    }
    let [a, b, c] = names.map(|n| dir.join(n));
    (a, b, c)
}

/// The repository's clip marked with `payload` into `dir/marked.mp4`.
fn marked_clip(dir: &Path, key: &Path, payload: &str) -> PathBuf {
    let clip = root().join("pipelines/media/photos.mp4");
    let params = format!("payload = \"{payload}\"");
    let out = crate::watermark::run_watermark(dir, &clip, key, &params, "marked.mp4");
    assert!(out.status.success(), "{}", stderr_text(&out));
    dir.join("marked.mp4")
}

fn register(dir: &Path, file: &str, id: &str, title: &str, signing: &str) -> Output {
    reel_in(
        dir,
        &[
            "asset",
            "register",
            file,
            "--registry",
            "assets.db",
            "--id",
            id,
            "--owner",
            "Newsroom",
            "--title",
            title,
            "--signing-key",
            signing,
            "--key-file",
            "mark.key",
        ],
    )
}

pub(crate) fn detect_json(dir: &Path, file: &Path) -> (Option<i32>, serde_json::Value) {
    let out = reel_in(
        dir,
        &[
            "watermark",
            "detect",
            file.to_str().unwrap(),
            "--key-file",
            "mark.key",
            "--registry",
            "assets.db",
            "--json",
        ],
    );
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", stderr_text(&out)));
    (out.status.code(), report)
}

#[test]
fn the_detector_names_the_registered_asset_and_tampering_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (mark_key, _sign, _other) = keys(d);
    let clip = marked_clip(d, &mark_key, "0x00000000C0FFEE01");
    let out = register(d, "marked.mp4", "0xC0FFEE01", "Evening news", "sign.key");
    assert!(out.status.success(), "{}", stderr_text(&out));
    assert!(stdout_text(&out).contains("registered asset 0x00000000c0ffee01 as entry 1"));
    let out = register(d, "marked.mp4", "42", "Weather", "sign.key");
    assert!(out.status.success(), "{}", stderr_text(&out));

    // Found and named, from the registry.
    let (code, report) = detect_json(d, &clip);
    assert_eq!(code, Some(0), "{report}");
    let asset = &report["asset"];
    assert_eq!(asset["title"], "Evening news", "{report}");
    assert_eq!(asset["owner"], "Newsroom", "{report}");
    assert_eq!(asset["entry"], 1, "{report}");
    assert_eq!(asset["registry_intact"], true, "{report}");
    assert_eq!(asset["same_watermark_key"], true, "{report}");
    // The content hash is the clip's.
    let expected = std::process::Command::new("sha256sum")
        .arg(&clip)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&expected.stdout);
    assert_eq!(
        asset["content_sha256"].as_str().unwrap(),
        expected.split_whitespace().next().unwrap()
    );

    // A duplicate ID and a wrong signing key add nothing.
    let out = register(d, "marked.mp4", "3237998081", "Again", "sign.key");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_text(&out).contains("asset 0x00000000c0ffee01 is already registered (entry 1"),
        "{}",
        stderr_text(&out)
    );
    let out = register(d, "marked.mp4", "7", "Forged", "other-sign.key");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_text(&out).contains("is not this registry's"));
    let show = reel_in(d, &["asset", "show", "--registry", "assets.db", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown.as_array().unwrap().len(), 2, "{shown}");

    let verify = |args: &[&str]| {
        let mut all = vec!["asset", "verify", "--registry", "assets.db"];
        all.extend(args);
        reel_in(d, &all)
    };
    assert_eq!(
        verify(&["--signing-key", "sign.key"]).status.code(),
        Some(0)
    );
    // Against another key's public half: not this registry.
    let out = verify(&["--signing-key", "other-sign.key"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout_text(&out).contains("it is signed by key"));

    // Someone with the file changes the owner of entry 1.
    let db = rusqlite::Connection::open(d.join("assets.db")).unwrap();
    let refused = db.execute("UPDATE entries SET owner = 'Thief' WHERE seq = 1", []);
    assert!(refused.is_err(), "the append-only trigger holds");
    db.execute_batch(
        "DROP TRIGGER entries_append_only_update; UPDATE entries SET owner = 'Thief' WHERE seq = 1;",
    )
    .unwrap();
    drop(db);
    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout_text(&out));
    assert!(
        stdout_text(&out).contains("TAMPERED") && stdout_text(&out).contains("entry 1 was edited"),
        "{}",
        stdout_text(&out)
    );
    let (code, report) = detect_json(d, &clip);
    assert_eq!(code, Some(0));
    assert_eq!(report["asset"]["registry_intact"], false, "{report}");
    let out = register(d, "marked.mp4", "8", "New", "sign.key");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_text(&out).contains("fails verification"));

    // A damaged file: a clear error naming it, the file left as it was.
    std::fs::write(d.join("broken.db"), b"not a database at all, just text....").unwrap();
    let out = reel_in(d, &["asset", "verify", "--registry", "broken.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_text(&out).contains("asset registry broken.db: not a database"),
        "{}",
        stderr_text(&out)
    );
    assert_eq!(
        std::fs::read(d.join("broken.db")).unwrap(),
        b"not a database at all, just text...."
    );
    // A registry that does not exist is not made by reading it.
    let out = reel_in(d, &["asset", "show", "--registry", "typo.db"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(!d.join("typo.db").exists());
}
