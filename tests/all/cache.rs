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

/// What stands at an artefact's place may be anything a local user could
/// put there: a link to an endless device, a FIFO no one writes to. The
/// cache reads neither (no hang, no 3 GB read) and compiles afresh.
#[test]
fn links_and_fifos_in_the_cache_are_neither_followed_nor_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = plugin_path("invert");
    Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    let artefact = cwasm_files(dir.path()).remove(0);

    std::fs::remove_file(&artefact).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &artefact).unwrap();
    let started = std::time::Instant::now();
    let linked = Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    assert_eq!(linked.origin, Origin::Compiled);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // It was replaced by a sealed artefact of its own.
    assert!(std::fs::symlink_metadata(&artefact).unwrap().is_file());

    std::fs::remove_file(&artefact).unwrap();
    let name = std::ffi::CString::new(artefact.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let fifo = Runtime::new(Some(dir.path())).unwrap().load(&path).unwrap();
    assert_eq!(fifo.origin, Origin::Compiled);
}

/// A cache that cannot be used is not silent: the runtime says why.
#[test]
fn a_cache_that_cannot_be_opened_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let runtime = Runtime::new(Some(&not_a_dir)).unwrap();
    let warning = runtime.cache_warning().expect("a warning");
    assert!(warning.contains("not cached"), "{warning}");
    assert!(warning.contains(not_a_dir.to_str().unwrap()), "{warning}");
    // Plugins still load, compiled every time.
    let plugin = runtime.load(&plugin_path("passthrough")).unwrap();
    assert_eq!(plugin.origin, Origin::Compiled);
    assert!(
        Runtime::new(Some(dir.path()))
            .unwrap()
            .cache_warning()
            .is_none()
    );
}
