//! A loaded plugin: its compiled component, its contract version and its
//! self-description.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmtime::component::{Component, Linker};

use crate::cache::Origin;
use crate::description::{Description, StageKind};
use crate::error::{Error, Result};
use crate::guest::PluginPre;
use crate::instance::{Live, TimeLimit};
use crate::sandbox::{GuestOutput, SandboxConfig, StoreState};

/// The contract this host implements (the WIT package version).
pub const CONTRACT_VERSION: &str = "0.1.7";
const STAGE_INTERFACE: &str = "reel:plugin/stage@";
const AUDIO_INTERFACE: &str = "reel:plugin/audio@";
/// CPU time starting a plugin and its `describe` may take.
const DESCRIBE_GUARD: Duration = Duration::from_secs(5);

pub struct Plugin {
    pub path: PathBuf,
    pub description: Description,
    pub origin: Origin,
    /// Time to compile (or fetch from the cache) the component.
    pub load_time: Duration,
    /// It imports `audio` (contract 0.1.6): it follows the programme's
    /// sound, and a pipeline wires sound to it.
    pub follows_sound: bool,
    pub(crate) pre: PluginPre<StoreState>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("name", &self.description.name)
            .finish()
    }
}

/// Whether a plugin built against `theirs` can run on a host speaking
/// `ours`: same major version, and for 0.x the same minor too (semver).
pub fn compatible(ours: &str, theirs: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    match (parse(ours), parse(theirs)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

/// What to say when a plugin needs imports this host lacks: a plugin built
/// against a newer minor contract than the host's may use additions the
/// host does not have yet.
fn missing_imports(ours: &str, theirs: &str) -> String {
    let numbers = |v: &str| -> Vec<u64> { v.split('.').filter_map(|n| n.parse().ok()).collect() };
    if numbers(theirs) > numbers(ours) {
        format!(
            "it was built against reel:plugin@{theirs}, newer than this host's reel:plugin@{ours}, and uses what this host does not have yet; update Reel, or rebuild the plugin with an SDK for {ours}"
        )
    } else {
        "it needs imports this host does not provide".to_string()
    }
}

/// The version of `reel:plugin` a component exports its stage under.
fn contract_version(engine: &wasmtime::Engine, component: &Component) -> Result<String, String> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    exports
        .iter()
        .find_map(|name| name.strip_prefix(STAGE_INTERFACE).map(str::to_string))
        .ok_or_else(|| {
            format!(
                "it is not a Reel plugin: it exports no `reel:plugin/stage` interface (it exports: {})",
                if exports.is_empty() { "nothing".to_string() } else { exports.join(", ") }
            )
        })
}

impl Plugin {
    /// Ok when the plugin is a `kind` stage.
    pub fn expect_kind(&self, kind: StageKind) -> Result<()> {
        if self.description.kind == kind {
            Ok(())
        } else {
            Err(Error::WrongKind {
                plugin: self.description.name.clone(),
                is: self.description.kind,
                wanted: kind,
            })
        }
    }

    /// Checks the component's contract version, links it, and starts it
    /// once to read its description. The error says why, for the user.
    pub(crate) fn new(
        linker: &Linker<StoreState>,
        path: &Path,
        component: Component,
        origin: Origin,
        load_time: Duration,
    ) -> Result<Plugin, String> {
        let contract = contract_version(linker.engine(), &component)?;
        if !compatible(CONTRACT_VERSION, &contract) {
            return Err(format!(
                "it was built against plugin contract reel:plugin@{contract}, but this host speaks reel:plugin@{CONTRACT_VERSION}; rebuild it with a matching SDK"
            ));
        }
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| format!("{}: {e:#}", missing_imports(CONTRACT_VERSION, &contract)))?;
        let pre = PluginPre::new(pre).map_err(|e| format!("{e:#}"))?;
        // `describe` runs in a sandbox like any other guest call, guarded
        // on its CPU time (a big plugin starting on a busy machine is not
        // hung), its waits on the same time in wall clock.
        let limit = TimeLimit::HangGuard(DESCRIBE_GUARD);
        let sandbox = SandboxConfig::default();
        let mut live = Live::instantiate(&pre, &sandbox, limit, &GuestOutput::default())
            .map_err(|failure| format!("starting it failed: {}", failure.reason))?;
        let description = live.describe(&contract).map_err(|failure| {
            if failure.fatal {
                format!("`describe` failed: {}", failure.reason)
            } else {
                failure.reason
            }
        })?;
        let follows_sound = component
            .component_type()
            .imports(linker.engine())
            .any(|(name, _)| name.starts_with(AUDIO_INTERFACE));
        Ok(Plugin {
            path: path.to_path_buf(),
            description,
            origin,
            load_time,
            follows_sound,
            pre,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::compatible;

    /// The version lives in the WIT package, the SDK and this host: they
    /// must agree.
    #[test]
    fn contract_version_matches_the_wit_and_the_sdk() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk");
        let wit = std::fs::read_to_string(root.join("wit/plugin.wit")).unwrap();
        let package = format!("package reel:plugin@{};", super::CONTRACT_VERSION);
        assert!(
            wit.contains(&package),
            "sdk/wit/plugin.wit does not say {package}"
        );
        let sdk = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        let constant = format!(
            "pub const CONTRACT_VERSION: &str = \"{}\";",
            super::CONTRACT_VERSION
        );
        assert!(
            sdk.contains(&constant),
            "sdk/src/lib.rs does not say {constant}"
        );
    }

    #[test]
    fn a_newer_plugin_is_told_apart() {
        let newer = super::missing_imports("0.1.2", "0.1.12");
        assert!(
            newer.contains("newer than this host's reel:plugin@0.1.2"),
            "{newer}"
        );
        let older = super::missing_imports("0.1.2", "0.1.0");
        assert_eq!(older, "it needs imports this host does not provide");
    }

    #[test]
    fn semver_compatibility() {
        assert!(compatible("0.1.0", "0.1.3"));
        assert!(!compatible("0.1.0", "0.2.0"));
        assert!(compatible("1.2.0", "1.0.0"));
        assert!(!compatible("1.0.0", "2.0.0"));
        assert!(!compatible("0.1.0", "garbage"));
    }
}
