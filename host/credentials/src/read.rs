//! Reading an output's credentials back and validating them.

use std::path::Path;

use c2pa::{Context, Reader, ValidationState};
use serde_json::Value;

use crate::{ASSET_LABEL, CredentialsError, SOFT_BINDING_ALG, certificate};

/// What a file's Content Credentials say, and whether they hold.
#[derive(Debug, Clone)]
pub struct Found {
    /// The manifest is intact and its signature checks out.
    pub valid: bool,
    /// Why not, when it is not: C2PA status codes with explanations.
    pub problems: Vec<String>,
    /// Reel's asset record, when the manifest carries one.
    pub asset: Option<u64>,
    pub owner: Option<String>,
    pub asset_title: Option<String>,
    /// The watermark payload recorded as a soft binding.
    pub watermark: Option<u64>,
    /// The signing certificate's common name and its ed25519 key.
    pub signer: Option<String>,
    pub signer_key: Option<[u8; 32]>,
    pub signed_at: Option<String>,
    /// The recorded actions, in order.
    pub actions: Vec<String>,
}

impl Found {
    /// Whether the manifest's soft binding records `payload` as the
    /// watermark; None when it records no watermark.
    pub fn binds(&self, payload: u64) -> Option<bool> {
        self.watermark.map(|w| w == payload)
    }

    /// Whether it was signed with the registry key whose public half is
    /// `public`.
    pub fn signed_by(&self, public: &[u8; 32]) -> bool {
        self.signer_key.as_ref() == Some(public)
    }
}

/// Status codes that say only that the signer is not on a trust list:
/// the registry's own issuer is not, unless a validator adds it.
fn about_trust(code: &str) -> bool {
    code == "signingCredential.untrusted"
}

/// The credentials in `path`; None when it carries none.
pub fn read(path: &Path) -> Result<Option<Found>, CredentialsError> {
    let failed = |reason: String| CredentialsError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let reader = match Reader::from_context(Context::new()).with_file(path) {
        Ok(r) => r,
        Err(c2pa::Error::JumbfNotFound | c2pa::Error::ProvenanceMissing) => return Ok(None),
        Err(c2pa::Error::UnsupportedType) => return Ok(None),
        Err(e) => return Err(failed(e.to_string())),
    };
    let problems: Vec<String> = reader
        .validation_status()
        .unwrap_or_default()
        .iter()
        .filter(|s| !about_trust(s.code()))
        .map(|s| match s.explanation() {
            Some(why) => format!("{}: {why}", s.code()),
            None => s.code().to_string(),
        })
        .collect();
    let valid = reader.validation_state() != ValidationState::Invalid && problems.is_empty();
    let Some(manifest) = reader.active_manifest() else {
        return Ok(Some(Found {
            valid: false,
            problems: vec!["no active manifest".into()],
            asset: None,
            owner: None,
            asset_title: None,
            watermark: None,
            signer: None,
            signer_key: None,
            signed_at: None,
            actions: Vec::new(),
        }));
    };
    let asset: Option<Value> = manifest.find_assertion(ASSET_LABEL).ok();
    let text = |field: &str| {
        asset
            .as_ref()
            .and_then(|a| a.get(field))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let id = text("id").and_then(|id| u64::from_str_radix(id.trim_start_matches("0x"), 16).ok());
    let soft: Option<Value> = manifest.find_assertion("c2pa.soft-binding").ok();
    let watermark = soft
        .filter(|s| s.get("alg").and_then(Value::as_str) == Some(SOFT_BINDING_ALG))
        .and_then(|s| {
            let value = s.pointer("/blocks/0/value")?.as_str()?.to_string();
            u64::from_str_radix(&value, 16).ok()
        });
    let actions: Option<Value> = manifest.find_assertion("c2pa.actions.v2").ok();
    let actions = actions
        .as_ref()
        .and_then(|a| a.get("actions"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|a| a.get("action").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let signature = manifest.signature_info();
    Ok(Some(Found {
        valid,
        problems,
        asset: id,
        owner: text("owner"),
        asset_title: text("title"),
        watermark,
        signer: signature.and_then(|s| s.common_name.clone()),
        signer_key: signature.and_then(|s| certificate::signer_public_key(&s.cert_chain)),
        signed_at: signature.and_then(|s| s.time.clone()),
        actions,
    }))
}
