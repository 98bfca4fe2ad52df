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
