//! What the plugin reads of a frame: a grid of rows and columns,
//! enough for a luma histogram (scene cuts) and colour samples (fitting
//! the transfer), a small fraction of the frame's bytes.

use reel_sdk::prelude::*;

/// Histogram bins of luma.
pub const BINS: usize = 64;

/// Pixels the grid aims for: enough for a colour distribution's tails.
const GRID_PIXELS: usize = 16384;
/// The widest grid step: every 8th row and column (32 400 pixels of
/// 1080p, a 64th of the frame).
const MAX_STEP: usize = 8;

/// The grid of a `width` x `height` frame: every `step`th row and
/// column from the middle of the first band (finer on small frames, so
/// they give as many samples).
fn grid(width: usize, height: usize) -> (usize, impl Iterator<Item = usize>) {
    let step = (((width * height) as f64 / GRID_PIXELS as f64).sqrt() as usize).clamp(1, MAX_STEP);
    (step, (step / 2..height).step_by(step))
}

/// The luma histogram of the grid, summing to 1: luma rows only, so
/// watching for cuts costs little.
pub fn histogram(frame: &Frame) -> Result<[f32; BINS], StageError> {
    let info = frame.info();
    let (width, height) = (info.width as usize, info.height as usize);
    let mut histogram = [0f32; BINS];
    let (step, rows) = grid(width, height);
    for row in rows {
        let data = frame.read_rows(0, row as u32, 1)?;
        if info.format == PixelFormat::Rgba {
            for px in data.chunks_exact(4).skip(step / 2).step_by(step) {
                let y = 0.2126 * px[0] as f32 + 0.7152 * px[1] as f32 + 0.0722 * px[2] as f32;
                histogram[(y * 219.0 / 255.0 + 16.0) as usize * BINS / 256] += 1.0;
            }
        } else {
            for &y in data.iter().skip(step / 2).step_by(step) {
                histogram[y as usize * BINS / 256] += 1.0;
            }
        }
    }
    let total = histogram.iter().sum::<f32>().max(1.0);
    Ok(histogram.map(|h| h / total))
}

/// RGB (0..=1) of the grid's pixels, for a fit.
pub fn colours(frame: &Frame) -> Result<Vec<[f32; 3]>, StageError> {
    let info = frame.info();
    let (width, height) = (info.width as usize, info.height as usize);
    let mut colours = Vec::with_capacity(GRID_PIXELS * 2);
    let (step, rows) = grid(width, height);
    for row in rows {
        let data = frame.read_rows(0, row as u32, 1)?;
        match info.format {
            PixelFormat::Rgba => colours.extend(
                data.chunks_exact(4)
                    .skip(step / 2)
                    .step_by(step)
                    .map(|px| [px[0], px[1], px[2]].map(|v| v as f32 / 255.0)),
            ),
            PixelFormat::I420 | PixelFormat::Nv12 => {
                let c = frame.read_rows(1, (row / 2) as u32, 1)?;
                let v = match info.format {
                    PixelFormat::I420 => Some(frame.read_rows(2, (row / 2) as u32, 1)?),
                    _ => None,
                };
                for x in (step / 2..width).step_by(step) {
                    let (u, v) = match &v {
                        Some(v) => (c[x / 2], v[x / 2]),
                        None => (c[x / 2 * 2], c[x / 2 * 2 + 1]),
                    };
                    colours.push(to_rgb(data[x], u, v));
                }
            }
        }
    }
    Ok(colours)
}

/// BT.709 limited range YUV to RGB in 0..=1, as the host's `convert`.
fn to_rgb(y: u8, u: u8, v: u8) -> [f32; 3] {
    let (y, u, v) = (
        (y as f32 - 16.0) * (255.0 / 219.0),
        (u as f32 - 128.0) * (255.0 / 224.0),
        (v as f32 - 128.0) * (255.0 / 224.0),
    );
    [y + 1.5748 * v, y - 0.1873 * u - 0.4681 * v, y + 1.8556 * u]
        .map(|c| (c / 255.0).clamp(0.0, 1.0))
}

/// How far apart two histograms are: half the sum of absolute
/// differences, 0 (equal) to 1 (disjoint).
pub fn distance(a: &[f32; BINS], b: &[f32; BINS]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / 2.0
}
