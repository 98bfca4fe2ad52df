//! What an output's manifest says, and signing it into the file.

use std::path::{Path, PathBuf};

use c2pa::{Builder, Context, SigningAlg};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use crate::{ASSET_LABEL, CredentialsError, SOFT_BINDING_ALG, certificate, hex};

/// What a Reel output is and how it was made.
pub struct Claim {
    /// The output's title (its file name).
    pub title: String,
    /// The asset ID (the watermark payload when there is a watermark).
    pub asset: u64,
    pub owner: String,
    /// The asset's own title, when the pipeline gives one.
    pub asset_title: Option<String>,
    /// The sources: the first file is the output's parent, the others
    /// were placed into it.
    pub sources: Vec<Source>,
    /// What the stages did, in pipeline order.
    pub actions: Vec<Action>,
    /// The invisible watermark carried by the video, recorded as a soft
    /// binding so that a copy stripped of its manifest can be found again.
    pub watermark: Option<Watermark>,
}

/// A source of the output.
pub enum Source {
    /// A file: recorded as an ingredient, with its own credentials when it
    /// carries them.
    File { id: String, path: PathBuf },
    /// Pictures made by the pipeline (a test pattern).
    Generated { id: String },
    /// A live capture (a camera, a network stream).
    Captured { id: String },
}

/// One step of the pipeline, as a C2PA action.
pub struct Action {
    /// A C2PA action name (`c2pa.watermarked`, `c2pa.color_adjustments`...).
    pub action: String,
    pub description: String,
    /// What did it: the plugin's name and version.
    pub agent: String,
}

pub struct Watermark {
    pub payload: u64,
    /// The watermark key's public id (never the key).
    pub key_id: String,
}

const SOURCE_TYPE: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/";

/// The MIME type C2PA reads a file as, for the formats it can carry
/// credentials in.
fn c2pa_format(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        _ => return None,
    })
}

fn source_label(id: &str) -> String {
    format!("source-{id}")
}

impl Claim {
    /// The manifest definition, ingredients aside.
    fn definition(&self, registry_key: &[u8; 32]) -> Value {
        let mut actions = Vec::new();
        let files: Vec<&String> = self
            .sources
            .iter()
            .filter_map(|s| match s {
                Source::File { id, .. } => Some(id),
                _ => None,
            })
            .collect();
        match files.split_first() {
            Some((parent, placed)) => {
                actions.push(json!({
                    "action": "c2pa.opened",
                    "parameters": { "ingredientIds": [source_label(parent)] },
                }));
                for id in placed {
                    actions.push(json!({
                        "action": "c2pa.placed",
                        "parameters": { "ingredientIds": [source_label(id)] },
                    }));
                }
            }
            None => {
                let captured = self
                    .sources
                    .iter()
                    .any(|s| matches!(s, Source::Captured { .. }));
                let kind = if captured {
                    "digitalCapture"
                } else {
                    "algorithmicMedia"
                };
                actions.push(json!({
                    "action": "c2pa.created",
                    "digitalSourceType": format!("{SOURCE_TYPE}{kind}"),
                }));
            }
        }
        for a in &self.actions {
            actions.push(json!({
                "action": a.action,
                "description": a.description,
                "softwareAgent": { "name": a.agent },
            }));
        }
        let mut asset = json!({
            "id": format!("{:#018x}", self.asset),
            "owner": self.owner,
            "registry_key": hex(registry_key),
        });
        if let Some(t) = &self.asset_title {
            asset["title"] = json!(t);
        }
        let mut assertions = vec![
            json!({ "label": "c2pa.actions.v2", "data": { "actions": actions } }),
            json!({ "label": ASSET_LABEL, "data": asset }),
        ];
        if let Some(w) = &self.watermark {
            assertions.push(json!({
                "label": "c2pa.soft-binding",
                "data": {
                    "alg": SOFT_BINDING_ALG,
                    "alg-params": format!("key-id={}", w.key_id),
                    "blocks": [{ "scope": {}, "value": format!("{:016x}", w.payload) }],
                },
            }));
        }
        json!({
            "claim_generator_info": [{ "name": "Reel", "version": env!("CARGO_PKG_VERSION") }],
            "title": self.title,
            "format": c2pa_format(Path::new(&self.title)).unwrap_or("video/mp4"),
            "assertions": assertions,
        })
    }

    /// Writes `source` (in the format the title's extension names) with
    /// this claim signed into it to `dest`, which must not exist. The signing certificate names the owner and is
    /// issued by the registry's issuer (see [`crate::issuer_pem`]).
    pub fn sign(
        &self,
        key: &SigningKey,
        source: &Path,
        dest: &Path,
    ) -> Result<(), CredentialsError> {
        let failed = |reason: String| CredentialsError::Sign {
            path: dest.to_path_buf(),
            reason,
        };
        let registry_key = key.verifying_key().to_bytes();
        let definition = self.definition(&registry_key).to_string();
        let mut builder = Builder::from_context(Context::new())
            .with_definition(definition.as_str())
            .map_err(|e| failed(format!("the manifest: {e}")))?;
        let mut parent = true;
        for s in &self.sources {
            let Source::File { id, path } = s else {
                continue;
            };
            let title = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| id.clone());
            let relationship = if parent { "parentOf" } else { "componentOf" };
            parent = false;
            let mut ingredient = json!({
                "title": title,
                "relationship": relationship,
                "label": source_label(id),
            });
            match c2pa_format(path) {
                Some(format) => {
                    let mut file = std::fs::File::open(path)
                        .map_err(|e| failed(format!("source {}: {e}", path.display())))?;
                    builder
                        .add_ingredient_from_stream(ingredient.to_string(), format, &mut file)
                        .map_err(|e| failed(format!("source {}: {e}", path.display())))?;
                }
                None => {
                    // A container C2PA cannot read (Matroska, WebM):
                    // named, without credentials of its own.
                    ingredient["format"] = json!("application/octet-stream");
                    let ingredient = c2pa::Ingredient::from_json(&ingredient.to_string())
                        .map_err(|e| failed(format!("source {}: {e}", path.display())))?;
                    builder.add_ingredient(ingredient);
                }
            }
        }
        let chain = certificate::chain(key, &self.owner)?;
        let signer = c2pa::create_signer::from_keys(
            chain.certificates_pem.as_bytes(),
            chain.private_key_pem.as_bytes(),
            SigningAlg::Ed25519,
            None,
        )
        .map_err(|e| failed(format!("the signer: {e}")))?;
        let format = c2pa_format(Path::new(&self.title))
            .ok_or_else(|| failed(format!("{} is not a format C2PA signs here", self.title)))?;
        let mut input = std::fs::File::open(source)
            .map_err(|e| failed(format!("{}: {e}", source.display())))?;
        // Never over something that exists (C2PA's own sign_file truncates).
        let mut output = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(dest)
            .map_err(|e| failed(e.to_string()))?;
        if let Err(e) = builder.sign(&*signer, format, &mut input, &mut output) {
            drop(output);
            let _ = std::fs::remove_file(dest);
            return Err(failed(e.to_string()));
        }
        Ok(())
    }
}
