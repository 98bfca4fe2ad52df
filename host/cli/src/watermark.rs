//! `reel watermark keygen` and `reel watermark detect`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use reel_pipeline::{keys, watermarks};
use reel_registry::Registry;
use reel_watermark::Key;

use crate::{EXIT_BAD_INPUT, EXIT_RUN_FAILED, asset, fail};

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
    registry: Option<&Path>,
    json: bool,
) -> ExitCode {
    let key = match asset::watermark_key(key_file, key_env) {
        Ok(key) => key,
        Err(e) => return fail(EXIT_BAD_INPUT, &e),
    };
    // Opened before the clip is read: a wrong path fails at once.
    let registry = match registry.map(Registry::open).transpose() {
        Ok(registry) => registry,
        Err(e) => return fail(EXIT_BAD_INPUT, &e.to_string()),
    };
    let detection = match watermarks::detect(input, &key, |_| {}) {
        Ok(d) => d,
        Err(e) => return fail(EXIT_BAD_INPUT, &e.to_string()),
    };
    let asset = match (&registry, detection.payload) {
        (Some(registry), Some(payload)) => match registered(registry, payload, &key) {
            Ok(asset) => asset,
            Err(e) => return fail(EXIT_BAD_INPUT, &e),
        },
        _ => None,
    };
    let found = detection.payload.is_some();
    let registry_key = registry.as_ref().and_then(|r| r.public_key().ok());
    let credentials = Credentials::read(input, detection.payload, registry_key);
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
            "asset": asset.as_ref().map(|a| {
                let mut entry = asset::entry_json(&a.entry);
                entry["registry_intact"] = a.intact.into();
                entry["same_watermark_key"] = a.same_key.into();
                entry
            }),
            "credentials": credentials.json(),
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
        if let Some(a) = &asset {
            let e = &a.entry;
            println!(
                "  asset       \"{}\" by {} (registry entry {}, registered {})",
                asset::printable(&e.asset.title),
                asset::printable(&e.asset.owner),
                e.seq,
                e.registered_text()
            );
            if !a.same_key {
                println!("  warning     the registry records another watermark key for this asset");
            }
            if !a.intact {
                println!(
                    "  warning     the registry fails verification: do not trust this entry (reel asset verify)"
                );
            }
        } else if registry.is_some() {
            println!("  asset       not in the registry");
        }
        credentials.print();
    } else {
        println!(
            "{}: no watermark of key {} found in {} frames (best score {:.1}, {} needed)",
            input.display(),
            key.id(),
            detection.frames,
            detection.best.as_ref().map_or(0.0, |r| r.score),
            reel_watermark::detect::THRESHOLD
        );
        credentials.print();
    }
    if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_FOUND)
    }
}

/// A registered asset a detected payload names, and how far to trust it.
struct Registered {
    entry: reel_registry::Entry,
    /// The registry verifies (hashes, links, signatures, head).
    intact: bool,
    /// The entry records the key the mark was read with.
    same_key: bool,
}

fn registered(registry: &Registry, payload: u64, key: &Key) -> Result<Option<Registered>, String> {
    let Some(entry) = registry.find(payload).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let intact = registry
        .verify(None)
        .map_err(|e| e.to_string())?
        .problems
        .is_empty();
    let same_key = entry.asset.watermark_key_id == key.id();
    Ok(Some(Registered {
        entry,
        intact,
        same_key,
    }))
}

/// A time as m:ss.s.
fn clock(t: Duration) -> String {
    let s = t.as_secs_f64();
    format!("{}:{:04.1}", (s / 60.0) as u64, s % 60.0)
}

/// The Content Credentials of a clip, set against what detection found.
enum Credentials {
    None,
    Unreadable(String),
    Found {
        found: Box<reel_credentials::Found>,
        /// The manifest's soft binding is the payload detected (None when
        /// either is missing).
        matches_watermark: Option<bool>,
        /// Signed with the registry's key (None without `--registry`).
        by_registry: Option<bool>,
    },
}

impl Credentials {
    fn read(input: &Path, payload: Option<u64>, registry_key: Option<[u8; 32]>) -> Credentials {
        match reel_credentials::read(input) {
            Ok(None) => Credentials::None,
            Ok(Some(found)) => Credentials::Found {
                matches_watermark: payload.and_then(|p| found.binds(p)),
                by_registry: registry_key.map(|k| found.signed_by(&k)),
                found: Box::new(found),
            },
            Err(e) => Credentials::Unreadable(e.to_string()),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Credentials::None => serde_json::Value::Null,
            Credentials::Unreadable(why) => serde_json::json!({ "readable": false, "error": why }),
            Credentials::Found {
                found: f,
                matches_watermark,
                by_registry,
            } => serde_json::json!({
                "readable": true,
                "valid": f.valid,
                "problems": f.problems,
                "asset": f.asset.map(|a| format!("{a:#018x}")),
                "owner": f.owner,
                "title": f.asset_title,
                "watermark": f.watermark.map(|w| format!("{w:#018x}")),
                "signer": f.signer,
                "signed_at": f.signed_at,
                "actions": f.actions,
                "matches_watermark": matches_watermark,
                "signed_by_registry": by_registry,
            }),
        }
    }

    fn print(&self) {
        let text = |t: &Option<String>| asset::printable(t.as_deref().unwrap_or("?"));
        match self {
            Credentials::None => println!("  credentials none"),
            Credentials::Unreadable(why) => {
                println!("  credentials unreadable: {}", asset::printable(why))
            }
            Credentials::Found {
                found: f,
                matches_watermark,
                by_registry,
            } => {
                let state = if f.valid { "valid" } else { "INVALID" };
                let asset = f.asset.map_or("?".into(), |a| format!("{a:#018x}"));
                let at = f
                    .signed_at
                    .as_ref()
                    .map(|t| format!(" at {}", asset::printable(t)))
                    .unwrap_or_default();
                println!(
                    "  credentials {state}: asset {asset} \"{}\" owned by {}, signed by {}{at}",
                    text(&f.asset_title),
                    text(&f.owner),
                    text(&f.signer),
                );
                println!("              actions {}", f.actions.join(", "));
                for p in &f.problems {
                    println!("  warning     {}", asset::printable(p));
                }
                if !f.valid {
                    println!(
                        "  warning     the file was changed after it was signed: do not trust its credentials"
                    );
                }
                if *matches_watermark == Some(false) {
                    println!("  warning     the credentials record another watermark payload");
                }
                match by_registry {
                    Some(true) => println!("              signed with the registry's key"),
                    Some(false) => println!("  warning     not signed with the registry's key"),
                    None => {}
                }
            }
        }
    }
}
