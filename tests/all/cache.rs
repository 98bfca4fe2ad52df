//! The compile cache: a second start loads the artefact the first one
//! sealed; anything tampered with or planted is ignored and rebuilt.

use reel_runtime::{Origin, Runtime};
use reel_tests::plugin_path;

fn cwasm_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect()
}

#[test]
fn second_start_comes_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path("passthrough");
    let first = Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    assert_eq!(first.origin, Origin::Compiled);
    let second = Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    assert_eq!(second.origin, Origin::FromCache);
    assert_eq!(second.description.name, "passthrough");
}

#[test]
fn tampered_or_planted_artefacts_are_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path("invert");
    Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    let files = cwasm_files(dir.path());
    assert_eq!(files.len(), 1);

    // Flip one byte of the machine code: the seal no longer verifies.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&files[0], &bytes).unwrap();
    let again = Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    assert_eq!(
        again.origin,
        Origin::Compiled,
        "a tampered artefact was used"
    );

    // An artefact serialized by someone else (a valid one, but not sealed
    // with this cache's key) is ignored too.
    let other = tempfile::tempdir().unwrap();
    Runtime::new(Some(other.path()))
        .unwrap()
        .load(&path)
        .unwrap();
    let foreign = cwasm_files(other.path()).remove(0);
    std::fs::copy(&foreign, dir.path().join(foreign.file_name().unwrap())).unwrap();
    let planted = Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    assert_eq!(
        planted.origin,
        Origin::Compiled,
        "a planted artefact was used"
    );
    // The rebuilt artefact is sealed again and used next time.
    let next = Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    assert_eq!(next.origin, Origin::FromCache);
}
