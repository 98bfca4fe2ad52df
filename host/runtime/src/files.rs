//! Reading files the host hands to plugins or keeps for them (plugin
//! binaries, compiled artefacts, images for decoders) without being led
//! astray: only regular files, opened without blocking (a FIFO would hang
//! the read), optionally without following a symlink, and never more than a
//! stated size (a link to /dev/zero, or a 2 GB file, is not read whole).

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The contents of the regular file at `path`, refused when larger than
/// `max` bytes. With `no_follow`, a symlink is refused too.
pub(crate) fn read_regular(path: &Path, max: u64, no_follow: bool) -> Result<Vec<u8>, String> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if no_follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) if no_follow => "is a symbolic link".to_string(),
            _ => e.to_string(),
        })?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.file_type().is_file() {
        return Err("is not a regular file".into());
    }
    if meta.len() > max {
        return Err(format!(
            "is {} bytes, more than the {max} allowed",
            meta.len()
        ));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // The file may grow while it is read: never take more than `max`.
    file.take(max + 1)
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    if data.len() as u64 > max {
        return Err(format!(
            "grew past the {max} bytes allowed while it was read"
        ));
    }
    Ok(data)
}

/// Most entries an asset directory may hold (it is walked at each start).
const MAX_ASSET_ENTRIES: usize = 100_000;

/// Checks that everything under an asset directory is a regular file or a
/// directory (links are followed): a plugin that opens a FIFO or a device
/// there would block in the host, where no deadline reaches it.
pub fn check_asset_dir(dir: &Path) -> crate::Result<()> {
    walk_asset_dir(dir).map_err(|reason| crate::Error::File {
        path: dir.to_path_buf(),
        reason,
    })
}

fn walk_asset_dir(dir: &Path) -> Result<(), String> {
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|e| match current == dir {
            true => format!("cannot be read: {e}"),
            false => format!("cannot read {}: {e}", current.display()),
        })?;
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ASSET_ENTRIES {
                return Err(format!(
                    "the asset directory holds more than {MAX_ASSET_ENTRIES} entries"
                ));
            }
            let path = entry.path();
            // Follow links: what the plugin would open is what they point to.
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => {}
                Ok(m) if m.is_dir() => {
                    // A link to a directory is not walked twice (loops).
                    if !entry.file_type().is_ok_and(|t| t.is_symlink()) {
                        pending.push(path);
                    }
                }
                Ok(_) => {
                    return Err(format!(
                        "{} in the asset directory is not a regular file (a FIFO, socket or device would hang a plugin that opens it)",
                        path.display()
                    ));
                }
                // A dangling link: the plugin will simply not find it.
                Err(_) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_size_are_read() {
        let dir = tempdir();
        let file = dir.join("a.bin");
        std::fs::write(&file, [7u8; 100]).unwrap();
        assert_eq!(read_regular(&file, 100, true).unwrap().len(), 100);
        assert!(
            read_regular(&file, 99, true)
                .unwrap_err()
                .contains("more than")
        );
        let link = dir.join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert_eq!(
            read_regular(&link, 1 << 20, true).unwrap_err(),
            "is a symbolic link"
        );
        assert_eq!(
            read_regular(&link, 1 << 20, false).unwrap_err(),
            "is not a regular file"
        );
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo has no other input.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(
            read_regular(&fifo, 100, false).unwrap_err(),
            "is not a regular file"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("reel-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

#[cfg(test)]
mod asset_tests {
    use super::*;

    #[test]
    fn asset_directories_hold_only_files_and_directories() {
        let dir = std::env::temp_dir().join(format!("reel-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("fonts/sub")).unwrap();
        std::fs::write(dir.join("fonts/sub/a.ttf"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.join("fonts"), dir.join("loop")).unwrap();
        assert!(check_asset_dir(&dir).is_ok());
        let fifo = dir.join("fonts/sub/pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = check_asset_dir(&dir).unwrap_err();
        assert!(
            err.to_string()
                .contains("pipe in the asset directory is not a regular file"),
            "{err}"
        );
        std::fs::remove_file(&fifo).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
        assert!(check_asset_dir(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
