//! Screen keying: alpha, colour and spill of a subject shot in front of a
//! green or blue screen, by the colour-difference model.
//!
//! A pixel is a mix `C = a F + (1 - a) K` of the subject F and the screen
//! K. Its chroma (colour minus its grey mean) projected on the screen's
//! chroma, as a share of the screen's, is `a p(F) + (1 - a)`: for a subject
//! with no screen colour in it (`p(F) = 0`) that is exactly `1 - a`, so
//! soft edges, hair and motion blur get their true partial alpha rather
//! than a cut-off. `similarity` and `smoothness` set where the ramp starts
//! and ends around that line, for noise and for subjects that do carry a
//! little of the screen colour.
//!
//! The screen is seldom even: with `plate`, a first pass finds the pixels
//! that are screen beyond doubt, averages them over 16x16 blocks, fills
//! the blocks the subject covers from their neighbours (push-pull) and
//! keys every pixel against its own interpolated screen colour.
//!
//! The colour is unmixed (`a F = C - (1 - a) K`, premultiplied) and
//! what is left of the screen's colour on the subject (spill, light
//! bounced off the screen) is taken out along the screen's chroma, by
//! `spill` (0 to 1).
//!
//! `reference.rs` holds the row steps; `avx2.rs` compiles the same steps
//! again with AVX2 (no FMA, the same operations per element), so every
//! level gives the same bytes.

use crate::convert::RgbaRows;
use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, Image, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod plate;
pub mod reference;

/// How to key a frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScreenKey {
    /// The screen's colour (RGB); None: found on the frame's border.
    pub color: Option<[u8; 3]>,
    /// How close to the screen's colour (as a share of its chroma, 0..=1)
    /// a pixel is still wholly screen.
    pub similarity: f32,
    /// The width of the ramp from screen to subject, as a share of the
    /// screen's chroma (0.01..=1).
    pub smoothness: f32,
    /// How much of the screen's colour left on the subject is removed
    /// (0..=1).
    pub spill: f32,
    /// Key each region against its own screen colour (uneven lighting).
    pub plate: bool,
}

impl Default for ScreenKey {
    fn default() -> Self {
        ScreenKey {
            color: None,
            similarity: 0.05,
            smoothness: 0.8,
            spill: 1.0,
            plate: true,
        }
    }
}

/// Side of the blocks the screen plate is averaged over.
pub(crate) const BLOCK: usize = 16;

/// The least chroma (distance from grey, 0..=255 scale) a screen colour
/// must have: below it there is no colour to key on.
const MIN_SCREEN_CHROMA: f32 = 24.0;

/// Keys an RGBA frame in place: alpha from the screen, colour unmixed and
/// despilled, premultiplied (ready for `blend`). An input alpha below 255
/// scales the result. Returns the screen colour used: pass it back as
/// `color` for the frames that follow, so the key stays steady.
pub fn screen_key(img: &mut ImageMut<'_>, settings: &ScreenKey) -> Result<[u8; 3], LayoutError> {
    screen_key_with(CpuLevel::active(), img, settings)
}

pub fn screen_key_with(
    level: CpuLevel,
    img: &mut ImageMut<'_>,
    settings: &ScreenKey,
) -> Result<[u8; 3], LayoutError> {
    keyable(img)?;
    let plan = Plan::new(level, &mut Colors::InPlace(img), settings)?;
    Ok(plan.key_rgba(img, None))
}

/// Keys `src` (I420, NV12 or RGBA) into `dst` (RGBA, the same size),
/// premultiplied, as [`screen_key`] does. From YUV it keys the samples
/// directly, with no converted frame: alpha and spill once per chroma
/// sample (a 2x2 block's colour is its sample's, whatever the luma: the
/// picture holds no finer colour to key on), each pixel's colour from its
/// own luma. That is the key of the converted frame up to rounding and
/// colours outside RGB, at about a third of the work. From RGBA it is
/// exactly a copy keyed in place.
pub fn screen_key_into(
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
    settings: &ScreenKey,
) -> Result<[u8; 3], LayoutError> {
    screen_key_into_with(CpuLevel::active(), src, dst, settings)
}

pub fn screen_key_into_with(
    level: CpuLevel,
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
    settings: &ScreenKey,
) -> Result<[u8; 3], LayoutError> {
    keyable(dst)?;
    if (src.layout.width, src.layout.height) != (dst.layout.width, dst.layout.height) {
        return Err(LayoutError(format!(
            "screen key: the source is {}x{} and the destination {}x{}",
            src.layout.width, src.layout.height, dst.layout.width, dst.layout.height
        )));
    }
    let yuv = src.layout.format != Format::Rgba;
    let mut rows = RgbaRows::new(level, src);
    let plan = Plan::new(level, &mut Colors::Converted(&mut rows), settings)?;
    Ok(if yuv {
        plan.key_yuv(&mut rows, dst)
    } else {
        plan.key_rgba(dst, Some(&mut rows))
    })
}

