//! AVX2 Kuwahara row: the eight sectors as the eight lanes of a register.
//! A sample is one load of its eight weights, three broadcasts (Y, U, V)
//! and five lane-wise sums; the per-pixel finish (means, variances, the
//! (q/2)-th power) is the scalar `finish` lane by lane. The tensor stages
//! are `reference.rs`'s bodies compiled with AVX2. No FMA and the same order of operations
//! as `reference.rs`, so every float, and every output byte, is the
//! baseline's.

use std::arch::x86_64::*;

use super::reference::{
    EXP2_POLY, Job, LOG2_POLY, POW_CAP, Planes, Weights, tensor_h_body, tensor_v_body,
};

#[target_feature(enable = "avx2")]
pub(super) fn filter_row(
    job: &Job<'_>,
    y: usize,
    out_y: &mut [f32],
    out_u: &mut [f32],
    out_v: &mut [f32],
) {
    let p = job.planes;
    let [py, pu, pv] = &p.ch;
    let len = py.len().min(pu.len()).min(pv.len());
    let row0 = p.start(y);
    let kernels = &job.kernels[y * p.w..][..p.w];
    let bank = job.bank;
    // No offset is longer than `max_offset`, and the picture's rows are
    // padded by at least that: checked once a row.
    let reach = bank.max_offset;
    assert!(bank.stride == p.stride && row0 >= reach && row0 + p.w + reach <= len);
    let zero = _mm256_setzero_ps();
    for x in 0..p.w {
        let (offsets, weights) = bank.kernel(kernels[x]);
        let centre = (row0 + x) as isize;
        // Even and odd samples in two sets of sums, as the baseline does
        // (two named sets, not an indexed pair: they stay in registers).
        let (mut even, mut odd) = ([zero; 5], [zero; 5]);
        let mut pairs = offsets.chunks_exact(2).zip(weights.chunks_exact(2));
        for (off, wt) in &mut pairs {
            // SAFETY: |offset| <= reach and `centre` is a picture pixel of
            // a row padded by `reach` (checked above): in the planes.
            unsafe {
                add(&mut even, (centre + off[0]) as usize, &wt[0], py, pu, pv);
                add(&mut odd, (centre + off[1]) as usize, &wt[1], py, pu, pv);
            }
        }
        if let (Some(off), Some(wt)) = (
            offsets.chunks_exact(2).remainder().first(),
            weights.chunks_exact(2).remainder().first(),
        ) {
            // SAFETY: as above.
            unsafe { add(&mut even, (centre + off) as usize, wt, py, pu, pv) };
        }
        let [w, sy, syy, su, sv] = std::array::from_fn(|k| _mm256_add_ps(even[k], odd[k]));
        [out_y[x], out_u[x], out_v[x]] = finish(w, sy, syy, su, sv, job.half_q, job.int_q);
    }
}

/// Adds the sample at `at` with weights `wt` to the sums (w, wY, wY^2,
/// wU, wV).
///
/// # Safety
/// `at` is inside the three planes; the CPU has AVX2.
#[inline(always)]
unsafe fn add(sums: &mut [__m256; 5], at: usize, wt: &Weights, py: &[f32], pu: &[f32], pv: &[f32]) {
    // SAFETY: the caller's guarantees; `wt` is 8 aligned floats.
    unsafe {
        let wt = _mm256_load_ps(wt.0.as_ptr());
        let ys = _mm256_set1_ps(*py.get_unchecked(at));
        let us = _mm256_set1_ps(*pu.get_unchecked(at));
        let vs = _mm256_set1_ps(*pv.get_unchecked(at));
        let [w, sy, syy, su, sv] = sums;
        *w = _mm256_add_ps(*w, wt);
        let wy = _mm256_mul_ps(wt, ys);
        *sy = _mm256_add_ps(*sy, wy);
        *syy = _mm256_add_ps(*syy, _mm256_mul_ps(wy, ys));
        *su = _mm256_add_ps(*su, _mm256_mul_ps(wt, us));
        *sv = _mm256_add_ps(*sv, _mm256_mul_ps(wt, vs));
    }
}

