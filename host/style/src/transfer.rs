//! Example-based colour transfer: iterative distribution transfer (Pitié,
//! Kokaram and Dahyot 2005/2007), the sliced optimal transport of a
//! picture's colours onto a style's.
//!
//! Each step rotates colour space at random and, along each of the three
//! rotated axes, moves the picture's colours so that their distribution
//! along that axis matches the style's (1D optimal transport is matching
//! quantiles). Repeated, the whole 3D distribution converges to the
//! style's. Regularised so the map is smooth enough to bake into a LUT
//! without banding or grain: each 1D map is a monotone piecewise-linear
//! curve through a few dozen quantiles, its displacements smoothed along
//! the curve, and each step moves only part of the way (`relax`).

use crate::cube::Cube;
use crate::rng::{Rng, dot};

/// How a [`Transfer`] is fitted.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// Steps (random rotations); Pitié et al. converge in 10-30.
    pub steps: usize,
    /// Knots of each 1D curve (quantiles matched).
    pub knots: usize,
    /// The share of each 1D displacement a step applies (1: all).
    pub relax: f32,
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            steps: 16,
            knots: 24,
            relax: 0.9,
            seed: 0x517E_5EED,
        }
    }
}

/// A fitted colour map: RGB in 0..=1 to RGB in 0..=1.
#[derive(Clone, Debug, PartialEq)]
pub struct Transfer {
    steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
struct Step {
    /// Three perpendicular unit directions.
    axes: [[f32; 3]; 3],
    curves: [Curve; 3],
}

/// A monotone piecewise-linear map of one coordinate: through the knots
/// of [`Curve::matching`], sampled evenly into a table (so that applying
/// it is an index and a blend, not a search), shifted by the end knots'
/// displacement beyond them.
#[derive(Clone, Debug, PartialEq)]
struct Curve {
    /// The input the table starts at, and table entries per unit input.
    lo: f32,
    per_unit: f32,
    /// The output at `lo + i / per_unit`.
    table: Vec<f32>,
}

/// Entries of a curve's table.
const CURVE_TABLE: usize = 256;

impl Curve {
    fn eval(&self, x: f32) -> f32 {
        let last = self.table.len() - 1;
        let t = (x - self.lo) * self.per_unit;
        if t <= 0.0 {
            return self.table[0] + (x - self.lo);
        }
        if t >= last as f32 {
            return self.table[last] + (t - last as f32) / self.per_unit;
        }
        let i = t as usize;
        let f = t - i as f32;
        self.table[i] + f * (self.table[i + 1] - self.table[i])
    }

    /// The curve through knots `from` (rising) to `to` (not falling).
    fn through(from: &[f32], to: &[f32]) -> Curve {
        let n = from.len();
        let (lo, hi) = (from[0], from[n - 1]);
        if n < 2 || hi - lo < 1e-6 {
            return Curve {
                lo,
                per_unit: 1.0,
                table: vec![to[0]],
            };
        }
        let per_unit = (CURVE_TABLE - 1) as f32 / (hi - lo);
        let mut k = 1;
        let table = (0..CURVE_TABLE)
            .map(|i| {
                let x = lo + i as f32 / per_unit;
                while k < n - 1 && from[k] < x {
                    k += 1;
                }
                let t = ((x - from[k - 1]) / (from[k] - from[k - 1])).clamp(0.0, 1.0);
                to[k - 1] + t * (to[k] - to[k - 1])
            })
            .collect();
        Curve {
            lo,
            per_unit,
            table,
        }
    }

    /// The curve moving `source`'s sorted values onto `target`'s quantiles.
    fn matching(source: &[f32], target: &[f32], options: &FitOptions) -> Curve {
        let k = options.knots.max(2);
        let mut from = Vec::with_capacity(k);
        let mut shift = Vec::with_capacity(k);
        for i in 0..k {
            // Knots from just inside the ends: the extreme samples are
            // the least reliable quantiles.
            let q = (i as f32 + 0.5) / k as f32;
            let x = quantile(source, q);
            // Knots closer than this add no shape, only slope noise.
            if from.last().is_some_and(|&last: &f32| x - last < 1e-4) {
                continue;
            }
            from.push(x);
            shift.push((quantile(target, q) - x) * options.relax);
        }
        // Smooth the displacements along the curve: neighbouring
        // quantiles of a finite sample jitter, and jitter is grain.
        let smooth: Vec<f32> = (0..shift.len())
            .map(|i| {
                let a = shift[i.saturating_sub(1)];
                let c = shift[(i + 1).min(shift.len() - 1)];
                (a + 2.0 * shift[i] + c) / 4.0
            })
            .collect();
        // Monotone: a colour map must never swap two tones.
        let mut to: Vec<f32> = from.iter().zip(&smooth).map(|(x, s)| x + s).collect();
        for i in 1..to.len() {
            to[i] = to[i].max(to[i - 1]);
        }
        Curve::through(&from, &to)
    }
}

impl Step {
    fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let mut out = rgb;
        for (axis, curve) in self.axes.iter().zip(&self.curves) {
            let p = dot(rgb, *axis);
            let d = curve.eval(p) - p;
            for c in 0..3 {
                out[c] += d * axis[c];
            }
        }
        out
    }
}