/// A frame the key can write: RGBA, not empty.
fn keyable(img: &ImageMut<'_>) -> Result<(), LayoutError> {
    if img.layout.format != Format::Rgba {
        return Err(LayoutError(format!(
            "screen key needs RGBA, got {}",
            img.layout.format
        )));
    }
    if img.layout.width == 0 || img.layout.height == 0 {
        return Err(LayoutError("screen key: the frame is empty".into()));
    }
    Ok(())
}

/// Where the key reads a frame's colours for its screen colour and plate:
/// the RGBA frame it keys in place, or another frame's rows as RGBA.
enum Colors<'a, 'b> {
    InPlace(&'b ImageMut<'a>),
    Converted(&'b mut RgbaRows<'a>),
}

impl Colors<'_, '_> {
    fn size(&self) -> (usize, usize) {
        let layout = match self {
            Colors::InPlace(img) => img.layout,
            Colors::Converted(rows) => rows.layout(),
        };
        (layout.width, layout.height)
    }

    /// Row `y` as RGBA (`4 * width` bytes), converted into `buf` if need be.
    fn read<'s>(&'s mut self, y: usize, buf: &'s mut [u8]) -> &'s [u8] {
        match self {
            Colors::InPlace(img) => &img.row(0, y)[..buf.len()],
            Colors::Converted(rows) => {
                rows.read(y, buf);
                buf
            }
        }
    }
}

/// What keying a frame needs before its first row: the screen colour,
/// the ramp and the screen's plate.
struct Plan {
    key: [u8; 3],
    ramp: Ramp,
    screen: plate::Plate,
    steps: Steps,
    /// The plate's colours under the row being keyed.
    row: reference::KeyRow,
    /// The row the plate's colours were last interpolated for.
    row_at: Option<usize>,
}

impl Plan {
    fn new(
        level: CpuLevel,
        colors: &mut Colors<'_, '_>,
        settings: &ScreenKey,
    ) -> Result<Plan, LayoutError> {
        let key = match settings.color {
            Some(c) => c,
            None => border_color(colors)?,
        };
        let key_f = key.map(|c| c as f32);
        if chroma_norm2(key_f) < MIN_SCREEN_CHROMA * MIN_SCREEN_CHROMA {
            return Err(LayoutError(format!(
                "screen key: #{:02x}{:02x}{:02x} is too close to grey to key on",
                key[0], key[1], key[2]
            )));
        }
        let similarity = if settings.similarity.is_finite() {
            settings.similarity.clamp(0.0, 1.0)
        } else {
            0.05
        };
        let smoothness = if settings.smoothness.is_finite() {
            settings.smoothness.clamp(0.01, 1.0)
        } else {
            0.8
        };
        let ramp = Ramp {
            high: 1.0 - similarity,
            inv_width: 1.0 / smoothness,
            spill: if settings.spill.is_finite() {
                settings.spill.clamp(0.0, 1.0)
            } else {
                1.0
            },
        };
        let steps = row_steps(level);
        let screen = if settings.plate {
            plate::Plate::measure(colors, key_f, &steps)
        } else {
            plate::Plate::even(key_f)
        };
        Ok(Plan {
            key,
            ramp,
            screen,
            steps,
            row: reference::KeyRow::new(colors.size().0),
            row_at: None,
        })
    }

    /// The plate's colours for row `y`. The plate changes slowly (16-pixel
    /// blocks): they are interpolated anew every fourth row (an even one,
    /// so both rows of a chroma row share them), once for an even screen.
    fn plate_row(&mut self, y: usize) {
        let due = match self.row_at {
            None => true,
            Some(_) => !self.screen.is_even() && y.is_multiple_of(4),
        };
        if due {
            self.screen.row_colors(y, &mut self.row);
            self.row.derive();
            self.row_at = Some(y);
        }
    }

    /// Keys an RGBA frame row by row: `img` in place, or with each row
    /// first copied in from `source`.
    fn key_rgba(
        mut self,
        img: &mut ImageMut<'_>,
        mut source: Option<&mut RgbaRows<'_>>,
    ) -> [u8; 3] {
        let (w, h) = (img.layout.width, img.layout.height);
        let mut scratch = reference::Scratch::new(w);
        for y in 0..h {
            self.plate_row(y);
            let row = &mut img.row_mut(0, y)[..4 * w];
            if let Some(rows) = source.as_deref_mut() {
                rows.read(y, row);
            }
            // SAFETY: `steps` was chosen for `level`, and a `CpuLevel` is
            // only made by run-time detection: its instruction set is
            // present.
            unsafe { (self.steps.key_row)(row, &self.row, &mut scratch, &self.ramp) };
        }
        self.key
    }

    /// Keys a YUV frame's samples into `dst`, a chroma row at a time.
    fn key_yuv(mut self, rows: &mut RgbaRows<'_>, dst: &mut ImageMut<'_>) -> [u8; 3] {
        let (w, h) = (dst.layout.width, dst.layout.height);
        let mut scratch = reference::YuvScratch::new(w);
        for cy in 0..h.div_ceil(2) {
            self.plate_row(2 * cy);
            let (u, v) = rows.chroma(cy);
            // SAFETY: as in `key_rgba`.
            unsafe { (self.steps.yuv_blocks)(u, v, &self.row, &mut scratch, &self.ramp) };
            for y in (2 * cy..2 * cy + 2).filter(|y| *y < h) {
                let out = &mut dst.row_mut(0, y)[..4 * w];
                // SAFETY: as in `key_rgba`.
                unsafe { (self.steps.yuv_row)(rows.luma(y), out, &mut scratch) };
            }
        }
        self.key
    }
}

