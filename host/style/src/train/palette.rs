//! The dominant colours of a style: k-means in CIELAB (where distance
//! follows perceived difference), seeded with k-means++.

use crate::colour::{from_lab, to_lab};
use crate::format::PaletteColour;
use crate::rng::Rng;

/// `k` dominant colours of `colours` (RGB 0..=1), most common first.
pub(crate) fn palette(colours: &[[f32; 3]], k: usize, seed: u64) -> Vec<PaletteColour> {
    if colours.is_empty() || k == 0 {
        return Vec::new();
    }
    let lab: Vec<[f32; 3]> = colours.iter().map(|&c| to_lab(c)).collect();
    let mut rng = Rng::new(seed);
    // k-means++: each new centre drawn with probability proportional to
    // the squared distance to the nearest centre so far.
    let mut centres = vec![lab[rng.below(lab.len())]];
    let mut nearest: Vec<f32> = lab.iter().map(|&p| dist2(p, centres[0])).collect();
    while centres.len() < k.min(lab.len()) {
        let total: f32 = nearest.iter().sum();
        if total <= 0.0 {
            break;
        }
        let mut pick = rng.unit() * total;
        let mut chosen = lab.len() - 1;
        for (i, d) in nearest.iter().enumerate() {
            pick -= d;
            if pick <= 0.0 {
                chosen = i;
                break;
            }
        }
        centres.push(lab[chosen]);
        for (n, &p) in nearest.iter_mut().zip(&lab) {
            *n = n.min(dist2(p, lab[chosen]));
        }
    }
    let mut counts = vec![0usize; centres.len()];
    for _ in 0..25 {
        let mut sums = vec![[0.0f64; 3]; centres.len()];
        counts.iter_mut().for_each(|c| *c = 0);
        for &p in &lab {
            let best = closest(&centres, p);
            counts[best] += 1;
            for c in 0..3 {
                sums[best][c] += p[c] as f64;
            }
        }
        for (i, centre) in centres.iter_mut().enumerate() {
            if counts[i] > 0 {
                *centre = sums[i].map(|s| (s / counts[i] as f64) as f32);
            }
        }
    }
    let mut out: Vec<PaletteColour> = centres
        .iter()
        .zip(&counts)
        .filter(|(_, n)| **n > 0)
        .map(|(&c, &n)| PaletteColour {
            rgb: from_lab(c),
            share: n as f32 / lab.len() as f32,
        })
        .collect();
    out.sort_by(|a, b| b.share.total_cmp(&a.share));
    out
}

fn closest(centres: &[[f32; 3]], p: [f32; 3]) -> usize {
    (0..centres.len())
        .min_by(|&a, &b| dist2(p, centres[a]).total_cmp(&dist2(p, centres[b])))
        .unwrap_or(0)
}

fn dist2(a: [f32; 3], b: [f32; 3]) -> f32 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_colours_of_a_two_colour_set() {
        let mut colours = vec![[0.9, 0.1, 0.1]; 300];
        colours.extend(vec![[0.1, 0.2, 0.8]; 100]);
        let p = palette(&colours, 2, 7);
        assert_eq!(p.len(), 2);
        assert!((p[0].share - 0.75).abs() < 1e-6);
        assert!(
            (p[0].rgb[0] - 0.9).abs() < 0.01 && (p[1].rgb[2] - 0.8).abs() < 0.01,
            "{p:?}"
        );
    }
}
