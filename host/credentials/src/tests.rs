//! Signing real MP4s (made by GStreamer's x264enc and mp4mux) and reading
//! them back.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// A 10-frame H.264 MP4 in `dir`.
fn clip(dir: &Path) -> PathBuf {
    let path = dir.join("clip.mp4");
    let status = Command::new("gst-launch-1.0")
        .args(["-q", "videotestsrc", "num-buffers=10", "pattern=ball", "!"])
        .args(["video/x-raw,width=160,height=120,framerate=10/1", "!"])
        .args(["x264enc", "!", "mp4mux", "!", "filesink"])
        .arg(format!("location={}", path.display()))
        .status()
        .expect("gst-launch-1.0 runs");
    assert!(status.success());
    path
}

fn claim(sources: Vec<Source>) -> Claim {
    Claim {
        title: "out.mp4".into(),
        asset: 0x5EE1A5,
        owner: "Newsroom Ltd".into(),
        asset_title: Some("Evening bulletin".into()),
        sources,
        actions: vec![Action {
            action: "c2pa.watermarked".into(),
            description: "stage `mark`: plugin watermark".into(),
            agent: "watermark 0.1.0".into(),
        }],
        watermark: Some(Watermark {
            payload: 0x5EE1A5,
            key_id: "0123456789abcdef".into(),
        }),
    }
}

#[test]
fn the_issuer_is_the_same_for_a_key_and_differs_between_keys() {
    let a = issuer_pem(&key(1)).unwrap();
    assert_eq!(a, issuer_pem(&key(1)).unwrap());
    assert_ne!(a, issuer_pem(&key(2)).unwrap());
    assert!(a.starts_with("-----BEGIN CERTIFICATE-----"));
}

#[test]
fn a_signed_clip_reads_back_valid_with_everything_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let source = clip(dir.path());
    let signed = dir.path().join("signed.mp4");
    let sources = vec![Source::File {
        id: "clip".into(),
        path: source.clone(),
    }];
    claim(sources).sign(&key(7), &source, &signed).unwrap();
    let found = read(&signed).unwrap().expect("a manifest");
    assert!(found.valid, "{:?}", found.problems);
    assert_eq!(found.asset, Some(0x5EE1A5));
    assert_eq!(found.owner.as_deref(), Some("Newsroom Ltd"));
    assert_eq!(found.asset_title.as_deref(), Some("Evening bulletin"));
    assert_eq!(found.watermark, Some(0x5EE1A5));
    assert_eq!(found.signer.as_deref(), Some("Newsroom Ltd"));
    assert_eq!(found.signer_key, Some(key(7).verifying_key().to_bytes()));
    assert_eq!(found.actions, ["c2pa.opened", "c2pa.watermarked"]);
    // The source is untouched and carries nothing.
    assert!(read(&source).unwrap().is_none());
}

#[test]
fn a_generated_source_is_recorded_as_created() {
    let dir = tempfile::tempdir().unwrap();
    let source = clip(dir.path());
    let signed = dir.path().join("signed.mp4");
    let sources = vec![Source::Generated { id: "bars".into() }];
    claim(sources).sign(&key(7), &source, &signed).unwrap();
    let found = read(&signed).unwrap().unwrap();
    assert!(found.valid, "{:?}", found.problems);
    assert_eq!(found.actions, ["c2pa.created", "c2pa.watermarked"]);
}

#[test]
fn a_changed_frame_breaks_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let source = clip(dir.path());
    let signed = dir.path().join("signed.mp4");
    claim(Vec::new()).sign(&key(7), &source, &signed).unwrap();
    let mut bytes = std::fs::read(&signed).unwrap();
    // Inside the video data: mp4mux writes `mdat` before the manifest.
    let mdat = bytes.windows(4).position(|w| w == b"mdat").unwrap();
    bytes[mdat + 200] ^= 0x55;
    std::fs::write(&signed, &bytes).unwrap();
    let found = read(&signed).unwrap().expect("the manifest is still there");
    assert!(!found.valid);
    assert!(
        found.problems.iter().any(|p| p.contains("mismatch")),
        "{:?}",
        found.problems
    );
}

#[test]
fn signing_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let source = clip(dir.path());
    let taken = dir.path().join("taken.mp4");
    std::fs::write(&taken, b"someone else's").unwrap();
    let err = claim(Vec::new())
        .sign(&key(7), &source, &taken)
        .unwrap_err();
    assert!(err.to_string().contains("taken.mp4"), "{err}");
    assert_eq!(std::fs::read(&taken).unwrap(), b"someone else's");
}
