//! `reel watermark keygen` and `reel watermark detect`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use reel_pipeline::{keys, watermarks};
use reel_watermark::Key;

use crate::{EXIT_BAD_INPUT, EXIT_RUN_FAILED, fail};

/// Exit code of a detection that found nothing.
const EXIT_NOT_FOUND: u8 = 1;

pub fn keygen(out: &Path) -> ExitCode {
    match keys::write_new_key(out) {
        Ok(key) => {
            eprintln!("{}: a new key, id {}", out.display(), key.id());
            ExitCode::SUCCESS
        }
        Err(e) => fail(EXIT_BAD_INPUT, &e),
    }
}

pub fn detect(
    input: &Path,
    key_file: Option<&Path>,
    key_env: Option<&str>,
    json: bool,
) -> ExitCode {
    let text = match (key_file, key_env) {
        (Some(path), _) => keys::read_key_file(path).map(|k| {
            if let Some(w) = k.warning {
                eprintln!("warning: {w}");
            }
            k.text
        }),
        (None, Some(name)) => keys::read_key_env(name),
        (None, None) => Err("give --key-file or --key-env".into()),
    };
    let key = match text.and_then(|t| Key::parse(&t).map_err(|e| format!("key: {e}"))) {
        Ok(key) => key,
        Err(e) => return fail(EXIT_BAD_INPUT, &e),
    };
    let detection = match watermarks::detect(input, &key, |_| {}) {
        Ok(d) => d,
        Err(e) => return fail(EXIT_BAD_INPUT, &e.to_string()),
    };
    let found = detection.payload.is_some();
    if json {
        let report = serde_json::json!({
            "input": input.display().to_string(),
            "found": found,
            "payload": detection.payload.map(|p| format!("{p:#018x}")),
            "payload_decimal": detection.payload,
            "false_positive_probability": found.then_some(detection.false_alarm),
            "ranges": detection.ranges.iter().map(|(s, e)| [s.as_secs_f64(), e.as_secs_f64()]).collect::<Vec<_>>(),
            "score": detection.best.as_ref().map(|r| r.score),
            "frames": detection.frames,
            "key_id": key.id(),
        });
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => return fail(EXIT_RUN_FAILED, &e.to_string()),
        }
    } else if let Some(payload) = detection.payload {
        println!("{}: watermark found", input.display());
        println!("  payload     {payload:#018x} ({payload})");
        println!(
            "  confidence  false-positive probability {:.1e} (key {})",
            detection.false_alarm,
            key.id()
        );
        let ranges: Vec<String> = detection
            .ranges
            .iter()
            .map(|(s, e)| format!("{}-{}", clock(*s), clock(*e)))
            .collect();
        println!("  found in    {}", ranges.join(", "));
    } else {
        println!(
            "{}: no watermark of key {} found in {} frames (best score {:.1}, {} needed)",
            input.display(),
            key.id(),
            detection.frames,
            detection.best.as_ref().map_or(0.0, |r| r.score),
            reel_watermark::detect::THRESHOLD
        );
    }
    if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_FOUND)
    }
}

/// A time as m:ss.s.
fn clock(t: Duration) -> String {
    let s = t.as_secs_f64();
    format!("{}:{:04.1}", (s / 60.0) as u64, s % 60.0)
}
