//! `reel asset keygen | register | verify | show`: the asset registry.

use std::path::Path;
use std::process::ExitCode;

use reel_pipeline::keys;
use reel_registry::{Entry, NewAsset, Registry, hex};
use reel_watermark::{Key, parse_payload};

use crate::{EXIT_BAD_INPUT, EXIT_RUN_FAILED, fail};

/// Exit code of a registry that fails verification.
const EXIT_TAMPERED: u8 = 1;

pub fn keygen(out: &Path) -> ExitCode {
    let made = keys::write_new_key(out)
        .and_then(|key| reel_registry::signing_key(&key.to_hex()).map_err(|e| e.to_string()));
    match made {
        Ok(key) => {
            eprintln!(
                "{}: a new registry signing key; its public key (keep it to verify with):",
                out.display()
            );
            println!("{}", hex(&key.verifying_key().to_bytes()));
            ExitCode::SUCCESS
        }
        Err(e) => fail(EXIT_BAD_INPUT, &e),
    }
}

pub fn issuer(signing_key: &Path) -> ExitCode {
    let pem = key_text(signing_key)
        .and_then(|text| reel_registry::signing_key(&text).map_err(|e| e.to_string()))
        .and_then(|key| reel_credentials::issuer_pem(&key).map_err(|e| e.to_string()));
    match pem {
        Ok(pem) => {
            print!("{pem}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(EXIT_BAD_INPUT, &e),
    }
}

/// The text of a key file, its warning printed.
fn key_text(path: &Path) -> Result<String, String> {
    keys::read_key_file(path).map(|k| {
        if let Some(w) = k.warning {
            eprintln!("warning: {w}");
        }
        k.text
    })
}

/// The watermark key from `--key-file` or `--key-env`.
pub fn watermark_key(file: Option<&Path>, env: Option<&str>) -> Result<Key, String> {
    let text = match (file, env) {
        (Some(path), _) => key_text(path),
        (None, Some(name)) => keys::read_key_env(name),
        (None, None) => Err("give --key-file or --key-env".into()),
    }?;
    Key::parse(&text).map_err(|e| format!("key: {e}"))
}

pub struct Register<'a> {
    pub registry: &'a Path,
    pub file: &'a Path,
    pub id: &'a str,
    pub owner: &'a str,
    pub title: &'a str,
    pub signing_key: &'a Path,
    pub key_file: Option<&'a Path>,
    pub key_env: Option<&'a str>,
}

pub fn register(args: Register) -> ExitCode {
    match try_register(&args) {
        Ok(entry) => {
            println!(
                "{}: registered asset {:#018x} as entry {}",
                args.registry.display(),
                entry.asset.id,
                entry.seq
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(EXIT_BAD_INPUT, &e),
    }
}

fn try_register(args: &Register) -> Result<Entry, String> {
    let id = parse_payload(args.id).map_err(|e| format!("--id: {e}"))?;
    for (name, text) in [("--owner", args.owner), ("--title", args.title)] {
        if text.trim().is_empty() {
            return Err(format!("{name} is empty"));
        }
    }
    let signing = reel_registry::signing_key(&key_text(args.signing_key)?)
        .map_err(|e| format!("{}: {e}", args.signing_key.display()))?;
    let watermark = watermark_key(args.key_file, args.key_env)?;
    let content = reel_registry::content_hash(args.file)
        .map_err(|e| format!("{}: cannot read: {e}", args.file.display()))?;
    let mut registry = if args.registry.exists() {
        Registry::open(args.registry)
    } else {
        eprintln!(
            "{}: a new registry, signed by public key {}",
            args.registry.display(),
            hex(&signing.verifying_key().to_bytes())
        );
        Registry::create(args.registry, &signing)
    }
    .map_err(|e| e.to_string())?;
    let asset = NewAsset {
        id,
        owner: args.owner.trim().to_string(),
        title: args.title.trim().to_string(),
        content_sha256: content,
        watermark_key_id: watermark.id(),
    };
    registry
        .register(&signing, asset)
        .map_err(|e| e.to_string())
}

/// Verifies against `--public-key` or the public half of
/// `--signing-key` when given.
pub fn verify(
    registry: &Path,
    public_key: Option<&str>,
    signing_key: Option<&Path>,
    json: bool,
) -> ExitCode {
    let expected = match (public_key, signing_key) {
        (Some(text), _) => reel_registry::public_key(text)
            .map(Some)
            .map_err(|e| e.to_string()),
        (None, Some(path)) => key_text(path)
            .and_then(|t| reel_registry::signing_key(&t).map_err(|e| e.to_string()))
            .map(|k| Some(k.verifying_key())),
        (None, None) => Ok(None),
    };
    let report = expected.map_err(|e| e.to_string()).and_then(|expected| {
        Registry::open(registry)
            .and_then(|r| r.verify(expected.as_ref()))
            .map_err(|e| e.to_string())
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => return fail(EXIT_BAD_INPUT, &e),
    };
    let intact = report.problems.is_empty();
    if json {
        print_json(&serde_json::json!({
            "registry": registry.display().to_string(),
            "intact": intact,
            "entries": report.entries,
            "head": hex(&report.head),
            "public_key": hex(&report.public_key),
            "problems": report.problems,
        }));
    } else if intact {
        println!(
            "{}: intact: {} entries, chain and signatures hold (public key {}, head {})",
            registry.display(),
            report.entries,
            hex(&report.public_key),
            hex(&report.head)
        );
    } else {
        println!("{}: TAMPERED:", registry.display());
        for problem in &report.problems {
            println!("  {problem}");
        }
    }
    if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_TAMPERED)
    }
}

/// One asset, or all of them.
pub fn show(registry: &Path, id: Option<&str>, json: bool) -> ExitCode {
    let entries = Registry::open(registry)
        .map_err(|e| e.to_string())
        .and_then(|r| match id {
            Some(text) => {
                let id = parse_payload(text).map_err(|e| format!("asset ID: {e}"))?;
                match r.find(id).map_err(|e| e.to_string())? {
                    Some(entry) => Ok(vec![entry]),
                    None => Err(format!(
                        "{}: no asset {id:#018x} is registered",
                        registry.display()
                    )),
                }
            }
            None => r.entries().map_err(|e| e.to_string()),
        });
    let entries = match entries {
        Ok(entries) => entries,
        Err(e) => return fail(EXIT_RUN_FAILED, &e),
    };
    if json {
        print_json(&serde_json::Value::Array(
            entries.iter().map(entry_json).collect(),
        ));
    } else {
        for entry in &entries {
            println!(
                "{:>4}  {:#018x}  {}  \"{}\" by {}  (watermark key {}, content sha256 {})",
                entry.seq,
                entry.asset.id,
                entry.registered_text(),
                printable(&entry.asset.title),
                printable(&entry.asset.owner),
                printable(&entry.asset.watermark_key_id),
                hex(&entry.asset.content_sha256)
            );
        }
    }
    ExitCode::SUCCESS
}

pub fn entry_json(entry: &Entry) -> serde_json::Value {
    serde_json::json!({
        "entry": entry.seq,
        "id": format!("{:#018x}", entry.asset.id),
        "owner": entry.asset.owner,
        "title": entry.asset.title,
        "content_sha256": hex(&entry.asset.content_sha256),
        "watermark_key_id": entry.asset.watermark_key_id,
        "registered": entry.registered_text(),
    })
}

/// Registry text as a terminal may show it: a registry is a file anyone
/// may have written to, so control characters are written out.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

pub fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: {e}"),
    }
}
