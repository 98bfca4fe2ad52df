//! An avatar that needs no assets: head and shoulders drawn once
//! (antialiased shapes), then animated by the same face warp as a
//! portrait, through the rig of the drawing.

use crate::face::Rig;

pub const WIDTH: usize = 250;
pub const HEIGHT: usize = 300;
/// The drawing's coordinates are those of a 400x480 picture.
const UNIT: f32 = 400.0 / WIDTH as f32;

/// Straight RGB colours.
const SKIN: [f32; 3] = [226.0, 182.0, 150.0];
const SKIN_SHADE: [f32; 3] = [205.0, 158.0, 128.0];
const HAIR: [f32; 3] = [62.0, 42.0, 30.0];
const JACKET: [f32; 3] = [36.0, 54.0, 96.0];
const SHIRT: [f32; 3] = [236.0, 238.0, 242.0];
const LIPS: [f32; 3] = [176.0, 92.0, 92.0];
const WHITE: [f32; 3] = [246.0, 246.0, 242.0];
const IRIS: [f32; 3] = [70.0, 96.0, 130.0];
const DARK: [f32; 3] = [24.0, 20.0, 20.0];

/// Coverage of a shape at signed distance `d` (negative inside), a pixel
/// of antialiasing.
fn cover(d: f32) -> f32 {
    (0.5 - d).clamp(0.0, 1.0)
}

/// Signed distance (approximate) to an ellipse.
fn ellipse(x: f32, y: f32, cx: f32, cy: f32, rx: f32, ry: f32) -> f32 {
    let k = (((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2)).sqrt();
    (k - 1.0) * rx.min(ry)
}

/// The drawing (RGBA, premultiplied) and its rig.
pub fn draw() -> (Vec<u8>, Rig) {
    let mut px = vec![0f32; WIDTH * HEIGHT * 4];
    let mut paint = |f: &dyn Fn(f32, f32) -> f32, colour: [f32; 3]| {
        for y in 0..HEIGHT {
            for x in 0..WIDTH {
                let a = cover(f((x as f32 + 0.5) * UNIT, (y as f32 + 0.5) * UNIT) / UNIT);
                if a > 0.0 {
                    let p = &mut px[(y * WIDTH + x) * 4..][..4];
                    for (v, c) in p.iter_mut().zip(colour.iter().chain([&255.0])) {
                        *v = *v * (1.0 - a) + c * a;
                    }
                }
            }
        }
    };
    // Shoulders and jacket, a shirt collar, the neck.
    paint(&|x, y| ellipse(x, y, 200.0, 520.0, 190.0, 170.0), JACKET);
    paint(
        &|x, y| {
            ellipse(x, y, 200.0, 372.0, 46.0, 40.0)
                .max(y - 420.0)
                .max(340.0 - y)
        },
        SHIRT,
    );
    paint(
        &|x, y| ((x - 200.0).abs() - 34.0).max(y - 372.0).max(270.0 - y),
        SKIN_SHADE,
    );
    // Hair behind, the face, hair on top.
    paint(&|x, y| ellipse(x, y, 200.0, 190.0, 112.0, 128.0), HAIR);
    paint(&|x, y| ellipse(x, y, 200.0, 215.0, 92.0, 118.0), SKIN);
    paint(&|x, y| ellipse(x, y, 108.0, 222.0, 12.0, 22.0), SKIN_SHADE);
    paint(&|x, y| ellipse(x, y, 292.0, 222.0, 12.0, 22.0), SKIN_SHADE);
    paint(
        &|x, y| ellipse(x, y, 200.0, 140.0, 104.0, 62.0).max(y - 150.0 - 0.25 * (x - 200.0).abs()),
        HAIR,
    );
    // Brows, eyes, nose, lips.
    for cx in [164.0f32, 236.0] {
        paint(&move |x, y| ellipse(x, y, cx, 184.0, 20.0, 4.0), HAIR);
        paint(&move |x, y| ellipse(x, y, cx, 204.0, 17.0, 9.0), WHITE);
        paint(
            &move |x, y| {
                ellipse(x, y, cx, 204.0, 7.5, 7.5).max(ellipse(x, y, cx, 204.0, 17.0, 9.0))
            },
            IRIS,
        );
        paint(&move |x, y| ellipse(x, y, cx, 204.0, 3.2, 3.2), DARK);
    }
    paint(&|x, y| ellipse(x, y, 200.0, 246.0, 8.0, 5.0), SKIN_SHADE);
    paint(&|x, y| ellipse(x, y, 200.0, 278.0, 27.0, 5.5), LIPS);
    paint(&|x, y| ellipse(x, y, 200.0, 278.0, 25.0, 1.2), DARK);
    let bytes = px
        .iter()
        .map(|&v| (v + 0.5).clamp(0.0, 255.0) as u8)
        .collect::<Vec<u8>>();
    // Premultiply.
    let mut out = bytes;
    for p in out.chunks_exact_mut(4) {
        let a = p[3] as u32;
        for c in &mut p[..3] {
            *c = ((*c as u32 * a + 127) / 255) as u8;
        }
    }
    (
        out,
        Rig {
            left_eye: (164.0 / UNIT, 204.0 / UNIT),
            right_eye: (236.0 / UNIT, 204.0 / UNIT),
            mouth: (200.0 / UNIT, 278.0 / UNIT),
            mouth_width: 54.0 / UNIT,
        },
    )
}
