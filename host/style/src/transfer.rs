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
    /// How far the slope of each step's curves may stray from their
    /// mean slope, as a factor (see [`Curve::matching`]).
    pub slope: f32,
    /// The steepest any step's curve may be (and the gentlest, its
    /// inverse): a picture whose colours crowd into a corner of the cube
    /// (a dark sky, a star field's black) would otherwise be spread, step
    /// after step, by a map steep enough to show its noise and to bend
    /// between a LUT's lattice points.
    pub max_slope: f32,
    /// Keep the order of tones: the output's luma becomes a monotone
    /// function of the input's (matched to the luma the transport gave),
    /// so light stays lighter than dark everywhere and luma edges keep
    /// their place and order, its slope within this factor of its mean
    /// slope (see [`Curve::matching`]). `None`: luma as the
    /// transport leaves it, where two colours of equal luma but
    /// different hue may part and draw edges that were not there.
    pub luma_slope: Option<f32>,
    /// Knots of that luma curve: fewer than the steps' curves, so its
    /// slope changes slowly across the tones a texture spans.
    pub luma_knots: usize,
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            steps: 10,
            knots: 24,
            relax: 0.9,
            slope: 4.0,
            max_slope: 3.0,
            luma_slope: Some(1.5),
            luma_knots: 24,
            seed: 0x517E_5EED,
        }
    }
}

/// A fitted colour map: RGB in 0..=1 to RGB in 0..=1.
#[derive(Clone, Debug, PartialEq)]
pub struct Transfer {
    steps: Vec<Step>,
    /// The output's luma as a monotone function of the input's (see
    /// [`FitOptions::keep_luma_order`]).
    luma: Option<Curve>,
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

