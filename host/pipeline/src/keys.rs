//! Secret keys outside the pipeline file: read from a key file (with a
//! warning when others may read it) or an environment variable. The
//! errors name the file or variable, never the key.

use std::path::Path;

/// A key's text and, when its file can be read by others, a warning.
pub struct KeyText {
    pub text: String,
    pub warning: Option<String>,
}

/// The text of a key file, trimmed; an empty one is refused.
pub fn read_key_file(path: &Path) -> Result<KeyText, String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("key file {shown}: cannot read: {e}"))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("key file {shown} is empty"));
    }
    let warning = readable_by_others(path).map(|mode| {
        format!("key file {shown} can be read by others (mode {mode:o}): chmod 600 {shown}")
    });
    Ok(KeyText {
        text: text.to_string(),
        warning,
    })
}

/// The key held by the environment variable `name`.
pub fn read_key_env(name: &str) -> Result<String, String> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => Ok(text.trim().to_string()),
        Ok(_) => Err(format!("the environment variable {name} is empty")),
        Err(_) => Err(format!("the environment variable {name} is not set")),
    }
}

/// Writes a new random key to `path` (mode 600), refusing to overwrite a
/// file that exists.
pub fn write_new_key(path: &Path) -> Result<reel_watermark::Key, String> {
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("no randomness for a key: {e}"))?;
    let key = reel_watermark::Key::from_bytes(bytes);
    let shown = path.display();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                format!("{shown} exists: a key is never overwritten")
            }
            _ => format!("{shown}: cannot create: {e}"),
        })?;
    file.write_all(format!("{}\n", key.to_hex()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            format!("{shown}: cannot write: {e}")
        })?;
    Ok(key)
}

/// The file's permission bits when others than its owner may read it.
fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}
