//! Toon lines on a frame: the XDoG response of its luma (`reel-style`'s
//! `toon`), drawn into the graded frame.

use reel_sdk::prelude::*;
use reel_style::toon::{self, Response};

/// The frame's luma, packed (computed from RGB on RGBA frames).
pub fn luma(frame: &Frame) -> Result<(Vec<u8>, usize, usize), StageError> {
    let info = frame.info();
    let (width, height) = (info.width as usize, info.height as usize);
    let data = frame.read_rows(0, 0, info.height)?;
    let luma = match info.format {
        PixelFormat::Rgba => data
            .chunks_exact(4)
            .map(|p| {
                (16.0
                    + (0.2126 * p[0] as f32 + 0.7152 * p[1] as f32 + 0.0722 * p[2] as f32) * 219.0
                        / 255.0) as u8
            })
            .collect(),
        _ => data,
    };
    Ok((luma, width, height))
}

/// Darkens the frame where `response` marks lines (below `epsilon`).
pub fn draw(frame: &Frame, response: &Response, epsilon: f32) -> Result<(), StageError> {
    let info = frame.info();
    let (width, height) = (info.width as usize, info.height as usize);
    match info.format {
        PixelFormat::Rgba => {
            // The factor from a luma plane of white, applied to RGB.
            let mut factor = vec![255u8; width * height];
            toon::draw_lines(&mut factor, width, height, response, epsilon);
            let mut data = frame.read_rows(0, 0, info.height)?;
            for (px, f) in data.chunks_exact_mut(4).zip(&factor) {
                let f = (*f as f32 - 16.0) / (255.0 - 16.0);
                for c in &mut px[..3] {
                    *c = (*c as f32 * f).round() as u8;
                }
            }
            frame.write_rows(0, 0, &data)?;
        }
        _ => {
            let mut data = frame.read_rows(0, 0, info.height)?;
            toon::draw_lines(&mut data, width, height, response, epsilon);
            frame.write_rows(0, 0, &data)?;
        }
    }
    Ok(())
}
