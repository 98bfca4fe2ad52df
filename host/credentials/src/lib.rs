//! Content Credentials (C2PA) for Reel's outputs.
//!
//! A finished MP4 or MOV gets a signed manifest: the asset ID and owner
//! (Reel's `org.reel.asset` assertion), the sources as ingredients (with
//! their own credentials when they carry them), each stage as an action,
//! and the invisible watermark as a soft binding. It is signed with the
//! asset registry's ed25519 key through a certificate issued by an issuer
//! derived from that key ([`issuer_pem`]): validators that add the issuer
//! to their trust anchors trust the registry's outputs; others still find
//! the manifest valid (intact and correctly signed) but its signer unknown.

mod certificate;
mod claim;
mod read;

use std::path::PathBuf;

pub use certificate::issuer_pem;
pub use claim::{Action, Claim, Source, Watermark};
pub use ed25519_dalek::SigningKey;
pub use read::{Found, read};

/// Reel's own assertion: the asset record.
pub const ASSET_LABEL: &str = "org.reel.asset";

/// The soft binding algorithm: Reel's invisible watermark, whose value is
/// the 64-bit payload as 16 hexadecimal digits. (Not on the C2PA soft
/// binding algorithm list; named in reverse-domain form as C2PA asks of
/// entity-specific names.)
pub const SOFT_BINDING_ALG: &str = "org.reel.watermark.1";

/// Errors name the file; never a key.
#[derive(Debug)]
pub enum CredentialsError {
    Certificate(String),
    Sign { path: PathBuf, reason: String },
    Read { path: PathBuf, reason: String },
}

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsError::Certificate(reason) => {
                write!(f, "Content Credentials certificate: {reason}")
            }
            CredentialsError::Sign { path, reason } => write!(
                f,
                "{}: cannot sign its Content Credentials: {reason}",
                path.display()
            ),
            CredentialsError::Read { path, reason } => write!(
                f,
                "{}: cannot read its Content Credentials: {reason}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CredentialsError {}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
