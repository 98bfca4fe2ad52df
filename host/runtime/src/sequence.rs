//! Numbered image sequences (`logo_%04d.png`) for decoder stages: the host
//! finds and reads the files, the sandboxed decoder parses them.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::frame::HostFrame;
use crate::stage::Stage;

/// Largest file handed to a decoder.
const MAX_FILE_BYTES: u64 = 64 << 20;
/// The largest picture a decoder may produce unless the source allows
/// more: every side of 4K (DCI and UHD) and square graphics up to 4096.
pub const DEFAULT_MAX_PICTURE: (u32, u32) = (4096, 4096);

/// The largest picture side a source may allow a decoder.
pub const MAX_PICTURE_SIDE: u32 = 16384;

/// `WIDTHxHEIGHT` with each side 1..=`max`: how pipeline files and element
/// properties write a picture size.
pub fn parse_size(text: &str, max: u32) -> Option<(u32, u32)> {
    let (w, h) = text.split_once(['x', 'X'])?;
    let (w, h): (u32, u32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    ((1..=max).contains(&w) && (1..=max).contains(&h)).then_some((w, h))
}

/// The files of `pattern`, which holds one printf-style number (`%d` or
/// `%0Nd`, as GStreamer's multifilesrc `location`), in order: from index
/// 0 or 1, whichever exists, up to the first gap.
pub fn numbered_files(pattern: &str) -> Result<Vec<PathBuf>> {
    numbered_files_text(pattern).map_err(Error::Sequence)
}

fn numbered_files_text(pattern: &str) -> std::result::Result<Vec<PathBuf>, String> {
    let start = pattern
        .find('%')
        .ok_or_else(|| format!("`{pattern}` has no %d for the frame number"))?;
    let rest = &pattern[start + 1..];
    let spec_len = rest
        .find('d')
        .ok_or_else(|| format!("`{pattern}`: the number must be written %d or %0Nd"))?;
    let spec = &rest[..spec_len];
    if !spec.chars().all(|c| c.is_ascii_digit()) || (!spec.is_empty() && !spec.starts_with('0')) {
        return Err(format!(
            "`{pattern}`: the number must be written %d or %0Nd"
        ));
    }
    let width: usize = spec.parse().unwrap_or(0);
    let (before, after) = (&pattern[..start], &rest[spec_len + 1..]);
    if after.contains('%') {
        return Err(format!("`{pattern}` has more than one %"));
    }
    let name = |i: u64| PathBuf::from(format!("{before}{i:0width$}{after}"));
    let first = if name(0).is_file() { 0 } else { 1 };
    let files: Vec<PathBuf> = (first..).map(name).take_while(|p| p.is_file()).collect();
    if files.is_empty() {
        return Err(format!(
            "no files match `{pattern}` (looked for index 0 and 1)"
        ));
    }
    Ok(files)
}

/// Decodes every file of a numbered sequence with `stage` (a decoder), in
/// order, each picture at most `max_size`. An error names the file.
pub fn decode_sequence(
    stage: &mut Stage,
    pattern: &str,
    max_size: (u32, u32),
) -> Result<Vec<HostFrame>> {
    let mut frames = Vec::new();
    for file in numbered_files(pattern)? {
        let bytes = read_input_file(&file)?;
        let decoded = stage.decode(&bytes, max_size).map_err(|e| match e {
            Error::Decode {
                stage,
                item,
                reason,
                ..
            } => Error::Decode {
                stage,
                item,
                file: Some(file.clone()),
                reason,
            },
            e => e,
        })?;
        frames.extend(decoded);
    }
    Ok(frames)
}

/// Reads a file to hand to a decoder: a regular file (never a FIFO or a
/// device, which could block or never end) of at most 64 MiB.
pub fn read_input_file(path: &Path) -> Result<Vec<u8>> {
    crate::files::read_regular(path, MAX_FILE_BYTES, false).map_err(|reason| Error::File {
        path: path.to_path_buf(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_expand_from_zero_or_one_until_a_gap() {
        let dir = std::env::temp_dir().join(format!("reel-seq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for i in [1, 2, 3, 5] {
            std::fs::write(dir.join(format!("f_{i:03}.png")), b"x").unwrap();
        }
        let pattern = format!("{}/f_%03d.png", dir.display());
        let files = numbered_files(&pattern).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["f_001.png", "f_002.png", "f_003.png"]);
        assert!(numbered_files(&format!("{}/g_%d.png", dir.display())).is_err());
        assert!(numbered_files("no-number.png").is_err());
        assert!(numbered_files("bad_%5d.png").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
