//! The catalog: where plugins (`NAME.wasm`) and asset bundles (a folder of
//! fonts, images, LUTs a stage may read) are found by name. The `reel`
//! command, the pipeline library and the GStreamer elements each make one
//! and resolve names the same way; no path is baked in at build time.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Directories searched for `NAME.wasm`, and for asset bundles, in order.
#[derive(Clone, Debug)]
pub struct Catalog {
    dirs: Vec<PathBuf>,
    asset_dirs: Vec<PathBuf>,
}

impl Catalog {
    /// A catalog searching `dirs` for plugins, in order, and no asset
    /// bundles (see [`Catalog::with_asset_dirs`]).
    pub fn new(dirs: Vec<PathBuf>) -> Catalog {
        Catalog {
            dirs,
            asset_dirs: Vec::new(),
        }
    }

    /// The same catalog, finding asset bundles in `dirs`, in order.
    pub fn with_asset_dirs(mut self, dirs: Vec<PathBuf>) -> Catalog {
        self.asset_dirs = dirs;
        self
    }

    /// Plugins: each directory of `REEL_PLUGIN_PATH` (colon-separated),
    /// then the plugin folders beside `program` (the running binary, or the
    /// loaded `libgstreel.so`): `../wasm32-wasip2/release` from its folder
    /// in a cargo build tree, `../share/reel/plugins` in an installation.
    /// Asset bundles: each directory of `REEL_ASSET_PATH`, then
    /// `../share/reel/assets`, then, only when the program sits in a cargo
    /// build tree (`<repo>/target/<profile>/`, with the repository's
    /// `Cargo.toml`), the repository's `assets`. An installed program
    /// never reaches for a folder two levels above it.
    pub fn from_env(program: Option<&Path>) -> Catalog {
        let mut dirs = path_list("REEL_PLUGIN_PATH");
        let mut asset_dirs = path_list("REEL_ASSET_PATH");
        if let Some(folder) = program.and_then(Path::parent) {
            let up = folder.join("..");
            dirs.push(up.join("wasm32-wasip2/release"));
            dirs.push(up.join("share/reel/plugins"));
            asset_dirs.push(up.join("share/reel/assets"));
            let repo = up.join("..");
            if up.join("CACHEDIR.TAG").is_file() && repo.join("Cargo.toml").is_file() {
                asset_dirs.push(repo.join("assets"));
            }
        }
        Catalog { dirs, asset_dirs }
    }

    /// [`Catalog::from_env`] for the running executable.
    pub fn for_this_program() -> Catalog {
        Catalog::from_env(std::env::current_exe().ok().as_deref())
    }

    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    pub fn asset_dirs(&self) -> &[PathBuf] {
        &self.asset_dirs
    }

    /// The directory `name_or_path` names for a stage's assets: a path
    /// (relative to `base`, the folder of the file that names it) when it
    /// has a slash or such a directory exists, else the first bundle of
    /// that name in the catalog.
    pub fn find_assets(&self, name_or_path: &str, base: &Path) -> Result<PathBuf> {
        let local = base.join(name_or_path);
        if name_or_path.contains('/') || local.is_dir() {
            return if local.is_dir() {
                Ok(local)
            } else {
                Err(Error::File {
                    path: local,
                    reason: "no such asset directory".into(),
                })
            };
        }
        if let Some(found) = self
            .asset_dirs
            .iter()
            .map(|dir| dir.join(name_or_path))
            .find(|candidate| candidate.is_dir())
        {
            return Ok(found);
        }
        let known: Vec<String> = self
            .asset_bundles()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        Err(Error::NoSuchAssets {
            name: name_or_path.to_string(),
            searched: std::iter::once(base.to_path_buf())
                .chain(self.asset_dirs.iter().cloned())
                .collect(),
            suggestion: crate::description::closest(name_or_path, known.iter().map(String::as_str)),
        })
    }

    /// Every asset bundle in the catalog (the first one wins for a name).
    pub fn asset_bundles(&self) -> Vec<(String, PathBuf)> {
        first_of_each(&self.asset_dirs, |p| {
            p.is_dir()
                .then(|| p.file_name()?.to_str().map(str::to_string))?
        })
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
        first_of_each(&self.dirs, |p| {
            (p.extension().is_some_and(|e| e == "wasm") && p.is_file())
                .then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
    }
}

/// The directories of a colon-separated environment variable.
fn path_list(variable: &str) -> Vec<PathBuf> {
    std::env::var_os(variable)
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|d| !d.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The entries of `dirs` that `name` names, by name, sorted within each
/// directory, the first directory winning for a name.
fn first_of_each(
    dirs: &[PathBuf],
    name: impl Fn(&Path) -> Option<String>,
) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut here: Vec<(String, PathBuf)> = entries
            .flatten()
            .map(|e| e.path())
            .filter_map(|p| Some((name(&p)?, p)))
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

    /// A folder beside the pipeline file comes first, then the catalog's
    /// bundles; a path must exist; an unknown name gets a suggestion.
    #[test]
    fn asset_bundles_are_found_by_name_after_local_folders() {
        let root = tempfile::tempdir().unwrap();
        let shipped = root.path().join("assets");
        std::fs::create_dir_all(shipped.join("looks")).unwrap();
        std::fs::create_dir_all(shipped.join("fonts")).unwrap();
        let program = root.path().join("target/release/reel");
        std::fs::create_dir_all(program.parent().unwrap()).unwrap();
        // Not yet a build tree: the repository's assets are not searched.
        let installed = Catalog::from_env(Some(&program));
        assert!(
            !installed
                .asset_dirs()
                .iter()
                .any(|d| d.ends_with("../assets"))
        );
        std::fs::write(root.path().join("Cargo.toml"), "").unwrap();
        std::fs::write(root.path().join("target/CACHEDIR.TAG"), "").unwrap();
        let catalog = Catalog::from_env(Some(&program));
        let base = root.path().join("job");
        std::fs::create_dir_all(base.join("fonts")).unwrap();

        let found = catalog.find_assets("looks", &base).unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            shipped.join("looks").canonicalize().unwrap()
        );
        assert_eq!(
            catalog.find_assets("fonts", &base).unwrap(),
            base.join("fonts")
        );
        assert!(matches!(
            catalog.find_assets("./nowhere", &base),
            Err(Error::File { .. })
        ));
        let err = catalog.find_assets("lokks", &base).unwrap_err();
        assert!(
            matches!(&err, Error::NoSuchAssets { suggestion: Some(s), .. } if s == "looks"),
            "{err}"
        );
        let names: Vec<String> = catalog
            .asset_bundles()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        // (REEL_ASSET_PATH, when set, may add more.)
        assert!(
            names.contains(&"fonts".to_string()) && names.contains(&"looks".to_string()),
            "{names:?}"
        );
    }
}
