//! Learning a style from a folder of images (`reel style train`).
//!
//! Every readable JPEG, PNG or WebP in the folder (not its subfolders) is
//! decoded, shrunk to the learning size, and contributes equally: the
//! same number of colour samples, and its tone, line and stroke
//! statistics to the means. Images are read two at a time, one per core;
//! the result does not depend on which finishes first.

mod palette;
mod texture;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::format::{FORMAT_VERSION, Header, Lines, Strokes, Style, Tone};
use crate::rng::Rng;
use texture::Luma;

/// How a style is learned.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub name: String,
    /// Images are shrunk to at most this many pixels on their long side.
    pub learn_size: u32,
    /// Colour samples kept in the style, shared evenly among the images.
    pub colours: usize,
    /// Dominant colours in the palette.
    pub palette: usize,
    /// Decoding refuses an image that would need more memory than this.
    pub max_image_bytes: u64,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            name: "style".into(),
            learn_size: 512,
            colours: 16384,
            palette: 8,
            max_image_bytes: 1 << 30,
        }
    }
}

/// Below this many usable images training refuses; below
/// [`RECOMMENDED_IMAGES`] it warns.
pub const MIN_IMAGES: usize = 5;
pub const RECOMMENDED_IMAGES: usize = 20;

/// What happened to the folder's files.
#[derive(Debug, Default)]
pub struct Summary {
    pub used: Vec<PathBuf>,
    /// Files that could not be read as images, and why.
    pub skipped: Vec<(PathBuf, String)>,
}

impl Summary {
    /// A warning when fewer images were used than a reliable style
    /// needs.
    pub fn warning(&self) -> Option<String> {
        (self.used.len() < RECOMMENDED_IMAGES).then(|| {
            format!(
                "only {} images; {RECOMMENDED_IMAGES}-50 give a reliable style",
                self.used.len()
            )
        })
    }
}

/// Why no style was made.
#[derive(Debug)]
pub enum TrainError {
    Folder { path: PathBuf, reason: String },
    TooFew { found: usize, summary: Summary },
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Folder { path, reason } => {
                write!(f, "cannot read the folder {}: {reason}", path.display())
            }
            TrainError::TooFew { found, summary } => write!(
                f,
                "{found} usable image(s) ({} file(s) skipped); a style needs at least {MIN_IMAGES}, and {RECOMMENDED_IMAGES}-50 give a reliable one",
                summary.skipped.len()
            ),
        }
    }
}

impl std::error::Error for TrainError {}

/// One image's contribution.
struct Learned {
    colours: Vec<[f32; 3]>,
    tone: Tone,
    lines: Lines,
    strokes: Strokes,
}

/// Learns a style from the images in `folder`. `progress` is called after
/// each file with (files done, files in all, the file).
pub fn train(
    folder: &Path,
    options: &TrainOptions,
    progress: &(dyn Fn(usize, usize, &Path) + Sync),
) -> Result<(Style, Summary), TrainError> {
    let files = image_files(folder)?;
    let per_image = (options.colours / files.len().max(1)).max(1);
    let results: Vec<Mutex<Option<Result<Learned, String>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let (next, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let learned = learn_one(path, options, per_image, i as u64);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(learned);
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, files.len(), path);
                }
            });
        }
    });
    let mut summary = Summary::default();
    let mut learned = Vec::new();
    for (path, result) in files.iter().zip(results) {
        match result.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(l)) => {
                summary.used.push(path.clone());
                learned.push(l);
            }
            Some(Err(reason)) => summary.skipped.push((path.clone(), reason)),
            None => summary.skipped.push((path.clone(), "not read".into())),
        }
    }
    if learned.len() < MIN_IMAGES {
        return Err(TrainError::TooFew {
            found: learned.len(),
            summary,
        });
    }
    let n = learned.len() as f32;
    let mean = |f: &dyn Fn(&Learned) -> f32| learned.iter().map(f).sum::<f32>() / n;
    let colours: Vec<[f32; 3]> = learned
        .iter()
        .flat_map(|l| l.colours.iter().copied())
        .collect();
    let header = Header {
        format: FORMAT_VERSION,
        name: options.name.clone(),
        images: learned.len() as u32,
        palette: palette::palette(&colours, options.palette, 0x00C0_1055),
        tone: Tone {
            luma_mean: mean(&|l| l.tone.luma_mean),
            luma_std: mean(&|l| l.tone.luma_std),
        },
        lines: Lines {
            edge_density: mean(&|l| l.lines.edge_density),
            edge_contrast: mean(&|l| l.lines.edge_contrast),
        },
        strokes: Strokes {
            scale: mean(&|l| l.strokes.scale),
        },
        written_by: format!("reel-style {}", env!("CARGO_PKG_VERSION")),
    };
    Ok((Style { header, colours }, summary))
}

