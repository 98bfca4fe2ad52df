//! The `toon` look on a graded frame: its colours posterised to the
//! style's palette and its lines drawn, both per pixel in the plugin (a
//! LUT's interpolation would soften the palette's borders).

use reel_sdk::prelude::*;
use reel_style::toon::{self, PaletteTable};

/// Posterises the frame to `palette` and darkens it where XDoG finds
/// lines in its luma (below `threshold`; with `density`, the threshold
/// is first set to mark that share of the frame).
pub fn draw(
    frame: &Frame,
    palette: &PaletteTable,
    density: Option<f32>,
    threshold: &mut f32,
) -> Result<(), StageError> {
    let info = frame.info();
    let (width, height) = (info.width as usize, info.height as usize);
    match info.format {
        PixelFormat::Rgba => {
            let mut data = frame.read_rows(0, 0, info.height)?;
            let yuv: Vec<[u8; 3]> = data
                .chunks_exact(4)
                .map(|p| rgb_to_yuv(p[0], p[1], p[2]))
                .collect();
            let luma: Vec<u8> = yuv.iter().map(|p| p[0]).collect();
            let response = response(&luma, width, height, density, threshold);
            let (mut luma, chroma): (Vec<u8>, Vec<(u8, u8)>) = yuv
                .iter()
                .map(|&[y, u, v]| {
                    let [y, u, v] = palette.nearest(y, u, v);
                    (y, (u, v))
                })
                .unzip();
            toon::draw_lines(&mut luma, width, height, &response, *threshold);
            for ((p, y), (u, v)) in data.chunks_exact_mut(4).zip(&luma).zip(&chroma) {
                p[..3].copy_from_slice(&yuv_to_rgb(*y, *u, *v));
            }
            frame.write_rows(0, 0, &data)?;
        }
        PixelFormat::I420 | PixelFormat::Nv12 => {
            let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
            let mut y_plane = frame.read_rows(0, 0, info.height)?;
            let response = response(&y_plane, width, height, density, threshold);
            let mut c1 = frame.read_rows(1, 0, ch as u32)?;
            let mut c2 = match info.format {
                PixelFormat::I420 => frame.read_rows(2, 0, ch as u32)?,
                _ => Vec::new(),
            };
            let nv12 = info.format == PixelFormat::Nv12;
            for by in 0..ch {
                for bx in 0..cw {
                    let (u, v) = if nv12 {
                        (c1[by * 2 * cw + 2 * bx], c1[by * 2 * cw + 2 * bx + 1])
                    } else {
                        (c1[by * cw + bx], c2[by * cw + bx])
                    };
                    // Each pixel to its nearest palette colour; the
                    // block's chroma the mean of theirs.
                    let (mut su, mut sv, mut n) = (0u32, 0u32, 0u32);
                    for y in 2 * by..(2 * by + 2).min(height) {
                        for x in 2 * bx..(2 * bx + 2).min(width) {
                            let px = &mut y_plane[y * width + x];
                            let [py, pu, pv] = palette.nearest(*px, u, v);
                            *px = py;
                            su += pu as u32;
                            sv += pv as u32;
                            n += 1;
                        }
                    }
                    let (u, v) = (((su + n / 2) / n) as u8, ((sv + n / 2) / n) as u8);
                    if nv12 {
                        c1[by * 2 * cw + 2 * bx] = u;
                        c1[by * 2 * cw + 2 * bx + 1] = v;
                    } else {
                        c1[by * cw + bx] = u;
                        c2[by * cw + bx] = v;
                    }
                }
            }
            toon::draw_lines(&mut y_plane, width, height, &response, *threshold);
            frame.write_rows(0, 0, &y_plane)?;
            frame.write_rows(1, 0, &c1)?;
            if !nv12 {
                frame.write_rows(2, 0, &c2)?;
            }
        }
    }
    Ok(())
}

/// The XDoG response of `luma` (the graded picture's, before
/// posterising: grading keeps its edges where they are), and the
/// threshold set for `density` when given.
fn response(
    luma: &[u8],
    width: usize,
    height: usize,
    density: Option<f32>,
    threshold: &mut f32,
) -> toon::Response {
    let response = toon::response(luma, width, height);
    if let Some(density) = density {
        *threshold = toon::threshold(&response, density);
    }
    response
}

/// BT.709 limited range, as the host's `convert`.
fn rgb_to_yuv(r: u8, g: u8, b: u8) -> [u8; 3] {
    let (r, g, b) = (r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0);
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    [
        16.0 + 219.0 * y,
        128.0 + 224.0 * (b - y) / 1.8556,
        128.0 + 224.0 * (r - y) / 1.5748,
    ]
    .map(|c| c.round().clamp(0.0, 255.0) as u8)
}

fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let (y, u, v) = (
        (y as f32 - 16.0) / 219.0,
        (u as f32 - 128.0) / 224.0,
        (v as f32 - 128.0) / 224.0,
    );
    [y + 1.5748 * v, y - 0.1873 * u - 0.4681 * v, y + 1.8556 * u]
        .map(|c| (c * 255.0).round().clamp(0.0, 255.0) as u8)
}
