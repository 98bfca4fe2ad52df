//! How far apart two colour distributions are: the sliced Wasserstein
//! distance, in 8-bit code values.

use crate::rng::{Rng, dot};

/// Directions the distance averages over, fixed (seeded) so that two
/// measurements compare.
const DIRECTIONS: usize = 64;
/// Quantiles compared along each direction.
const QUANTILES: usize = 256;

/// The sliced 2-Wasserstein distance between two sets of RGB colours
/// (0..=1 each), in 8-bit code values: the root mean square, over many
/// directions through the colour cube, of the distance between the two
/// sets' quantiles along that direction. 0 for equal distributions.
pub fn sliced_wasserstein(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return f32::NAN;
    }
    let mut rng = Rng::new(0x5EED_0FC0_0102);
    let mut sum = 0.0f64;
    for _ in 0..DIRECTIONS / 3 + 1 {
        for axis in rng.rotation() {
            let qa = quantiles(a, axis);
            let qb = quantiles(b, axis);
            sum += qa
                .iter()
                .zip(&qb)
                .map(|(x, y)| ((x - y) as f64).powi(2))
                .sum::<f64>()
                / QUANTILES as f64;
        }
    }
    ((sum / (3 * (DIRECTIONS / 3 + 1)) as f64).sqrt() * 255.0) as f32
}

/// The set's projections on `axis` at QUANTILES evenly spaced ranks.
fn quantiles(set: &[[f32; 3]], axis: [f32; 3]) -> Vec<f32> {
    let mut p: Vec<f32> = set.iter().map(|&c| dot(c, axis)).collect();
    p.sort_unstable_by(f32::total_cmp);
    (0..QUANTILES)
        .map(|k| crate::transfer::quantile(&p, (k as f32 + 0.5) / QUANTILES as f32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sets_are_zero_apart_and_a_shift_is_measured() {
        let a: Vec<[f32; 3]> = (0..1000).map(|i| [i as f32 / 1000.0, 0.5, 0.2]).collect();
        assert!(sliced_wasserstein(&a, &a) < 1e-3);
        // Every colour 10 code values greener: a shift of 10 along green,
        // seen as 10 * |cos| along each direction (RMS 10 / sqrt(3)).
        let b: Vec<[f32; 3]> = a
            .iter()
            .map(|c| [c[0], c[1] + 10.0 / 255.0, c[2]])
            .collect();
        let d = sliced_wasserstein(&a, &b);
        assert!((d - 10.0 / 3f32.sqrt()).abs() < 0.6, "{d}");
    }
}