/// Decodes one image and shrinks it to the learning size: its pixels
/// (RGB 0..=1) and width.
fn decode(path: &Path, options: &TrainOptions) -> Result<(Vec<[f32; 3]>, usize), String> {
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    if reader.format().is_none() {
        return Err("not a JPEG, PNG or WebP image".into());
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(options.max_image_bytes);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| e.to_string())?;
    let size = options.learn_size;
    let image = if image.width().max(image.height()) > size {
        image.resize(size, size, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let rgb = image.to_rgb32f();
    if rgb.width() == 0 || rgb.height() == 0 {
        return Err("an empty image".into());
    }
    let pixels = rgb
        .pixels()
        .map(|p| p.0.map(|v| v.clamp(0.0, 1.0)))
        .collect();
    Ok((pixels, rgb.width() as usize))
}

/// `count` colours drawn from `pixels`, the same ones for the same seed.
fn draw(pixels: &[[f32; 3]], count: usize, seed: u64) -> Vec<[f32; 3]> {
    let mut rng = Rng::new(0x00C0_FFEE ^ seed);
    (0..count)
        .map(|_| pixels[rng.below(pixels.len())])
        .collect()
}

/// Decodes, shrinks and measures one image.
fn learn_one(
    path: &Path,
    options: &TrainOptions,
    samples: usize,
    seed: u64,
) -> Result<Learned, String> {
    let (pixels, width) = decode(path, options)?;
    let height = pixels.len() / width;
    // BT.709 luma of the (gamma-encoded) colours, as video carries it.
    let luma = Luma {
        width,
        height,
        data: pixels
            .iter()
            .map(|p| 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2])
            .collect(),
    };
    Ok(Learned {
        colours: draw(&pixels, samples, seed),
        tone: texture::tone(&luma),
        lines: texture::lines(&luma),
        strokes: texture::strokes(&luma),
    })
}

/// Colour samples of the images in `folder` (each image contributing
/// equally, `count` in all), for fitting a style to that content; files
/// that are not images are skipped and reported.
pub fn folder_colours(folder: &Path, count: usize) -> Result<(Vec<[f32; 3]>, Summary), TrainError> {
    let files = image_files(folder)?;
    let options = TrainOptions::default();
    let per_image = (count / files.len().max(1)).max(1);
    let mut summary = Summary::default();
    let mut colours = Vec::new();
    for (i, path) in files.iter().enumerate() {
        match decode(path, &options) {
            Ok((pixels, _)) => {
                colours.extend(draw(&pixels, per_image, i as u64));
                summary.used.push(path.clone());
            }
            Err(reason) => summary.skipped.push((path.clone(), reason)),
        }
    }
    if colours.is_empty() {
        return Err(TrainError::TooFew { found: 0, summary });
    }
    Ok((colours, summary))
}

/// The files of `folder` (not its subfolders, not hidden ones), by name.
fn image_files(folder: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let folder_error = |e: std::io::Error| TrainError::Folder {
        path: folder.to_path_buf(),
        reason: e.to_string(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(folder_error)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}
