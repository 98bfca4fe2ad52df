//! The mark's geometry and its keyed patterns.
//!
//! The mark lives on a grid the size of the picture scaled so its short
//! side is [`GRID`] pixels: 1080p, 720p and 480p all map to the same
//! 455 x 256 grid, so a rescaled copy carries the same pattern. On that
//! grid one [`TILE`] x [`TILE`] tile repeats. A tile is the sum of a sync
//! pattern (known to the detector, to find the tile's scale and shift
//! after a crop) and data chips (each carrying one coded bit, many chips
//! a bit), blurred a little so its energy sits at periods of about four
//! grid pixels, which survive H.264 and scaling.

use crate::code::CODED_BITS;
use crate::key::Key;

/// Grid pixels on the picture's short side.
pub const GRID: usize = 256;
/// Grid pixels on a tile's side.
pub const TILE: usize = 64;
pub(crate) const CHIPS: usize = TILE * TILE;
/// The sync pattern's share of the tile's energy.
const SYNC_SHARE: f32 = 0.25;
/// The tile's blur, in grid pixels.
pub(crate) const BLUR_SIGMA: f32 = 0.7;

/// The grid a `width` x `height` picture maps to.
pub fn grid_size(width: usize, height: usize) -> (usize, usize) {
    let short = width.min(height).max(1) as f64;
    let scale = GRID as f64 / short;
    let side = |s: usize| ((s as f64 * scale).round() as usize).max(1);
    (side(width), side(height))
}

/// What a key draws: the sync pattern, the data chips' signs, and which
/// coded bit each chip carries.
pub(crate) struct Keyed {
    pub sync: Vec<f32>,
    pub chips: Vec<f32>,
    pub bit_of: Vec<u16>,
}

impl Keyed {
    pub fn new(key: &Key) -> Keyed {
        let signs = |purpose: &str| -> Vec<f32> {
            let bytes = key.stream(purpose, CHIPS / 8);
            (0..CHIPS)
                .map(|i| {
                    if bytes[i / 8] >> (i % 8) & 1 == 1 {
                        1.0
                    } else {
                        -1.0
                    }
                })
                .collect()
        };
        // Chips dealt to the coded bits in turn, then shuffled (Fisher-
        // Yates on the key's stream), so each bit's chips spread over the
        // tile.
        let mut bit_of: Vec<u16> = (0..CHIPS).map(|i| (i % CODED_BITS) as u16).collect();
        let random = key.stream("shuffle", 4 * CHIPS);
        for i in (1..CHIPS).rev() {
            let r = u32::from_le_bytes(random[4 * i..4 * i + 4].try_into().unwrap());
            bit_of.swap(i, r as usize % (i + 1));
        }
        Keyed {
            sync: signs("sync"),
            chips: signs("chips"),
            bit_of,
        }
    }

    /// The tile carrying `coded` bits (0 or 1): blurred, unit RMS.
    pub fn tile(&self, coded: &[u8]) -> Vec<f32> {
        let (a, b) = (SYNC_SHARE.sqrt(), (1.0 - SYNC_SHARE).sqrt());
        let mut tile: Vec<f32> = (0..CHIPS)
            .map(|i| {
                let bit = if coded[self.bit_of[i] as usize] == 1 {
                    1.0
                } else {
                    -1.0
                };
                a * self.sync[i] + b * self.chips[i] * bit
            })
            .collect();
        blur_cyclic(&mut tile);
        let rms = (tile.iter().map(|v| v * v).sum::<f32>() / CHIPS as f32).sqrt();
        tile.iter_mut().for_each(|v| *v /= rms);
        tile
    }
}

/// A Gaussian blur of a tile, wrapping around its edges (the tile
/// repeats).
pub(crate) fn blur_cyclic(tile: &mut [f32]) {
    blur_cyclic_sigma(tile, BLUR_SIGMA)
}

/// [`blur_cyclic`] with another sigma, in grid pixels.
pub(crate) fn blur_cyclic_sigma(tile: &mut [f32], sigma: f32) {
    let radius = (3.0 * sigma).ceil() as isize;
    let weights: Vec<f32> = (-radius..=radius)
        .map(|d| (-(d * d) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    let n = TILE as isize;
    let at = |i: isize| i.rem_euclid(n) as usize;
    let mut tmp = vec![0f32; CHIPS];
    for y in 0..n {
        for x in 0..n {
            tmp[(y * n + x) as usize] = (-radius..=radius)
                .map(|d| weights[(d + radius) as usize] * tile[(y * n) as usize + at(x + d)])
                .sum::<f32>()
                / total;
        }
    }
    for y in 0..n {
        for x in 0..n {
            tile[(y * n + x) as usize] = (-radius..=radius)
                .map(|d| weights[(d + radius) as usize] * tmp[at(y + d) * TILE + x as usize])
                .sum::<f32>()
                / total;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_sizes_share_one_grid() {
        assert_eq!(grid_size(1920, 1080), (455, 256));
        assert_eq!(grid_size(1280, 720), (455, 256));
        assert_eq!(grid_size(854, 480), (455, 256));
        assert_eq!(grid_size(1080, 1920), (256, 455));
    }

    #[test]
    fn every_coded_bit_gets_its_share_of_chips() {
        let keyed = Keyed::new(&Key::from_bytes([7; 32]));
        let mut count = vec![0; CODED_BITS];
        for &b in &keyed.bit_of {
            count[b as usize] += 1;
        }
        let (lo, hi) = (CHIPS / CODED_BITS, CHIPS.div_ceil(CODED_BITS));
        assert!(count.iter().all(|&c| c == lo || c == hi), "{count:?}");
        let tile = keyed.tile(&vec![1; CODED_BITS]);
        let rms = (tile.iter().map(|v| v * v).sum::<f32>() / CHIPS as f32).sqrt();
        assert!((rms - 1.0).abs() < 1e-4);
    }
}
