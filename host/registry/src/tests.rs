//! The registry against the tampering it promises to find, done with
//! SQLite itself as someone with the file would.

use super::*;

fn key(byte: u8) -> SigningKey {
    SigningKey::from_bytes(&[byte; 32])
}

fn asset(id: u64, title: &str) -> NewAsset {
    NewAsset {
        id,
        owner: "Newsroom".into(),
        title: title.into(),
        content_sha256: [id as u8; 32],
        watermark_key_id: "23815b065edc4828".into(),
    }
}

/// A registry of three assets in a temporary directory.
fn three() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("assets.db");
    let mut registry = Registry::create(&path, &key(1)).unwrap();
    for (id, title) in [(10, "Morning news"), (11, "Weather"), (12, "Sport")] {
        registry.register(&key(1), asset(id, title)).unwrap();
    }
    (dir, path)
}

/// Runs SQL on the file as an intruder: without the append-only
/// triggers.
fn tamper(path: &Path, sql: &str) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete;",
    )
    .unwrap();
    db.execute_batch(sql).unwrap();
}

fn problems(path: &Path) -> Vec<String> {
    Registry::open(path).unwrap().verify(None).unwrap().problems
}

#[test]
fn an_intact_registry_verifies_and_finds_its_assets() {
    let (_dir, path) = three();
    let registry = Registry::open(&path).unwrap();
    let report = registry.verify(Some(&key(1).verifying_key())).unwrap();
    assert_eq!(
        (report.entries, report.problems.len()),
        (3, 0),
        "{report:?}"
    );
    let weather = registry.find(11).unwrap().unwrap();
    assert_eq!((weather.seq, weather.asset.title.as_str()), (2, "Weather"));
    assert_eq!(registry.find(13).unwrap(), None);
    let seqs: Vec<u64> = registry.entries().unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    // The head is the last entry's hash.
    assert_eq!(report.head, registry.find(12).unwrap().unwrap().hash);
}

#[test]
fn the_database_refuses_updates_and_deletes() {
    let (_dir, path) = three();
    let db = rusqlite::Connection::open(&path).unwrap();
    let update = db.execute("UPDATE entries SET title = 'x' WHERE seq = 1", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = db.execute("DELETE FROM entries WHERE seq = 1", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn an_edited_entry_is_found() {
    let (_dir, path) = three();
    tamper(
        &path,
        "UPDATE entries SET owner = 'Someone else' WHERE seq = 2",
    );
    assert_eq!(
        problems(&path),
        ["entry 2 was edited (its hash does not match)"]
    );
}

#[test]
fn an_edit_with_its_hash_recomputed_is_found() {
    // The intruder recomputes the entry's hash but cannot sign it, and the
    // next entry still points at the old hash.
    let (_dir, path) = three();
    let registry = Registry::open(&path).unwrap();
    let mut e = registry.find(11).unwrap().unwrap();
    e.asset.owner = "Someone else".into();
    let hash = entry_hash(e.seq, &e.asset, e.registered, &e.prev_hash);
    drop(registry);
    tamper(
        &path,
        &format!(
            "UPDATE entries SET owner = 'Someone else', hash = x'{}' WHERE seq = 2",
            hex(&hash)
        ),
    );
    let found = problems(&path);
    assert!(
        found.contains(&"entry 2's signature is not the registry's".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(
            &"entry 3 does not follow the entry before it (entries removed, inserted or reordered)"
                .to_string()
        ),
        "{found:?}"
    );
}

#[test]
fn a_deleted_entry_is_found() {
    let (_dir, path) = three();
    tamper(&path, "DELETE FROM entries WHERE seq = 2");
    let found = problems(&path);
    assert!(
        found.iter().any(|p| p.starts_with("entry 2 is missing")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("signed head records 3 entries")),
        "{found:?}"
    );
}

#[test]
fn entries_removed_from_the_end_are_found() {
    let (_dir, path) = three();
    tamper(&path, "DELETE FROM entries WHERE seq = 3");
    assert_eq!(
        problems(&path),
        [
            "the signed head records 3 entries, the registry holds 2 (entries removed or added without the key)"
        ]
    );
}

#[test]
fn reordered_entries_are_found() {
    let (_dir, path) = three();
    tamper(
        &path,
        "UPDATE entries SET seq = 100 WHERE seq = 1; UPDATE entries SET seq = 1 WHERE seq = 2; UPDATE entries SET seq = 2 WHERE seq = 100;",
    );
    let found = problems(&path);
    assert!(
        found.contains(&"entry 1 was edited (its hash does not match)".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"entry 2 was edited (its hash does not match)".to_string()),
        "{found:?}"
    );
}

#[test]
fn a_registry_resigned_by_another_key_is_found_against_the_expected_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forged.db");
    let mut forged = Registry::create(&path, &key(2)).unwrap();
    forged.register(&key(2), asset(10, "Morning news")).unwrap();
    let report = forged.verify(Some(&key(1).verifying_key())).unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(
        report.problems[0].starts_with("it is signed by key "),
        "{report:?}"
    );
}

#[test]
fn a_duplicate_id_and_a_wrong_key_add_nothing() {
    let (_dir, path) = three();
    let mut registry = Registry::open(&path).unwrap();
    let err = registry
        .register(&key(1), asset(11, "Weather again"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("asset 0x000000000000000b is already registered (entry 2, \"Weather\""),
        "{err}"
    );
    let err = registry.register(&key(9), asset(20, "New")).unwrap_err();
    assert!(err.to_string().contains("is not this registry's"), "{err}");
    assert_eq!(registry.entries().unwrap().len(), 3);
    assert!(registry.verify(None).unwrap().problems.is_empty());
}

#[test]
fn a_tampered_registry_takes_no_new_entries() {
    let (_dir, path) = three();
    tamper(&path, "UPDATE entries SET title = 'x' WHERE seq = 1");
    let mut registry = Registry::open(&path).unwrap();
    let err = registry.register(&key(1), asset(20, "New")).unwrap_err();
    assert!(
        err.to_string()
            .contains("fails verification (entry 1 was edited"),
        "{err}"
    );
    assert_eq!(registry.entries().unwrap().len(), 3);
}

#[test]
fn damaged_missing_and_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let err = Registry::open(&missing).err().unwrap().to_string();
    assert!(err.contains("missing.db: no such file"), "{err}");
    assert!(!missing.exists());

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    let err = Registry::open(&garbage).err().unwrap().to_string();
    assert!(err.contains("garbage.db: not a database"), "{err}");
    // Left as it was.
    assert_eq!(std::fs::read(&garbage).unwrap(), vec![0x5a; 8192]);

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    let err = Registry::open(&foreign).err().unwrap().to_string();
    assert!(
        err.contains("foreign.db: not a Reel asset registry"),
        "{err}"
    );

    let err = Registry::create(&foreign, &key(1))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("foreign.db: exists"), "{err}");

    // A registry cut short (a truncated copy) is damaged, not a panic.
    let (_keep, path) = three();
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.db");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let outcome = Registry::open(&cut).and_then(|r| r.verify(None));
    match outcome {
        Err(e) => assert!(e.to_string().contains("cut.db"), "{e}"),
        Ok(report) => assert!(!report.problems.is_empty(), "{report:?}"),
    }
}

#[test]
fn keys_parse_from_hex_only() {
    assert!(signing_key(&"ab".repeat(32)).is_ok());
    assert!(signing_key("abc").is_err());
    assert!(public_key(&hex(&key(1).verifying_key().to_bytes())).is_ok());
}
