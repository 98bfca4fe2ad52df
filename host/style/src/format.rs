//! The `.style` file: what `reel style train` learned from a set of
//! images, read by the `restyle` plugin.
//!
//! Layout (version 1), all integers and floats little-endian:
//!
//! ```text
//! REELSTYLE 1\n          magic and format version, one ASCII line
//! {...}\n                 the header: one line of JSON (see `Header`)
//! f32 x 3 x colours       the colour samples, RGB in 0..=1
//! u32                     CRC-32 (IEEE) of every byte before it
//! ```
//!
//! A reader refuses a version it does not know (a newer Reel wrote it)
//! and a file whose checksum does not match (damaged or truncated). New
//! header fields may be added without a new version: readers ignore
//! fields they do not know.

use serde::{Deserialize, Serialize};

/// The format version this code writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &str = "REELSTYLE ";

/// A learned look.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    pub header: Header,
    /// Samples of the style's colour distribution, RGB in 0..=1, drawn
    /// evenly from every image used.
    pub colours: Vec<[f32; 3]>,
}

/// Everything but the colour samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// The style's name (the output file's stem when trained).
    pub name: String,
    /// Images the style was learned from.
    pub images: u32,
    /// The dominant colours (k-means in CIELAB), most common first.
    pub palette: Vec<PaletteColour>,
    pub tone: Tone,
    pub lines: Lines,
    pub strokes: Strokes,
    /// The program that wrote the file.
    pub written_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaletteColour {
    /// RGB in 0..=1.
    pub rgb: [f32; 3],
    /// Its share of the style's pixels.
    pub share: f32,
}

/// Tone statistics: the mean and spread of luma (0..=1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tone {
    pub luma_mean: f32,
    pub luma_std: f32,
}

/// Line work, as the XDoG operator (Winnemöller et al. 2012) sees it at
/// the learning size: the share of pixels on a line and the mean
/// strength of luma edges.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lines {
    pub edge_density: f32,
    pub edge_contrast: f32,
}

/// The scale of brush strokes: the typical size of flat patches, as a
/// share of the picture's height (what sets the radius of the
/// edge-preserving smoothing of `paint`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Strokes {
    pub scale: f32,
}

/// Why a `.style` could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum StyleError {
    NotAStyle,
    Newer { version: u32 },
    Corrupt(String),
}

impl std::fmt::Display for StyleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StyleError::NotAStyle => {
                write!(f, "not a .style file (it does not start with `REELSTYLE`)")
            }
            StyleError::Newer { version } => write!(
                f,
                "written in .style format {version} by a newer Reel; this one reads format {FORMAT_VERSION} and older"
            ),
            StyleError::Corrupt(why) => write!(f, "damaged .style file: {why}"),
        }
    }
}

impl std::error::Error for StyleError {}

impl Style {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            format: FORMAT_VERSION,
            ..self.header.clone()
        };
        let mut out = format!("{MAGIC}{FORMAT_VERSION}\n").into_bytes();
        out.extend(serde_json::to_vec(&header).expect("a header always serialises"));
        out.push(b'\n');
        out.extend((self.colours.len() as u32).to_le_bytes());
        for c in &self.colours {
            for v in c {
                out.extend(v.to_le_bytes());
            }
        }
        let crc = crc32fast::hash(&out);
        out.extend(crc.to_le_bytes());
        out
    }

    /// Reads a file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Style, StyleError> {
        let rest = bytes
            .strip_prefix(MAGIC.as_bytes())
            .ok_or(StyleError::NotAStyle)?;
        let line_end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(StyleError::NotAStyle)?;
        let version: u32 = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .ok_or(StyleError::NotAStyle)?;
        if version > FORMAT_VERSION {
            return Err(StyleError::Newer { version });
        }
        let corrupt = |why: &str| StyleError::Corrupt(why.to_string());
        let (body, crc) = bytes
            .split_last_chunk::<4>()
            .ok_or_else(|| corrupt("too short"))?;
        if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
            return Err(corrupt(
                "its checksum does not match (changed or cut short)",
            ));
        }
        let after_magic = &body[MAGIC.len() + line_end + 1..];
        let header_end = after_magic
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| corrupt("no header line"))?;
        let header: Header = serde_json::from_slice(&after_magic[..header_end])
            .map_err(|e| StyleError::Corrupt(format!("header: {e}")))?;
        let data = &after_magic[header_end + 1..];
        let (count, samples) = data
            .split_first_chunk::<4>()
            .ok_or_else(|| corrupt("no colour count"))?;
        let count = u32::from_le_bytes(*count) as usize;
        if samples.len() != count * 12 {
            return Err(corrupt("the colour samples do not match their count"));
        }
        let colours: Vec<[f32; 3]> = samples
            .chunks_exact(12)
            .map(|c| {
                std::array::from_fn(|i| f32::from_le_bytes(c[4 * i..4 * i + 4].try_into().unwrap()))
            })
            .collect();
        if colours.iter().flatten().any(|v| !(0.0..=1.0).contains(v)) {
            return Err(corrupt("a colour sample outside 0..=1"));
        }
        Ok(Style { header, colours })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Style {
        Style {
            header: Header {
                format: FORMAT_VERSION,
                name: "ink".into(),
                images: 3,
                palette: vec![PaletteColour {
                    rgb: [0.1, 0.2, 0.3],
                    share: 1.0,
                }],
                tone: Tone {
                    luma_mean: 0.4,
                    luma_std: 0.2,
                },
                lines: Lines::default(),
                strokes: Strokes { scale: 0.01 },
                written_by: "test".into(),
            },
            colours: vec![[0.0, 0.5, 1.0], [0.25, 0.75, 0.125]],
        }
    }

    #[test]
    fn round_trips_exactly() {
        let style = sample();
        assert_eq!(Style::from_bytes(&style.to_bytes()).unwrap(), style);
    }

    #[test]
    fn damage_newer_versions_and_other_files_are_refused() {
        let bytes = sample().to_bytes();
        let mut flipped = bytes.clone();
        let at = flipped.len() - 10;
        flipped[at] ^= 1;
        assert!(matches!(
            Style::from_bytes(&flipped),
            Err(StyleError::Corrupt(_))
        ));
        assert!(matches!(
            Style::from_bytes(&bytes[..bytes.len() - 3]),
            Err(StyleError::Corrupt(_))
        ));
        let newer = String::from_utf8_lossy(&bytes).replacen("REELSTYLE 1", "REELSTYLE 2", 1);
        assert_eq!(
            Style::from_bytes(newer.as_bytes()),
            Err(StyleError::Newer { version: 2 })
        );
        assert_eq!(
            Style::from_bytes(b"LUT_3D_SIZE 2\n"),
            Err(StyleError::NotAStyle)
        );
    }
}
