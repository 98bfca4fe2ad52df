//! The plugin catalog: where plugins are found by name. The `reel`
//! command, the pipeline library and the GStreamer elements each make one
//! and resolve names the same way; no path is baked in at build time.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Directories searched for `NAME.wasm`, in order.
#[derive(Clone, Debug)]
pub struct Catalog {
    dirs: Vec<PathBuf>,
}

impl Catalog {
    /// A catalog searching `dirs`, in order.
    pub fn new(dirs: Vec<PathBuf>) -> Catalog {
        Catalog { dirs }
    }

    /// Each directory of `REEL_PLUGIN_PATH` (colon-separated), then the
    /// plugin folders beside `program` (the running binary, or the loaded
    /// `libgstreel.so`): `../wasm32-wasip2/release` from its folder in a
    /// cargo build tree, `../share/reel/plugins` in an installation.
    pub fn from_env(program: Option<&Path>) -> Catalog {
        let mut dirs: Vec<PathBuf> = std::env::var_os("REEL_PLUGIN_PATH")
            .map(|p| {
                std::env::split_paths(&p)
                    .filter(|d| !d.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(folder) = program.and_then(Path::parent) {
            let up = folder.join("..");
            dirs.push(up.join("wasm32-wasip2/release"));
            dirs.push(up.join("share/reel/plugins"));
        }
        Catalog { dirs }
    }

    /// [`Catalog::from_env`] for the running executable.
    pub fn for_this_program() -> Catalog {
        Catalog::from_env(std::env::current_exe().ok().as_deref())
    }

    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The file for `name_or_path`: a path when it names a `.wasm` file or
    /// has a slash, else the first `NAME.wasm` (dashes may be underscores)
    /// in the catalog's directories.
    pub fn find(&self, name_or_path: &str) -> Result<PathBuf> {
        if name_or_path.ends_with(".wasm") || name_or_path.contains('/') {
            let path = PathBuf::from(name_or_path);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(Error::File {
                    path,
                    reason: "no such plugin file".into(),
                })
            };
        }
        let file_names = [
            format!("{name_or_path}.wasm"),
            format!("{}.wasm", name_or_path.replace('-', "_")),
        ];
        for dir in &self.dirs {
            for file in &file_names {
                let candidate = dir.join(file);
                if candidate.is_file() {
                    return Ok(candidate);
                }
            }
        }
        let known: Vec<String> = self.list().into_iter().map(|(name, _)| name).collect();
        Err(Error::NoSuchPlugin {
            name: name_or_path.to_string(),
            searched: self.dirs.clone(),
            suggestion: crate::description::closest(name_or_path, known.iter().map(String::as_str)),
        })
    }

    /// Every `NAME.wasm` in the catalog (the first one wins for a name).
    pub fn list(&self) -> Vec<(String, PathBuf)> {
        let mut found: Vec<(String, PathBuf)> = Vec::new();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugins_are_found_beside_the_program_in_order() {
        let root = tempfile::tempdir().unwrap();
        let build = root.path().join("target/wasm32-wasip2/release");
        std::fs::create_dir_all(&build).unwrap();
        std::fs::write(build.join("my_grade.wasm"), b"").unwrap();
        let program = root.path().join("target/release/reel");
        std::fs::create_dir_all(program.parent().unwrap()).unwrap();
        let catalog = Catalog::from_env(Some(&program));
        let found = catalog.find("my-grade").unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            build.join("my_grade.wasm").canonicalize().unwrap()
        );
        let err = catalog.find("my-grad").unwrap_err();
        assert!(
            matches!(&err, Error::NoSuchPlugin { suggestion: Some(s), .. } if s == "my_grade"),
            "{err}"
        );
        assert!(
            err.to_string().contains("did you mean `my_grade`?"),
            "{err}"
        );
    }
}
