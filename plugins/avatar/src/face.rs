//! A face animated by warping its picture (backward mapping with smooth
//! falloffs, so the skin stretches rather than a cut-out flap moving): the
//! jaw drops and the lips part over a dark mouth, the mouth widens or
//! rounds, the upper lids slide down over the eyes to blink, and the head
//! sways and nods about the neck.

use crate::lipsync::Mouth;

/// Where a face's features are, in its picture's pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rig {
    pub left_eye: (f32, f32),
    pub right_eye: (f32, f32),
    pub mouth: (f32, f32),
    pub mouth_width: f32,
}

/// One frame's pose.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    pub mouth: Mouth,
    /// 0 open eyes, 1 shut.
    pub blink: f32,
    /// Head tilt in radians, and nod in pixels (down).
    pub tilt: f32,
    pub nod: f32,
}

/// A picture (RGBA, premultiplied) and its rig.
pub struct Face {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
    pub rig: Rig,
    /// The rows and columns the warp may change.
    pub region: (usize, usize, usize, usize),
}

fn smooth(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// The inside of the mouth: dark, a little lighter towards the lips.
const CAVITY: [f32; 3] = [58.0, 22.0, 26.0];

impl Face {
    pub fn new(width: usize, height: usize, pixels: Vec<u8>, rig: Rig) -> Face {
        let unit = eye_distance(&rig);
        let centre_x = (rig.left_eye.0 + rig.right_eye.0) / 2.0;
        let top = rig.left_eye.1.min(rig.right_eye.1) - 1.6 * unit;
        let bottom = rig.mouth.1 + 1.6 * unit;
        let clamp_x = |v: f32| v.clamp(0.0, width as f32) as usize;
        let clamp_y = |v: f32| v.clamp(0.0, height as f32) as usize;
        let region = (
            clamp_x(centre_x - 1.9 * unit),
            clamp_y(top),
            clamp_x(centre_x + 1.9 * unit),
            clamp_y(bottom),
        );
        Face {
            width,
            height,
            pixels,
            rig,
            region,
        }
    }

    /// The region's pixels in `pose`, row by row (RGBA, premultiplied).
    pub fn render(&self, pose: &Pose, out: &mut Vec<u8>) {
        let (x0, y0, x1, y1) = self.region;
        out.clear();
        out.reserve((x1 - x0) * (y1 - y0) * 4);
        let rig = &self.rig;
        let unit = eye_distance(rig);
        let (mx, my) = rig.mouth;
        let w = rig.mouth_width;
        let centre_x = (rig.left_eye.0 + rig.right_eye.0) / 2.0;
        let eyes_y = (rig.left_eye.1 + rig.right_eye.1) / 2.0;
        // The head turns about the neck, below the chin.
        let pivot = (centre_x, my + 1.5 * unit);
        let face_rx = 1.25 * unit;
        let face_ry = 0.5 * (pivot.1 - (eyes_y - 1.2 * unit));
        let face_cy = pivot.1 - face_ry;
        let (sin, cos) = (-pose.tilt).sin_cos();
        // The mouth.
        let open = pose.mouth.open.clamp(0.0, 1.0);
        let jaw = open * 0.30 * w;
        let lip = open * 0.06 * w;
        let half = 0.42 * w * pose.mouth.width;
        // The eyes.
        let eye_w = 0.30 * unit;
        let eye_h = 0.16 * unit;
        let lid = pose.blink.clamp(0.0, 1.0) * 2.0 * eye_h;
        for y in y0..y1 {
            for x in x0..x1 {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                // Head: whole inside the face, fading out past it.
                let e = ((px - centre_x) / face_rx).powi(2) + ((py - face_cy) / face_ry).powi(2);
                let head = 1.0 - smooth((e.sqrt() - 1.0) / 0.5);
                let (dx, dy) = (px - pivot.0, py - pivot.1);
                let (rx, ry) = (cos * dx - sin * dy, sin * dx + cos * dy);
                let mut sx = px + head * (pivot.0 + rx - px);
                let mut sy = py + head * (pivot.1 + ry - py) - head * pose.nod;
                // Mouth width: scaled about its centre near it.
                let near = 1.0
                    - smooth(
                        (((sx - mx) / (1.1 * w)).powi(2) + ((sy - my) / (0.9 * w)).powi(2)).sqrt(),
                    );
                let scale = 1.0 + (pose.mouth.width - 1.0) * near;
                sx = mx + (sx - mx) / scale;
                // The lips part along a lens as wide as the mouth.
                let mdx = sx - mx;
                let r = (mdx / half).abs();
                let lens = (1.0 - r * r.sqrt()).max(0.0);
                let jaw_span = 1.0 - smooth((mdx.abs() - 0.6 * w) / (0.7 * w));
                let mdy = sy - my;
                let mut cavity = None;
                if mdy >= 0.0 {
                    let gap = jaw * lens;
                    if mdy < gap {
                        cavity = Some(mdy / gap.max(1e-3));
                    } else {
                        // Below the lower lip the jaw drops, fading out
                        // under the chin.
                        let lipline = smooth((mdy - gap) / (0.3 * w));
                        let drop = jaw * (lens + (jaw_span - lens).max(0.0) * lipline);
                        let fade = 1.0 - smooth((mdy - 1.1 * w) / (0.8 * w));
                        sy -= drop * fade;
                        sy = sy.max(my);
                    }
                } else if lip > 0.0 {
                    let gap = lip * lens;
                    if -mdy < gap {
                        cavity = Some(-mdy / gap.max(1e-3));
                    } else {
                        let fade = 1.0 - smooth((-mdy - gap) / (0.35 * w));
                        sy += gap * fade;
                        sy = sy.min(my);
                    }
                }
                if let Some(depth) = cavity {
                    // Darkest in the middle of the opening.
                    let shade = 0.75 + 0.25 * depth.min(1.0);
                    out.extend(CAVITY.map(|c| (c * shade) as u8));
                    out.push(255);
                    continue;
                }
                // Blinks: skin above each eye slides down over it.
                if lid > 0.0 {
                    for eye in [rig.left_eye, rig.right_eye] {
                        let ex = (sx - eye.0) / (1.3 * eye_w);
                        let edy = sy - eye.1;
                        if ex.abs() < 1.0 && edy < eye_h && edy > -4.0 * eye_h {
                            // Whole over the eye, less up to the brow.
                            let across = 1.0 - ex * ex;
                            let fade = 1.0 - smooth((-edy - eye_h) / (3.0 * eye_h));
                            sy -= lid * across * fade;
                        }
                    }
                }
                self.sample(sx, sy, out);
            }
        }
    }

    /// Bilinear sample at (x, y) (pixel centres at +0.5), edges clamped.
    fn sample(&self, x: f32, y: f32, out: &mut Vec<u8>) {
        let fx = (x - 0.5).clamp(0.0, (self.width - 1) as f32);
        let fy = (y - 0.5).clamp(0.0, (self.height - 1) as f32);
        let (ix, iy) = (fx as usize, fy as usize);
        let (ax, ay) = (fx - ix as f32, fy - iy as f32);
        let (jx, jy) = ((ix + 1).min(self.width - 1), (iy + 1).min(self.height - 1));
        let at = |x: usize, y: usize| &self.pixels[(y * self.width + x) * 4..][..4];
        let (p00, p10, p01, p11) = (at(ix, iy), at(jx, iy), at(ix, jy), at(jx, jy));
        for c in 0..4 {
            let top = p00[c] as f32 + (p10[c] as f32 - p00[c] as f32) * ax;
            let bottom = p01[c] as f32 + (p11[c] as f32 - p01[c] as f32) * ax;
            out.push((top + (bottom - top) * ay + 0.5) as u8);
        }
    }
}

pub fn eye_distance(rig: &Rig) -> f32 {
    let (dx, dy) = (
        rig.right_eye.0 - rig.left_eye.0,
        rig.right_eye.1 - rig.left_eye.1,
    );
    (dx * dx + dy * dy).sqrt().max(1.0)
}
