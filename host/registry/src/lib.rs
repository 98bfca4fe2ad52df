//! Reel's asset registry: who owns which watermark payload.
//!
//! An append-only SQLite database. Each entry records the asset ID (the
//! watermark payload), owner, title, the SHA-256 of its file, the id of
//! the watermark key and the time; each is hash-chained to the entry
//! before and signed with the registry's ed25519 key, and a signed head
//! records how many entries there are and the last one's hash. Editing,
//! deleting, reordering or removing entries from the end breaks a hash or
//! a signature, which [`Registry::verify`] reports by entry. (A copy of
//! the whole database from an earlier day stays valid: compare the head
//! [`Report::head`] with one kept elsewhere to catch a rollback.)
//!
//! The database also refuses updates and deletes with triggers, against
//! mistakes; the signatures are what hold against someone who drops them.

mod entry;
mod store;

use std::fmt;
use std::path::{Path, PathBuf};

use ed25519_dalek::Signer;

pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use entry::{Entry, NewAsset, from_hex, hex};
use entry::{entry_hash, genesis_hash, head_message};

/// Errors, each naming the registry file; never a key's secret half.
#[derive(Debug)]
pub enum RegistryError {
    /// Cannot open or create the file, or it is not a registry.
    Open { path: PathBuf, reason: String },
    /// A query failed (a disk error, a database changed under us).
    Database { path: PathBuf, reason: String },
    /// The asset ID is registered already.
    Duplicate { path: PathBuf, existing: Box<Entry> },
    /// The signing key is not the one the registry was made with.
    WrongKey {
        path: PathBuf,
        registry: String,
        given: String,
    },
    /// The registry fails verification: nothing is added to it.
    Tampered {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// A signing key that is not 64 hexadecimal digits.
    BadKey(String),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Open { path, reason } => {
                write!(f, "asset registry {}: {reason}", path.display())
            }
            RegistryError::Database { path, reason } => {
                write!(f, "asset registry {}: {reason}", path.display())
            }
            RegistryError::Duplicate { path, existing } => write!(
                f,
                "asset registry {}: asset {:#018x} is already registered (entry {}, \"{}\" by {}, {}); nothing was added",
                path.display(),
                existing.asset.id,
                existing.seq,
                existing.asset.title,
                existing.asset.owner,
                existing.registered_text()
            ),
            RegistryError::WrongKey {
                path,
                registry,
                given,
            } => write!(
                f,
                "asset registry {}: the signing key given (public key {given}) is not this registry's ({registry}); nothing was added",
                path.display()
            ),
            RegistryError::Tampered { path, problems } => write!(
                f,
                "asset registry {} fails verification ({}); nothing was added: run `reel asset verify`",
                path.display(),
                problems.join("; ")
            ),
            RegistryError::BadKey(reason) => write!(f, "signing key: {reason}"),
        }
    }
}

impl std::error::Error for RegistryError {}

/// A signing key from its file's text: 64 hexadecimal digits (the
/// format `reel asset keygen` writes).
pub fn signing_key(text: &str) -> Result<SigningKey, RegistryError> {
    entry::from_hex::<32>(text)
        .map(|bytes| SigningKey::from_bytes(&bytes))
        .ok_or_else(|| RegistryError::BadKey("not 64 hexadecimal digits".into()))
}

/// A public key from 64 hexadecimal digits.
pub fn public_key(text: &str) -> Result<VerifyingKey, RegistryError> {
    entry::from_hex::<32>(text)
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| RegistryError::BadKey("not a public key of 64 hexadecimal digits".into()))
}

/// SHA-256 of a file's contents.
pub fn content_hash(path: &Path) -> std::io::Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().into())
}

/// What verification found.
#[derive(Debug)]
pub struct Report {
    pub entries: u64,
    /// The last entry's hash (or the genesis hash when empty): keep it
    /// elsewhere to catch a rollback of the whole file.
    pub head: [u8; 32],
    pub public_key: [u8; 32],
    /// Each problem, naming its entry; empty when the registry is intact.
    pub problems: Vec<String>,
}

/// An open registry.
pub struct Registry {
    store: store::Store,
}

impl Registry {
    /// Creates a new, empty registry at `path` signed by `key`; refuses a
    /// file that exists.
    pub fn create(path: &Path, key: &SigningKey) -> Result<Registry, RegistryError> {
        let public = key.verifying_key().to_bytes();
        let head = key
            .sign(&head_message(0, &genesis_hash(&public)))
            .to_bytes();
        Ok(Registry {
            store: store::Store::create(path, &public, &head)?,
        })
    }