    /// The smooth monotone curve through knots `from` (rising) to `to`
    /// (not falling): monotone cubic Hermite interpolation (Fritsch and
    /// Carlson 1980), so the map has no creases at its knots for a LUT's
    /// lattice to cut across.
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
        let secant: Vec<f32> = (0..n - 1)
            .map(|i| (to[i + 1] - to[i]) / (from[i + 1] - from[i]))
            .collect();
        // Tangents: the mean of the neighbouring secants, zero at a
        // flat step, limited so the cubic cannot overshoot.
        let mut tangent: Vec<f32> = (0..n)
            .map(|i| match i {
                0 => secant[0],
                i if i == n - 1 => secant[n - 2],
                i if secant[i - 1] * secant[i] <= 0.0 => 0.0,
                i => (secant[i - 1] + secant[i]) / 2.0,
            })
            .collect();
        for i in 0..n - 1 {
            if secant[i] == 0.0 {
                tangent[i] = 0.0;
                tangent[i + 1] = 0.0;
                continue;
            }
            let (a, b) = (tangent[i] / secant[i], tangent[i + 1] / secant[i]);
            let r = a * a + b * b;
            if r > 9.0 {
                let t = 3.0 / r.sqrt();
                tangent[i] = t * a * secant[i];
                tangent[i + 1] = t * b * secant[i];
            }
        }
        let per_unit = (CURVE_TABLE - 1) as f32 / (hi - lo);
        let mut k = 0;
        let table = (0..CURVE_TABLE)
            .map(|i| {
                let x = lo + i as f32 / per_unit;
                while k < n - 2 && from[k + 1] < x {
                    k += 1;
                }
                let h = from[k + 1] - from[k];
                let t = ((x - from[k]) / h).clamp(0.0, 1.0);
                let (t2, t3) = (t * t, t * t * t);
                (2.0 * t3 - 3.0 * t2 + 1.0) * to[k]
                    + (t3 - 2.0 * t2 + t) * h * tangent[k]
                    + (-2.0 * t3 + 3.0 * t2) * to[k + 1]
                    + (t3 - t2) * h * tangent[k + 1]
            })
            .collect();
        Curve {
            lo,
            per_unit,
            table,
        }
    }

    /// The curve moving `source`'s sorted values onto `target`'s
    /// quantiles, its slope between knots kept within `ratio` times (or
    /// 1 / `ratio` times) its mean slope: tones are stretched or squeezed
    /// evenly, so edges keep their relative strength (an edge in the
    /// shadows does not vanish while one in the midtones doubles) and
    /// the map stays smooth enough for a LUT's lattice.
    fn matching(source: &[f32], target: &[f32], options: &FitOptions, ratio: f32) -> Curve {
        let (from, to) = Curve::knots(source, target, options);
        let n = from.len();
        if n < 2 {
            return Curve::through(&from, &to);
        }
        let mean = ((to[n - 1] - to[0]) / (from[n - 1] - from[0])).max(1e-3);
        let mut even = vec![to[0]];
        for i in 1..n {
            let slope = (to[i] - to[i - 1]) / (from[i] - from[i - 1]);
            let slope = slope
                .clamp(mean / ratio, mean * ratio)
                .clamp(1.0 / options.max_slope, options.max_slope);
            even.push(even[i - 1] + slope * (from[i] - from[i - 1]));
        }
        // Keep the curve's average level where the matching put it.
        let shift = (to.iter().sum::<f32>() - even.iter().sum::<f32>()) / n as f32;
        let even: Vec<f32> = even.iter().map(|v| v + shift).collect();
        Curve::through(&from, &even)
    }

    /// The knots matching `source`'s quantiles to `target`'s: inputs
    /// rising, outputs not falling.
    fn knots(source: &[f32], target: &[f32], options: &FitOptions) -> (Vec<f32>, Vec<f32>) {
        let k = options.knots.max(2);
        let mut from: Vec<f32> = Vec::with_capacity(k);
        let mut shift: Vec<f32> = Vec::with_capacity(k);
        // Knots merged into each (their positions and shifts averaged).
        let mut merged: Vec<f32> = Vec::with_capacity(k);
        for i in 0..k {
            // Knots closer together towards the ends (Chebyshev
            // spacing): a picture's tails (highlights, a star field's
            // stars) are a few percent of it but carry much of its look.
            // The very ends stay out: the extreme samples are the least
            // reliable quantiles.
            let q = 0.5 - 0.5 * (std::f32::consts::PI * (i as f32 + 0.5) / k as f32).cos();
            let x = quantile(source, q);
            let d = (quantile(target, q) - x) * options.relax;
            // Knots closer than the lattice of the LUT the map is baked
            // into would give it detail the LUT cannot hold (where a
            // picture's colours crowd together, as a sky's do): such
            // knots merge into one, at their mean.
            match (from.last_mut(), shift.last_mut(), merged.last_mut()) {
                (Some(last), Some(s), Some(n)) if x - *last < MIN_KNOT_GAP => {
                    *n += 1.0;
                    *last += (x - *last) / *n;
                    *s += (d - *s) / *n;
                }
                _ => {
                    from.push(x);
                    shift.push(d);
                    merged.push(1.0);
                }
            }
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
        (from, to)
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
        Transfer {
            steps: Vec::new(),
            luma: None,
        }
    }

    /// Fits the map that moves `content`'s colour distribution onto
    /// `style`'s. Both are RGB samples in 0..=1; a few thousand of each
    /// suffice. The same inputs always give the same map.
    pub fn fit(content: &[[f32; 3]], style: &[[f32; 3]], options: &FitOptions) -> Transfer {
        if content.is_empty() || style.is_empty() {
            return Transfer::identity();
        }
        let mut rng = Rng::new(options.seed);
        // The content blurred by a lattice cell's width: a picture whose
        // colours crowd together (a star field's black) would otherwise be
        // spread by a map with detail finer than the LUT it is baked into.
        let mut x: Vec<[f32; 3]> = content
            .iter()
            .map(|c| c.map(|v| v + JITTER * rng.normal()))
            .collect();
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
                Curve::matching(&px, &ps, options, options.slope)
            });
            let step = Step { axes, curves };
            for c in &mut x {
                *c = step.apply(*c);
            }
            steps.push(step);
        }
        let luma = options.luma_slope.map(|ratio| {
            let mut before: Vec<f32> = content.iter().map(|&c| luma(c)).collect();
            let mut after: Vec<f32> = x.iter().map(|&c| luma(c)).collect();
            before.sort_unstable_by(f32::total_cmp);
            after.sort_unstable_by(f32::total_cmp);
            let exact = FitOptions {
                relax: 1.0,
                knots: options.luma_knots,
                ..options.clone()
            };
            Curve::matching(&before, &after, &exact, ratio)
        });
        Transfer { steps, luma }
    }

    /// The map at one colour (unclamped: the steps are applied to
    /// unbounded coordinates and clamped once, at the end).
    pub fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let mut out = self.steps.iter().fold(rgb, |c, step| step.apply(c));
        if let Some(curve) = &self.luma {
            // The luma the curve gives, with the transport's chroma (the
            // colour minus its luma: the weights sum to 1), shrunk just
            // enough to fit the RGB cube, so clipping a channel never
            // moves luma and bends the tone curve.
            let y = curve.eval(luma(rgb)).clamp(0.0, 1.0);
            let grey = luma(out);
            let chroma = out.map(|v| v - grey);
            let mut k = 1.0f32;
            for c in chroma {
                if y + c > 1.0 {
                    k = k.min((1.0 - y) / c);
                } else if y + c < 0.0 {
                    k = k.min(y / -c);
                }
            }
            out = chroma.map(|c| y + k * c);
        }
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