impl Transfer {
    /// The identity map.
    pub fn identity() -> Transfer {
        Transfer { steps: Vec::new() }
    }

    /// Fits the map that moves `content`'s colour distribution onto
    /// `style`'s. Both are RGB samples in 0..=1; a few thousand of each
    /// suffice. The same inputs always give the same map.
    pub fn fit(content: &[[f32; 3]], style: &[[f32; 3]], options: &FitOptions) -> Transfer {
        if content.is_empty() || style.is_empty() {
            return Transfer::identity();
        }
        let mut rng = Rng::new(options.seed);
        let mut x = content.to_vec();
        let mut steps = Vec::with_capacity(options.steps);
        let (mut px, mut ps) = (Vec::new(), Vec::new());
        for _ in 0..options.steps {
            let axes = rng.rotation();
            let curves = axes.map(|axis| {
                px.clear();
                px.extend(x.iter().map(|&c| dot(c, axis)));
                px.sort_unstable_by(f32::total_cmp);
                ps.clear();
                ps.extend(style.iter().map(|&c| dot(c, axis)));
                ps.sort_unstable_by(f32::total_cmp);
                Curve::matching(&px, &ps, options)
            });
            let step = Step { axes, curves };
            for c in &mut x {
                *c = step.apply(*c);
            }
            steps.push(step);
        }
        Transfer { steps }
    }

    /// The map at one colour (unclamped: the steps are applied to
    /// unbounded coordinates and clamped once, at the end).
    pub fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let out = self.steps.iter().fold(rgb, |c, step| step.apply(c));
        out.map(|v| v.clamp(0.0, 1.0))
    }

    /// The map baked into a `size`³ LUT, mixed with the identity by
    /// `strength` (0..=1).
    pub fn bake(&self, size: usize, strength: f32) -> Cube {
        Cube::from_fn(size, None, |rgb| {
            let out = self.apply(rgb);
            std::array::from_fn(|c| rgb[c] + (out[c] - rgb[c]) * strength)
        })
    }
}

/// The value at quantile `q` (0..=1) of sorted `values`, interpolated.
pub(crate) fn quantile(sorted: &[f32], q: f32) -> f32 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let pos = (q * n as f32 - 0.5).clamp(0.0, (n - 1) as f32);
    let i = (pos as usize).min(n - 2);
    let t = pos - i as f32;
    sorted[i] + t * (sorted[i + 1] - sorted[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::sliced_wasserstein;

    fn cloud(n: usize, seed: u64, centre: [f32; 3], spread: [f32; 3]) -> Vec<[f32; 3]> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                std::array::from_fn(|c| (centre[c] + spread[c] * rng.normal()).clamp(0.0, 1.0))
            })
            .collect()
    }

    #[test]
    fn moves_a_distribution_onto_another() {
        let content = cloud(4000, 1, [0.3, 0.5, 0.6], [0.1, 0.15, 0.05]);
        let style = cloud(6000, 2, [0.7, 0.4, 0.2], [0.05, 0.1, 0.12]);
        let map = Transfer::fit(&content, &style, &FitOptions::default());
        let moved: Vec<[f32; 3]> = content.iter().map(|&c| map.apply(c)).collect();
        let before = sliced_wasserstein(&content, &style);
        let after = sliced_wasserstein(&moved, &style);
        assert!(after < 0.1 * before, "{before} -> {after}");
    }

    #[test]
    fn the_same_inputs_give_the_same_map() {
        let content = cloud(500, 3, [0.5; 3], [0.2; 3]);
        let style = cloud(500, 4, [0.4, 0.5, 0.3], [0.1; 3]);
        let o = FitOptions::default();
        assert_eq!(
            Transfer::fit(&content, &style, &o),
            Transfer::fit(&content, &style, &o)
        );
    }

    #[test]
    fn curves_are_monotone_and_shift_beyond_their_ends() {
        let source: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        let target: Vec<f32> = (0..100).map(|i| 0.2 + i as f32 / 200.0).collect();
        let curve = Curve::matching(
            &source,
            &target,
            &FitOptions {
                relax: 1.0,
                ..Default::default()
            },
        );
        let ys: Vec<f32> = (0..=200)
            .map(|i| curve.eval(i as f32 / 200.0 * 1.4 - 0.2))
            .collect();
        assert!(ys.windows(2).all(|w| w[1] >= w[0]));
        assert!((curve.eval(0.5) - 0.45).abs() < 0.01, "{}", curve.eval(0.5));
    }
}