    /// Opens an existing registry.
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        Ok(Registry {
            store: store::Store::open(path)?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.store.path
    }

    /// The registry's public key.
    pub fn public_key(&self) -> Result<[u8; 32], RegistryError> {
        self.store.public_key()
    }

    /// Adds an asset, signed by `key`, after checking the registry is
    /// intact, the key is the registry's and the ID is new. All or
    /// nothing.
    pub fn register(&mut self, key: &SigningKey, asset: NewAsset) -> Result<Entry, RegistryError> {
        let path = self.store.path.clone();
        let public = self.public_key()?;
        let given = key.verifying_key().to_bytes();
        if given != public {
            return Err(RegistryError::WrongKey {
                path,
                registry: hex(&public),
                given: hex(&given),
            });
        }
        let report = self.verify(None)?;
        if !report.problems.is_empty() {
            return Err(RegistryError::Tampered {
                path,
                problems: report.problems,
            });
        }
        if let Some(existing) = self.find(asset.id)? {
            return Err(RegistryError::Duplicate {
                path,
                existing: Box::new(existing),
            });
        }
        let seq = report.entries + 1;
        let registered = chrono::Utc::now().timestamp();
        let hash = entry_hash(seq, &asset, registered, &report.head);
        let entry = Entry {
            seq,
            registered,
            prev_hash: report.head,
            hash,
            signature: key.sign(&hash).to_bytes(),
            asset,
        };
        let head = key.sign(&head_message(seq, &hash)).to_bytes();
        self.store.append(&entry, &head)?;
        Ok(entry)
    }

    /// The entry for an asset ID.
    pub fn find(&self, id: u64) -> Result<Option<Entry>, RegistryError> {
        self.store.find(id)
    }

    /// Every entry, in order.
    pub fn entries(&self) -> Result<Vec<Entry>, RegistryError> {
        self.store.entries()
    }

    /// Checks every entry's hash, link and signature and the head; with
    /// `expected`, also that the registry is signed by that key (a
    /// registry re-signed from scratch by someone else is found so).
    pub fn verify(&self, expected: Option<&VerifyingKey>) -> Result<Report, RegistryError> {
        self.store.integrity()?;
        let public = self.public_key()?;
        let mut problems = Vec::new();
        let Ok(verifier) = VerifyingKey::from_bytes(&public) else {
            problems.push("its public key is not a valid ed25519 key".into());
            return Ok(Report {
                entries: 0,
                head: [0; 32],
                public_key: public,
                problems,
            });
        };
        if let Some(expected) = expected
            && expected.to_bytes() != public
        {
            problems.push(format!(
                "it is signed by key {}, not the expected {}",
                hex(&public),
                hex(&expected.to_bytes())
            ));
        }
        let signed = |message: &[u8], signature: &[u8; 64]| {
            verifier
                .verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
                .is_ok()
        };
        let mut last = genesis_hash(&public);
        let entries = self.entries()?;
        for (i, entry) in entries.iter().enumerate() {
            let n = entry.seq;
            if n != i as u64 + 1 {
                problems.push(format!(
                    "entry {} is missing (the entry after {i} is numbered {n})",
                    i + 1
                ));
            }
            let hash = entry_hash(n, &entry.asset, entry.registered, &entry.prev_hash);
            if hash != entry.hash {
                problems.push(format!("entry {n} was edited (its hash does not match)"));
            } else if !signed(&hash, &entry.signature) {
                problems.push(format!("entry {n}'s signature is not the registry's"));
            }
            if entry.prev_hash != last {
                problems.push(format!(
                    "entry {n} does not follow the entry before it (entries removed, inserted or reordered)"
                ));
            }
            last = entry.hash;
        }
        let (count, head_hash, head_signature) = self.store.head()?;
        let count_now = entries.len() as u64;
        if !signed(&head_message(count, &head_hash), &head_signature) {
            problems.push("the head's signature is not the registry's".into());
        } else if count != count_now || head_hash != last {
            problems.push(format!(
                "the signed head records {count} entries, the registry holds {count_now} (entries removed or added without the key)"
            ));
        }
        Ok(Report {
            entries: count_now,
            head: last,
            public_key: public,
            problems,
        })
    }
}

#[cfg(test)]
mod tests;