/// Where the ramp lies and how much spill to remove.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ramp {
    /// Projection at and beyond which a pixel is wholly screen.
    pub(crate) high: f32,
    /// 1 / the ramp's width.
    pub(crate) inv_width: f32,
    pub(crate) spill: f32,
}

/// The row steps for one CPU level. Calling them is sound only on a CPU
/// that has that level (`#[target_feature]` functions only coerce to
/// `unsafe fn`).
pub(crate) struct Steps {
    /// Keys one RGBA row against per-pixel screen colours.
    pub(crate) key_row: unsafe fn(&mut [u8], &reference::KeyRow, &mut reference::Scratch, &Ramp),
    /// Projects a row's chroma on one screen colour's: the share along it
    /// and the squared share off it.
    pub(crate) project_row: ProjectRow,
    /// What a YUV chroma row's samples make of the pixels under them.
    pub(crate) yuv_blocks: YuvBlocks,
    /// One YUV luma row keyed into an RGBA row.
    pub(crate) yuv_row: unsafe fn(&[u8], &mut [u8], &mut reference::YuvScratch),
}

type YuvBlocks = unsafe fn(&[u8], &[u8], &reference::KeyRow, &mut reference::YuvScratch, &Ramp);
type ProjectRow = unsafe fn(&[u8], [f32; 3], &mut [f32], &mut [f32]);

fn row_steps(level: CpuLevel) -> Steps {
    match level.isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::STEPS,
        _ => reference::STEPS,
    }
}

/// Squared chroma: the colour's distance from the grey of its own mean.
pub(crate) fn chroma_norm2(c: [f32; 3]) -> f32 {
    let m = (c[0] + c[1] + c[2]) / 3.0;
    c.iter().map(|v| (v - m) * (v - m)).sum()
}

/// The screen's colour, from the frame's border: of the border's
/// saturated pixels, those of the most common hue, channel by channel
/// median. A subject touching the border (a presenter's shoulders at the
/// bottom) is outvoted by the screen around it.
fn border_color(colors: &mut Colors<'_, '_>) -> Result<[u8; 3], LayoutError> {
    let (w, h) = colors.size();
    let mut buf = vec![0u8; 4 * w];
    let band = (w.min(h) / 40).max(2).min(w.min(h));
    let mut samples: Vec<[u8; 3]> = Vec::new();
    for y in 0..h {
        let edge_row = y < band || y >= h - band;
        if !(edge_row && y % 2 == 0) && y % 4 != 0 {
            continue;
        }
        let row = colors.read(y, &mut buf);
        let mut take = |x: usize| {
            let px = &row[4 * x..4 * x + 3];
            samples.push([px[0], px[1], px[2]]);
        };
        if edge_row && y % 2 == 0 {
            (0..w).step_by(4).for_each(&mut take);
        } else if y % 4 == 0 {
            (0..band).chain(w - band..w).step_by(2).for_each(&mut take);
        }
    }
    const BINS: usize = 36;
    let hue_bin = |c: &[u8; 3]| -> Option<usize> {
        let c = c.map(|v| v as f32);
        if chroma_norm2(c) < MIN_SCREEN_CHROMA * MIN_SCREEN_CHROMA {
            return None;
        }
        // Hue on the chroma plane (the angle of the opponent axes).
        let a = c[0] - 0.5 * (c[1] + c[2]);
        let b = 0.866_025_4 * (c[1] - c[2]);
        let turn = b.atan2(a) / std::f32::consts::TAU + 0.5;
        Some(((turn * BINS as f32) as usize).min(BINS - 1))
    };
    let bins: Vec<Option<usize>> = samples.iter().map(hue_bin).collect();
    let mut votes = [0usize; BINS];
    for b in bins.iter().flatten() {
        votes[*b] += 1;
    }
    let (peak, &count) = votes
        .iter()
        .enumerate()
        .max_by_key(|(_, v)| **v)
        .expect("bins");
    // A screen fills most of the border; a few coloured pixels do not make one.
    if count * 4 < samples.len() {
        return Err(LayoutError(
            "screen key: no screen colour fills the frame's border; give the key colour".into(),
        ));
    }
    let near = |b: usize| {
        let d = b.abs_diff(peak);
        d.min(BINS - d) <= 1
    };
    let mut chosen: Vec<[u8; 3]> = samples
        .into_iter()
        .zip(bins)
        .filter(|(_, b)| b.is_some_and(near))
        .map(|(s, _)| s)
        .collect();
    let mut median = [0u8; 3];
    for (ch, m) in median.iter_mut().enumerate() {
        chosen.sort_unstable_by_key(|c| c[ch]);
        *m = chosen[chosen.len() / 2][ch];
    }
    Ok(median)
}
