//! Finding a plugin by name: the CLI and the GStreamer element resolve
//! names the same way.

use std::path::{Path, PathBuf};

/// Directories searched for `NAME.wasm`, in order: each entry of
/// `REEL_PLUGIN_PATH`, then this build's plugin output folder.
pub fn search_path() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("REEL_PLUGIN_PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|d| !d.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    dirs.push(build_output());
    dirs
}

/// Where `tests/setup.sh` (cargo build --target wasm32-wasip2) puts plugins.
pub fn build_output() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/release")
}

/// The file for `name_or_path`: a path when it names a `.wasm` file or has
/// a slash, else the first `NAME.wasm` (dashes may be underscores) on the
/// search path.
pub fn find_plugin(name_or_path: &str) -> Result<PathBuf, String> {
    if name_or_path.ends_with(".wasm") || name_or_path.contains('/') {
        let path = PathBuf::from(name_or_path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("plugin file {name_or_path} does not exist"))
        };
    }
    let dirs = search_path();
    let file_names = [
        format!("{name_or_path}.wasm"),
        format!("{}.wasm", name_or_path.replace('-', "_")),
    ];
    for dir in &dirs {
        for file in &file_names {
            let candidate = dir.join(file);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let known: Vec<String> = list_plugins().into_iter().map(|(name, _)| name).collect();
    let hint = crate::description::closest(name_or_path, known.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(format!(
        "no plugin named `{name_or_path}`{hint}; searched {}",
        dirs.iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Every `NAME.wasm` on the search path (first one wins for a name).
pub fn list_plugins() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in search_path() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut here: Vec<(String, PathBuf)> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm") && p.is_file())
            .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p)))
            .collect();
        here.sort();
        for (name, path) in here {
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, path));
            }
        }
    }
    found
}
