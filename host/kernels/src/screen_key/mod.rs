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

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, ImageMut, LayoutError};

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
    if img.layout.format != Format::Rgba {
        return Err(LayoutError(format!(
            "screen key needs RGBA, got {}",
            img.layout.format
        )));
    }
    let (w, h) = (img.layout.width, img.layout.height);
    if w == 0 || h == 0 {
        return Err(LayoutError("screen key: the frame is empty".into()));
    }
    let key = match settings.color {
        Some(c) => c,
        None => border_color(img)?,
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
    let mut screen = if settings.plate {
        plate::Plate::measure(img, key_f, &steps)
    } else {
        plate::Plate::even(key_f)
    };
    let mut scratch = reference::Scratch::new(w);
    let even = screen.is_even();
    if even {
        screen.row_colors(0, &mut scratch.key);
        scratch.key.derive();
    }
    for y in 0..h {
        // The plate changes slowly (16-pixel blocks): its colours are
        // interpolated anew every fourth row.
        if !even && y % 4 == 0 {
            screen.row_colors(y, &mut scratch.key);
            scratch.key.derive();
        }
        let row = &mut img.row_mut(0, y)[..4 * w];
        // SAFETY: `steps` was chosen for `level`, and a `CpuLevel` is only
        // made by run-time detection: its instruction set is present.
        unsafe { (steps.key_row)(row, &mut scratch, &ramp) };
    }
    Ok(key)
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
    pub(crate) key_row: unsafe fn(&mut [u8], &mut reference::Scratch, &Ramp),
    /// Projects a row's chroma on one screen colour's: the share along it
    /// and the squared share off it.
    pub(crate) project_row: ProjectRow,
}

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
fn border_color(img: &ImageMut<'_>) -> Result<[u8; 3], LayoutError> {
    let (w, h) = (img.layout.width, img.layout.height);
    let band = (w.min(h) / 40).max(2).min(w.min(h));
    let mut samples: Vec<[u8; 3]> = Vec::new();
    for y in 0..h {
        let row = img.row(0, y);
        let edge_row = y < band || y >= h - band;
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
