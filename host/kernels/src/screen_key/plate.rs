//! The screen plate: the screen's colour over the frame, averaged over
//! blocks from the pixels that are screen beyond doubt, with the blocks
//! the subject covers filled from their neighbours by push-pull (each
//! level of a 2x2 pyramid fills what the finer one lacks), read back by
//! bilinear interpolation between block centres.

use super::reference::KeyRow;
use super::{BLOCK, Colors, Steps};

pub(super) struct Plate {
    /// Blocks across and down.
    across: usize,
    down: usize,
    /// Each block's screen colour, row by row.
    colors: Vec<[f32; 3]>,
    /// A row's block columns, interpolated down to the row.
    columns: Vec<[f32; 3]>,
}

/// Block `p`'s neighbours for position `p` along `blocks` blocks: the
/// block centres either side and the weight of the second.
fn place(p: usize, blocks: usize) -> (usize, usize, f32) {
    let f = ((p as f32 + 0.5) / BLOCK as f32 - 0.5).clamp(0.0, (blocks - 1) as f32);
    let i = f as usize;
    (i, (i + 1).min(blocks - 1), f - i as f32)
}

/// One pyramid level: colour sums and pixel counts per block.
struct Level {
    across: usize,
    down: usize,
    sums: Vec<[f64; 3]>,
    counts: Vec<f64>,
}

impl Level {
    /// The next level up: 2x2 blocks summed.
    fn coarser(&self) -> Level {
        let (across, down) = (self.across.div_ceil(2), self.down.div_ceil(2));
        let mut sums = vec![[0.0; 3]; across * down];
        let mut counts = vec![0.0; across * down];
        for y in 0..self.down {
            for x in 0..self.across {
                let (i, j) = (y * self.across + x, (y / 2) * across + x / 2);
                for (sum, v) in sums[j].iter_mut().zip(self.sums[i]) {
                    *sum += v;
                }
                counts[j] += self.counts[i];
            }
        }
        Level {
            across,
            down,
            sums,
            counts,
        }
    }
}

impl Plate {
    /// One colour everywhere.
    pub(super) fn even(key: [f32; 3]) -> Plate {
        Plate::new(1, 1, vec![key])
    }

    fn new(across: usize, down: usize, colors: Vec<[f32; 3]>) -> Plate {
        Plate {
            across,
            down,
            colors,
            columns: vec![[0.0; 3]; across],
        }
    }

    /// Whether the screen is one colour everywhere.
    pub(super) fn is_even(&self) -> bool {
        self.colors.len() == 1
    }

    /// Measures the screen of `img`. A pixel counts as screen when its
    /// chroma points the way `key`'s does (within about 11 degrees) with at
    /// least half its strength: the screen's hue, however it is lit. The
    /// most saturated count most, so a subject's soft edges (the same hue,
    /// weaker) pull a block's colour little.
    pub(super) fn measure(colors: &mut Colors<'_, '_>, key: [f32; 3], steps: &Steps) -> Plate {
        let (w, h) = colors.size();
        let mut buf = vec![0u8; 4 * w];
        let (across, down) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        let mut level = Level {
            across,
            down,
            sums: vec![[0.0; 3]; across * down],
            counts: vec![0.0; across * down],
        };
        let (mut proj, mut off) = (vec![0.0f32; w], vec![0.0f32; w]);
        // Every fourth pixel of every fourth row: the plate is smooth, and a
        // block still gets 16 samples.
        for y in (0..h).step_by(4) {
            let row = colors.read(y, &mut buf);
            // SAFETY: `steps` was chosen for a detected CPU level.
            unsafe { (steps.project_row)(row, key, &mut proj, &mut off) };
            let base = (y / BLOCK) * across;
            for (x, (p, o)) in proj.iter().zip(&off).enumerate().step_by(4) {
                if *p >= 0.5 && *o <= 0.04 * p * p {
                    let block = base + x / BLOCK;
                    let weight = (p * p) as f64;
                    let px = &row[4 * x..4 * x + 3];
                    for (sum, v) in level.sums[block].iter_mut().zip(px) {
                        *sum += weight * *v as f64;
                    }
                    level.counts[block] += weight;
                }
            }
        }
        let mut levels = vec![level];
        while levels.last().is_some_and(|l| l.across > 1 || l.down > 1) {
            let next = levels.last().expect("a level").coarser();
            levels.push(next);
        }
        // Pull down: each block mixes its own mean with its parent's fill,
        // by how much of it was screen.
        let mut fill: Vec<[f32; 3]> = vec![key];
        let mut parent_across = 1;
        for (depth, l) in levels.iter().enumerate().rev() {
            // Half a block's samples (one pixel in 32) count fully.
            let full = ((BLOCK * BLOCK) << (2 * depth)) as f64 / 32.0;
            let mut colors = Vec::with_capacity(l.across * l.down);
            for y in 0..l.down {
                for x in 0..l.across {
                    let i = y * l.across + x;
                    let parent = fill[(y / 2).min(fill.len() / parent_across - 1) * parent_across
                        + (x / 2).min(parent_across - 1)];
                    let n = l.counts[i];
                    let t = (n / full).min(1.0) as f32;
                    let own = if n > 0.0 {
                        l.sums[i].map(|s| (s / n) as f32)
                    } else {
                        parent
                    };
                    colors.push(std::array::from_fn(|c| t * own[c] + (1.0 - t) * parent[c]));
                }
            }
            fill = colors;
            parent_across = l.across;
        }
        Plate::new(across, down, fill)
    }

    /// The screen colour under each pixel of row `y`.
    pub(super) fn row_colors(&mut self, y: usize, out: &mut KeyRow) {
        let (y0, y1, ty) = place(y, self.down);
        for (x, column) in self.columns.iter_mut().enumerate() {
            let (a, b) = (
                self.colors[y0 * self.across + x],
                self.colors[y1 * self.across + x],
            );
            *column = std::array::from_fn(|c| a[c] + (b[c] - a[c]) * ty);
        }
        // Across: flat to the first block centre and after the last, and
        // a straight line between each two (the same 16 weights each time,
        // so each stretch is one vector loop).
        let w = out.r.len();
        let half = BLOCK / 2;
        let weights: [f32; BLOCK] = std::array::from_fn(|k| (k as f32 + 0.5) / BLOCK as f32);
        let mut fill = |from: usize, to: usize, a: [f32; 3], b: [f32; 3]| {
            let (from, to) = (from.min(w), to.min(w));
            let n = to - from;
            let (r, g, bl) = (
                &mut out.r[from..to],
                &mut out.g[from..to],
                &mut out.b[from..to],
            );
            for k in 0..n {
                let t = weights[k];
                r[k] = a[0] + (b[0] - a[0]) * t;
                g[k] = a[1] + (b[1] - a[1]) * t;
                bl[k] = a[2] + (b[2] - a[2]) * t;
            }
        };
        let first = self.columns[0];
        fill(0, half, first, first);
        for i in 0..self.across - 1 {
            let start = i * BLOCK + half;
            fill(start, start + BLOCK, self.columns[i], self.columns[i + 1]);
        }
        let last = self.columns[self.across - 1];
        let tail = (self.across - 1) * BLOCK + half;
        let mut x = tail;
        while x < w {
            fill(x, x + BLOCK, last, last);
            x += BLOCK;
        }
    }
}
