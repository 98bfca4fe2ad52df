//! `reel plugin inspect` and `reel plugin list`.

use std::process::ExitCode;

use reel_runtime::{Catalog, Description, Origin, Runtime};

fn load(name: &str) -> reel_runtime::Result<std::sync::Arc<reel_runtime::Plugin>> {
    let path = Catalog::for_this_program().find(name)?;
    Runtime::global()?.load(&path)
}

pub fn inspect(name: &str, json: bool) -> ExitCode {
    let plugin = match load(name) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let d = &plugin.description;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(d).expect("descriptions serialise")
        );
        return ExitCode::SUCCESS;
    }
    print_table(d);
    println!(
        "file:      {} ({} in {:.0} ms)",
        plugin.path.display(),
        match plugin.origin {
            Origin::Compiled => "compiled",
            Origin::FromCache => "loaded from cache",
        },
        plugin.load_time.as_secs_f64() * 1e3
    );
    ExitCode::SUCCESS
}

fn print_table(d: &Description) {
    println!("name:      {} {}", d.name, d.version);
    println!("kind:      {}", d.kind);
    println!("summary:   {}", d.summary);
    println!("contract:  reel:plugin@{}", d.contract);
    let formats: Vec<String> = d.formats.iter().map(|f| f.to_string()).collect();
    println!("formats:   {}", formats.join(", "));
    if !d.inputs.is_empty() {
        println!("inputs:    {}", d.inputs.join(", "));
    }
    if d.params.is_empty() {
        println!("params:    none");
        return;
    }
    println!("params:");
    println!(
        "  {:<16} {:<8} {:<10} {:<16} doc",
        "name", "type", "default", "range"
    );
    for p in &d.params {
        let range = if !p.choices.is_empty() {
            p.choices.join("|")
        } else {
            match (p.min, p.max) {
                (None, None) => String::new(),
                (min, max) => format!(
                    "{}..={}",
                    min.map(|v| v.to_string()).unwrap_or_default(),
                    max.map(|v| v.to_string()).unwrap_or_default()
                ),
            }
        };
        println!(
            "  {:<16} {:<8} {:<10} {:<16} {}",
            p.name,
            p.kind.to_string(),
            p.default.to_string(),
            range,
            p.doc
        );
    }
}

pub fn list() -> ExitCode {
    let catalog = Catalog::for_this_program();
    let plugins = catalog.list();
    if plugins.is_empty() {
        let searched: Vec<String> = catalog
            .dirs()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!("no plugins found; searched {}", searched.join(", "));
        return ExitCode::SUCCESS;
    }
    let runtime = match Runtime::global() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(1);
        }
    };
    println!("{:<16} {:<8} {:<9} summary", "name", "kind", "version");
    for (name, path) in plugins {
        match runtime.load(&path) {
            Ok(p) => println!(
                "{:<16} {:<8} {:<9} {}",
                name,
                p.description.kind.to_string(),
                p.description.version,
                p.description.summary
            ),
            // The whole reason, on one line.
            Err(e) => println!(
                "{name:<16} (unusable: {})",
                format!("{e:#}")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }
    ExitCode::SUCCESS
}