/// `reference::finish`, the eight sectors at once.
#[inline]
#[target_feature(enable = "avx2")]
fn finish(
    w: __m256,
    y: __m256,
    yy: __m256,
    u: __m256,
    v: __m256,
    half_q: f32,
    int_q: u32,
) -> [f32; 3] {
    let splat = _mm256_set1_ps;
    let one = splat(1.0);
    let inv = _mm256_div_ps(one, _mm256_max_ps(w, splat(1e-20)));
    let my = _mm256_mul_ps(y, inv);
    let var = _mm256_max_ps(
        _mm256_sub_ps(_mm256_mul_ps(yy, inv), _mm256_mul_ps(my, my)),
        _mm256_setzero_ps(),
    );
    let x = _mm256_max_ps(_mm256_mul_ps(var, splat(3.0 / 255.0)), splat(1e-12));
    let pow = if int_q > 0 {
        powi(x, int_q)
    } else {
        exp2(_mm256_mul_ps(splat(half_q), log2(x)))
    };
    let a = _mm256_div_ps(one, _mm256_add_ps(one, pow));
    let ay = _mm256_mul_ps(a, my);
    let au = _mm256_mul_ps(a, _mm256_mul_ps(u, inv));
    let av = _mm256_mul_ps(a, _mm256_mul_ps(v, inv));
    // The four sums at once: [a, ay, au, av] reduced pairwise by `hadd`
    // (lanes 0..4 and 4..8 apart), as `reference::sum8` orders them.
    let pairs = _mm256_hadd_ps(_mm256_hadd_ps(a, ay), _mm256_hadd_ps(au, av));
    let sums = _mm_add_ps(
        _mm256_castps256_ps128(pairs),
        _mm256_extractf128_ps::<1>(pairs),
    );
    let mut s = [0f32; 4];
    // SAFETY: `s` holds 4 floats.
    unsafe { _mm_storeu_ps(s.as_mut_ptr(), sums) };
    let inv = 1.0 / s[0];
    [s[1] * inv, s[2] * inv, s[3] * inv]
}

/// `reference::powi` lane by lane.
#[inline]
#[target_feature(enable = "avx2")]
fn powi(x: __m256, n: u32) -> __m256 {
    let (mut base, mut n) = (x, n);
    while n & 1 == 0 {
        base = _mm256_mul_ps(base, base);
        n >>= 1;
    }
    let mut result = base;
    n >>= 1;
    while n > 0 {
        base = _mm256_mul_ps(base, base);
        if n & 1 == 1 {
            result = _mm256_mul_ps(result, base);
        }
        n >>= 1;
    }
    _mm256_min_ps(result, _mm256_set1_ps(POW_CAP))
}

/// `reference::log2_approx` lane by lane.
#[inline]
#[target_feature(enable = "avx2")]
fn log2(x: __m256) -> __m256 {
    let bits = _mm256_castps_si256(x);
    let e = _mm256_sub_epi32(
        _mm256_and_si256(_mm256_srli_epi32::<23>(bits), _mm256_set1_epi32(0xff)),
        _mm256_set1_epi32(127),
    );
    let m = _mm256_castsi256_ps(_mm256_or_si256(
        _mm256_and_si256(bits, _mm256_set1_epi32(0x007f_ffff)),
        _mm256_set1_epi32(0x3f80_0000),
    ));
    let c = |i: usize| _mm256_set1_ps(LOG2_POLY[i]);
    let t = _mm256_sub_ps(m, _mm256_set1_ps(1.0));
    let p = _mm256_mul_ps(t, c(5));
    let p = _mm256_mul_ps(t, _mm256_add_ps(c(4), p));
    let p = _mm256_mul_ps(t, _mm256_add_ps(c(3), p));
    let p = _mm256_mul_ps(t, _mm256_add_ps(c(2), p));
    let p = _mm256_mul_ps(t, _mm256_add_ps(c(1), p));
    let p = _mm256_add_ps(c(0), p);
    _mm256_add_ps(_mm256_cvtepi32_ps(e), p)
}

/// `reference::exp2_approx` lane by lane.
#[inline]
#[target_feature(enable = "avx2")]
fn exp2(t: __m256) -> __m256 {
    let t = _mm256_min_ps(
        _mm256_max_ps(t, _mm256_set1_ps(-64.0)),
        _mm256_set1_ps(64.0),
    );
    let i = _mm256_cvttps_epi32(t);
    // Where truncation went up (negative t), step down: a floor.
    let up = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_GT_OQ>(_mm256_cvtepi32_ps(i), t));
    let i = _mm256_add_epi32(i, up);
    let f = _mm256_sub_ps(t, _mm256_cvtepi32_ps(i));
    let c = |k: usize| _mm256_set1_ps(EXP2_POLY[k]);
    let p = _mm256_mul_ps(f, c(4));
    let p = _mm256_mul_ps(f, _mm256_add_ps(c(3), p));
    let p = _mm256_mul_ps(f, _mm256_add_ps(c(2), p));
    let p = _mm256_mul_ps(f, _mm256_add_ps(c(1), p));
    let p = _mm256_add_ps(c(0), p);
    let scale = _mm256_slli_epi32::<23>(_mm256_add_epi32(i, _mm256_set1_epi32(127)));
    _mm256_mul_ps(p, _mm256_castsi256_ps(scale))
}

/// `reference::tensor_h` with AVX2 (vectorised along x; the same floats).
#[target_feature(enable = "avx2")]
pub(super) fn tensor_h(p: &Planes, taps: &[f32], y0: usize, out: &mut [&mut [f32]; 3]) {
    tensor_h_body(p, taps, y0, out);
}

/// `reference::tensor_v` with AVX2.
#[target_feature(enable = "avx2")]
pub(super) fn tensor_v(
    planes: [&[f32]; 3],
    w: usize,
    h: usize,
    taps: &[f32],
    y0: usize,
    out: &mut [u16],
) {
    tensor_v_body(planes, w, h, taps, y0, out);
}