/// The closest two knots of a curve may be, in colour units (0..=1 per
/// channel): a 33³ LUT's lattice spacing.
const MIN_KNOT_GAP: f32 = 1.0 / 32.0;

/// The spread (colour units) of the blur on content samples.
const JITTER: f32 = 1.0 / 32.0;

/// BT.709 luma of gamma-encoded RGB, as video carries it.
fn luma(rgb: [f32; 3]) -> f32 {
    0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
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
            4.0,
        );
        let ys: Vec<f32> = (0..=200)
            .map(|i| curve.eval(i as f32 / 200.0 * 1.4 - 0.2))
            .collect();
        assert!(ys.windows(2).all(|w| w[1] >= w[0]));
        assert!((curve.eval(0.5) - 0.45).abs() < 0.01, "{}", curve.eval(0.5));
    }

    #[test]
    fn a_gap_in_the_target_is_bridged_gradually() {
        // A target with a gap: matching alone jumps across it.
        let source: Vec<f32> = (0..200).map(|i| i as f32 / 200.0).collect();
        let target: Vec<f32> = (0..200)
            .map(|i| {
                if i < 100 {
                    i as f32 / 400.0
                } else {
                    0.75 + i as f32 / 800.0
                }
            })
            .collect();
        let steepest = |options: &FitOptions, ratio: f32| {
            let curve = Curve::matching(&source, &target, options, ratio);
            let ys: Vec<f32> = (0..=100)
                .map(|i| curve.eval(0.05 + 0.9 * i as f32 / 100.0))
                .collect();
            assert!(ys.windows(2).all(|w| w[1] >= w[0]), "monotone");
            ys.windows(2)
                .map(|w| (w[1] - w[0]) / 0.009)
                .fold(0f32, f32::max)
        };
        let free = FitOptions {
            max_slope: 1e6,
            ..FitOptions::default()
        };
        let (jump, bridged) = (steepest(&free, 1e6), steepest(&FitOptions::default(), 2.0));
        // The limited curve's secants stay within 2x of their mean (about
        // 0.85) and 3 absolute; its cubic may exceed a secant, but not by
        // much.
        assert!(
            bridged < 2.0 * 0.85 * 1.5 && bridged < jump / 2.0,
            "{bridged} against {jump}"
        );
    }
}
