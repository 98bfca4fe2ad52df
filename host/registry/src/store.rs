//! The registry's SQLite tables. Hashes and signatures are checked by
//! the caller; this only stores and reads.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use crate::RegistryError;
use crate::entry::{Entry, NewAsset};

/// Bumped when the tables change; older files are read by migration.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE registry (
    schema_version INTEGER NOT NULL,
    public_key BLOB NOT NULL
);
CREATE TABLE head (
    entries INTEGER NOT NULL,
    last_hash BLOB NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    asset_id INTEGER NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    content_sha256 BLOB NOT NULL,
    watermark_key_id TEXT NOT NULL,
    registered INTEGER NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    signature BLOB NOT NULL
);
CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the asset registry is append-only'); END;
CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the asset registry is append-only'); END;
";

pub struct Store {
    pub path: PathBuf,
    db: Connection,
}

impl Store {
    pub fn create(path: &Path, public: &[u8; 32], head: &[u8; 64]) -> Result<Store, RegistryError> {
        let open_error = |reason: String| RegistryError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if path.exists() {
            return Err(open_error(
                "exists: a new registry is never made over a file".into(),
            ));
        }
        let mut db = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
        .map_err(|e| open_error(format!("cannot create: {e}")))?;
        let made = (|| {
            let tx = db.transaction()?;
            tx.execute_batch(SCHEMA)?;
            tx.execute(
                "INSERT INTO registry (schema_version, public_key) VALUES (?1, ?2)",
                params![SCHEMA_VERSION, &public[..]],
            )?;
            let genesis = crate::entry::genesis_hash(public);
            tx.execute(
                "INSERT INTO head (entries, last_hash, signature) VALUES (0, ?1, ?2)",
                params![&genesis[..], &head[..]],
            )?;
            tx.commit()
        })();
        if let Err(e) = made {
            drop(db);
            let _ = std::fs::remove_file(path);
            return Err(open_error(format!("cannot create: {e}")));
        }
        Ok(Store {
            path: path.to_path_buf(),
            db,
        })
    }

    pub fn open(path: &Path) -> Result<Store, RegistryError> {
        let open_error = |reason: String| RegistryError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_file() {
            return Err(open_error(
                "no such file (`reel asset register` makes one with its first asset)".into(),
            ));
        }
        // Never created here: a mistyped name is an error, not a new file.
        let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| open_error(format!("cannot open: {e}")))?;
        let version: i64 = db
            .query_row("SELECT schema_version FROM registry", [], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    open_error("not a database (damaged, or another kind of file)".into())
                }
                rusqlite::Error::SqliteFailure(..) => {
                    open_error(format!("not a Reel asset registry, or damaged ({e})"))
                }
                _ => open_error(format!("not a Reel asset registry ({e})")),
            })?;
        if version != SCHEMA_VERSION {
            return Err(open_error(format!(
                "made by a Reel with registry schema {version}; this Reel reads schema {SCHEMA_VERSION}"
            )));
        }
        Ok(Store {
            path: path.to_path_buf(),
            db,
        })
    }

    fn error(&self, e: rusqlite::Error) -> RegistryError {
        RegistryError::Database {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// SQLite's own check of the file's structure.
    pub fn integrity(&self) -> Result<(), RegistryError> {
        let result: String = self
            .db
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| self.error(e))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(RegistryError::Database {
                path: self.path.clone(),
                reason: format!("the database is damaged: {result}"),
            })
        }
    }

    pub fn public_key(&self) -> Result<[u8; 32], RegistryError> {
        let bytes: Vec<u8> = self
            .db
            .query_row("SELECT public_key FROM registry", [], |r| r.get(0))
            .map_err(|e| self.error(e))?;
        bytes.try_into().map_err(|_| RegistryError::Database {
            path: self.path.clone(),
            reason: "its public key is not 32 bytes".into(),
        })
    }

    /// The signed head: entry count, last hash, signature.
    pub fn head(&self) -> Result<(u64, [u8; 32], [u8; 64]), RegistryError> {
        self.db
            .query_row("SELECT entries, last_hash, signature FROM head", [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, blob(r, 1)?, blob(r, 2)?))
            })
            .map_err(|e| self.error(e))
    }

    /// Adds an entry and moves the head, in one transaction.
    pub fn append(&mut self, entry: &Entry, head: &[u8; 64]) -> Result<(), RegistryError> {
        let a = &entry.asset;
        let result = (|| {
            let tx = self.db.transaction()?;
            tx.execute(
                "INSERT INTO entries (seq, asset_id, owner, title, content_sha256, watermark_key_id, registered, prev_hash, hash, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    entry.seq as i64,
                    a.id as i64,
                    a.owner,
                    a.title,
                    &a.content_sha256[..],
                    a.watermark_key_id,
                    entry.registered,
                    &entry.prev_hash[..],
                    &entry.hash[..],
                    &entry.signature[..],
                ],
            )?;
            let moved = tx.execute(
                "UPDATE head SET entries = ?1, last_hash = ?2, signature = ?3",
                params![entry.seq as i64, &entry.hash[..], &head[..]],
            )?;
            if moved != 1 {
                return Err(rusqlite::Error::StatementChangedRows(moved));
            }
            tx.commit()
        })();
        result.map_err(|e| self.error(e))
    }

    pub fn find(&self, id: u64) -> Result<Option<Entry>, RegistryError> {
        self.db
            .query_row(
                &format!("SELECT {COLUMNS} FROM entries WHERE asset_id = ?1"),
                params![id as i64],
                entry,
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    pub fn entries(&self) -> Result<Vec<Entry>, RegistryError> {
        let mut statement = self
            .db
            .prepare(&format!("SELECT {COLUMNS} FROM entries ORDER BY seq"))
            .map_err(|e| self.error(e))?;
        let rows = statement.query_map([], entry).map_err(|e| self.error(e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(e))
    }
}

const COLUMNS: &str = "seq, asset_id, owner, title, content_sha256, watermark_key_id, registered, prev_hash, hash, signature";

fn entry(r: &Row) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: r.get::<_, i64>(0)? as u64,
        asset: NewAsset {
            id: r.get::<_, i64>(1)? as u64,
            owner: r.get(2)?,
            title: r.get(3)?,
            content_sha256: blob(r, 4)?,
            watermark_key_id: r.get(5)?,
        },
        registered: r.get(6)?,
        prev_hash: blob(r, 7)?,
        hash: blob(r, 8)?,
        signature: blob(r, 9)?,
    })
}

/// A fixed-size blob; one of another size reads as a conversion error
/// (a damaged or edited row).
fn blob<const N: usize>(r: &Row, i: usize) -> rusqlite::Result<[u8; N]> {
    let bytes: Vec<u8> = r.get(i)?;
    bytes.try_into().map_err(|v: Vec<u8>| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Blob,
            format!("{} bytes where {N} belong", v.len()).into(),
        )
    })
}
