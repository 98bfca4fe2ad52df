//! Hand-written SSE4.1 and AVX2 row kernels for the hottest paths. Each
//! computes exactly what its scalar twin in the op's module computes (same
//! fixed-point formulas, same rounding), a vector of pixels at a time, and
//! leaves the tail of the row to the scalar code. The tests in
//! `tests/against_reference.rs` hold them to bit-exact agreement.

use std::arch::x86_64::*;

use crate::color::{CBU, CGU, CGV, CRV, CY, KU, KV, KY};

/// Helpers shared by the SSE4.1 and AVX2 variants: 32-bit lanes, one
/// pixel per lane.
macro_rules! lanes {
    ($feature:literal, $set1:ident, $add:ident, $sub:ident, $mul:ident, $srai:ident, $min:ident, $max:ident, $ty:ty) => {
        #[inline]
        #[target_feature(enable = $feature)]
        fn splat(v: i32) -> $ty {
            $set1(v)
        }
        /// `clamp((a * ka + b * kb + c * kc + add) >> shift, 0, 255)`
        #[inline]
        #[target_feature(enable = $feature)]
        fn dot3(a: $ty, b: $ty, c: $ty, k: [i32; 3], add: i32, shift: i32) -> $ty {
            {
                let s = $add(
                    $add($mul(a, $set1(k[0])), $mul(b, $set1(k[1]))),
                    $add($mul(c, $set1(k[2])), $set1(add)),
                );
                let s = match shift {
                    13 => $srai::<13>(s),
                    15 => $srai::<15>(s),
                    _ => unreachable!(),
                };
                $min($max(s, $set1(0)), $set1(255))
            }
        }
    };
}

/// The bodies of the per-pixel (32-bit lane) kernels, written once over a
/// set of lane operations so SSE4.1 (4 pixels) and AVX2 (8 pixels) share
/// them.
macro_rules! pixel_kernels {
    (
        $feature:literal, $ty:ty, $lanes:literal,
        load = $load:ident, store = $store:ident, and = $and:ident, or = $or:ident,
        srli = $srli:ident, slli = $slli:ident, srai = $srai:ident, add = $add:ident, sub = $sub:ident, mul = $mul:ident,
        min = $min:ident, max = $max:ident,
        ps = { from = $cvt:ident, to = $cvtt:ident, set1 = $pset1:ident, add = $padd:ident, sub = $psub:ident,
               mul = $pmul:ident, sqrt = $psqrt:ident, min = $pmin:ident, max = $pmax:ident },
        load_bytes = $load_bytes:expr, store_bytes = $store_bytes:expr
    ) => {
        #[inline]
        #[target_feature(enable = $feature)]
        fn channel(px: $ty, shift: i32) -> $ty {
            let shifted = match shift {
                0 => px,
                8 => $srli::<8>(px),
                16 => $srli::<16>(px),
                _ => $srli::<24>(px),
            };
            $and(shifted, splat(0xff))
        }

        /// `x / 255` rounded, for 0 <= x <= 255 * 255 (as `color::div255`).
        #[inline]
        #[target_feature(enable = $feature)]
        fn div255(x: $ty) -> $ty {
            let x = $add(x, splat(128));
            $srli::<8>($add(x, $srli::<8>(x)))
        }

        /// Premultiplied RGBA over luma, as `blend::blend_luma_row`.
        #[allow(dead_code, reason = "AVX2 has a faster one: avx2::blend_luma_madd")]
        #[target_feature(enable = $feature)]
        pub fn blend_luma(src: &[u8], dst: &mut [u8], op: u32) -> usize {
            let n = (src.len() / 4).min(dst.len()) / $lanes * $lanes;
            let op = splat(op as i32);
            let mut x = 0;
            while x < n {
                // SAFETY: x + lanes <= n: 4 * lanes bytes of `src` and
                // lanes bytes of `dst` are read and written, in bounds.
                unsafe {
                    let px = $load(src.as_ptr().add(4 * x) as *const $ty);
                    let [r, g, b, a] = [0, 8, 16, 24].map(|s| div255($mul(channel(px, s), op)));
                    let yc = $add(
                        $add($mul(r, splat(KY[0])), $mul(g, splat(KY[1]))),
                        $add(
                            $add($mul(b, splat(KY[2])), $mul(a, splat(16 * 128))),
                            splat(1 << 14),
                        ),
                    );
                    let yc = $srai::<15>(yc);
                    let d = $load_bytes(dst.as_ptr().add(x));
                    let keep = div255($mul(d, $sub(splat(255), a)));
                    let out = $min($max($add(yc, keep), splat(0)), splat(255));
                    $store_bytes(dst.as_mut_ptr().add(x), out);
                }
                x += $lanes;
            }
            n
        }

        /// Chroma key on RGBA, as `chroma_key::key_row`.
        #[target_feature(enable = $feature)]
        pub fn chroma_key(
            row: &mut [u8],
            ku: f32,
            kv: f32,
            similarity: f32,
            inv_smooth: f32,
        ) -> usize {
            let n = row.len() / 4 / $lanes * $lanes;
            let mut x = 0;
            while x < n {
                // SAFETY: x + lanes <= n: 4 * lanes bytes read and written.
                unsafe {
                    let px = $load(row.as_ptr().add(4 * x) as *const $ty);
                    let [r, g, b, a] = [0, 8, 16, 24].map(|s| channel(px, s));
                    let u = dot3(r, g, b, KU, (128 << 15) + (1 << 14), 15);
                    let v = dot3(r, g, b, KV, (128 << 15) + (1 << 14), 15);
                    let du = $psub($cvt(u), $pset1(ku));
                    let dv = $psub($cvt(v), $pset1(kv));
                    let distance = $pmul(
                        $psqrt($padd($pmul(du, du), $pmul(dv, dv))),
                        $pset1(1.0 / 255.0),
                    );
                    let t = $pmul($psub(distance, $pset1(similarity)), $pset1(inv_smooth));
                    let t = $pmin($pmax(t, $pset1(0.0)), $pset1(1.0));
                    let alpha = $cvtt($padd($pmul(t, $cvt(a)), $pset1(0.5)));
                    let [r, g, b] = [r, g, b].map(|c| div255($mul(c, alpha)));
                    let out = $or(
                        $or(r, $slli::<8>(g)),
                        $or($slli::<16>(b), $slli::<24>(alpha)),
                    );
                    $store(row.as_mut_ptr().add(4 * x) as *mut $ty, out);
                }
                x += $lanes;
            }
            n
        }
    };
}

pub mod sse41 {
    use super::*;

    lanes!(
        "sse4.1",
        _mm_set1_epi32,
        _mm_add_epi32,
        _mm_sub_epi32,
        _mm_mullo_epi32,
        _mm_srai_epi32,
        _mm_min_epi32,
        _mm_max_epi32,
        __m128i
    );

    /// 4 bytes widened to 4 lanes.
    #[inline]
    #[target_feature(enable = "sse4.1")]
    unsafe fn load4(p: *const u8) -> __m128i {
        // SAFETY: the caller guarantees 4 readable bytes at `p`.
        unsafe { _mm_cvtepu8_epi32(_mm_cvtsi32_si128((p as *const i32).read_unaligned())) }
    }

    /// The low byte of each of 4 lanes (each 0..=255), stored at `p`.
    #[inline]
    #[target_feature(enable = "sse4.1")]
    unsafe fn store4(p: *mut u8, v: __m128i) {
        let packed = _mm_packus_epi16(_mm_packs_epi32(v, v), v);
        // SAFETY: the caller guarantees 4 writable bytes at `p`.
        unsafe { (p as *mut i32).write_unaligned(_mm_cvtsi128_si32(packed)) }
    }

    pixel_kernels!(
        "sse4.1", __m128i, 4,
        load = _mm_loadu_si128, store = _mm_storeu_si128, and = _mm_and_si128, or = _mm_or_si128,
        srli = _mm_srli_epi32, slli = _mm_slli_epi32, srai = _mm_srai_epi32, add = _mm_add_epi32,
        sub = _mm_sub_epi32, mul = _mm_mullo_epi32, min = _mm_min_epi32, max = _mm_max_epi32,
        ps = { from = _mm_cvtepi32_ps, to = _mm_cvttps_epi32, set1 = _mm_set1_ps, add = _mm_add_ps,
               sub = _mm_sub_ps, mul = _mm_mul_ps, sqrt = _mm_sqrt_ps, min = _mm_min_ps, max = _mm_max_ps },
        load_bytes = load4, store_bytes = store4
    );

    /// Two RGBA rows to one row of U and V (2x2 averages), 4 chroma
    /// samples a step, as `convert::rgba_to_uv_row`; returns the samples done.
    #[target_feature(enable = "sse4.1")]
    pub fn rgba_to_uv(top: &[u8], bottom: &[u8], u: &mut [u8], v: &mut [u8]) -> usize {
        // Only whole 2x2 blocks: the odd last column is left to the tail.
        let n = (top.len().min(bottom.len()) / 8).min(u.len()).min(v.len()) & !3;
        let mut c = 0;
        while c < n {
            // SAFETY: c + 4 <= n: 32 bytes of each row read (8 pixels), 4
            // bytes of u and v written.
            unsafe {
                let p = |row: &[u8], i: usize| {
                    _mm_loadu_si128(row.as_ptr().add(8 * c + 16 * i) as *const __m128i)
                };
                let (t0, t1, b0, b1) = (p(top, 0), p(top, 1), p(bottom, 0), p(bottom, 1));
                let avg = |shift: i32| {
                    let ch = |px: __m128i| {
                        _mm_and_si128(
                            match shift {
                                0 => px,
                                8 => _mm_srli_epi32::<8>(px),
                                _ => _mm_srli_epi32::<16>(px),
                            },
                            splat(0xff),
                        )
                    };
                    let sum = _mm_hadd_epi32(
                        _mm_add_epi32(ch(t0), ch(b0)),
                        _mm_add_epi32(ch(t1), ch(b1)),
                    );
                    _mm_srai_epi32::<2>(_mm_add_epi32(sum, splat(2)))
                };
                let (r, g, b) = (avg(0), avg(8), avg(16));
                store4(
                    u.as_mut_ptr().add(c),
                    dot3(r, g, b, KU, (128 << 15) + (1 << 14), 15),
                );
                store4(
                    v.as_mut_ptr().add(c),
                    dot3(r, g, b, KV, (128 << 15) + (1 << 14), 15),
                );
            }
            c += 4;
        }
        n
    }

    /// Y, U, V (planar, U and V at half width) to RGBA; returns the pixels done.
    #[target_feature(enable = "sse4.1")]
    pub fn yuv_to_rgba(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
        let n = (y.len().min(out.len() / 4).min(2 * u.len()).min(2 * v.len())) & !3;
        let mut x = 0;
        while x < n {
            // SAFETY: x + 4 <= n keeps every load and store in bounds:
            // 4 luma bytes, 2 chroma bytes each, 16 output bytes.
            unsafe {
                let yl = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(i32::from_le_bytes(
                    y[x..x + 4].try_into().unwrap(),
                )));
                let c = x / 2;
                let ul = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(
                    u16::from_le_bytes([u[c], u[c + 1]]) as i32
                ));
                let vl = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(
                    u16::from_le_bytes([v[c], v[c + 1]]) as i32
                ));
                // [c0, c0, c1, c1]: each chroma sample covers two pixels.
                let d = _mm_sub_epi32(_mm_shuffle_epi32::<0b01_01_00_00>(ul), splat(128));
                let e = _mm_sub_epi32(_mm_shuffle_epi32::<0b01_01_00_00>(vl), splat(128));
                let cy = _mm_add_epi32(
                    _mm_mullo_epi32(_mm_sub_epi32(yl, splat(16)), splat(CY)),
                    splat(1 << 12),
                );
                let zero = splat(0);
                let r = dot3(cy, zero, e, [1, 0, CRV], 0, 13);
                let g = dot3(cy, d, e, [1, -CGU, -CGV], 0, 13);
                let b = dot3(cy, d, zero, [1, CBU, 0], 0, 13);
                let px = _mm_or_si128(
                    _mm_or_si128(r, _mm_slli_epi32::<8>(g)),
                    _mm_or_si128(_mm_slli_epi32::<16>(b), splat(0xff << 24)),
                );
                _mm_storeu_si128(out.as_mut_ptr().add(4 * x) as *mut __m128i, px);
            }
            x += 4;
        }
        n
    }

    /// RGBA to Y; returns the pixels done.
    #[target_feature(enable = "sse4.1")]
    pub fn rgba_to_y(rgba: &[u8], y: &mut [u8]) -> usize {
        let n = (rgba.len() / 4).min(y.len()) & !3;
        let mut x = 0;
        while x < n {
            // SAFETY: x + 4 <= n: 16 bytes read, 4 written, in bounds.
            unsafe {
                let px = _mm_loadu_si128(rgba.as_ptr().add(4 * x) as *const __m128i);
                let mask = splat(0xff);
                let r = _mm_and_si128(px, mask);
                let g = _mm_and_si128(_mm_srli_epi32::<8>(px), mask);
                let b = _mm_and_si128(_mm_srli_epi32::<16>(px), mask);
                let l = dot3(r, g, b, KY, (16 << 15) + (1 << 14), 15);
                let packed = _mm_packus_epi16(_mm_packs_epi32(l, l), _mm_setzero_si128());
                let bytes = _mm_cvtsi128_si32(packed).to_le_bytes();
                y[x..x + 4].copy_from_slice(&bytes);
            }
            x += 4;
        }
        n
    }

    /// Premultiplied RGBA `src` over RGBA `dst`, 16-bit lanes, 4 pixels a
    /// step; returns the pixels done.
    #[target_feature(enable = "sse4.1")]
    pub fn blend_rgba(src: &[u8], dst: &mut [u8], op: u32) -> usize {
        let n = (src.len().min(dst.len()) / 4) & !3;
        let mut x = 0;
        let (op16, c128, c255) = (
            _mm_set1_epi16(op as i16),
            _mm_set1_epi16(128),
            _mm_set1_epi16(255),
        );
        while x < n {
            // SAFETY: x + 4 <= n: 16 bytes read from each side, 16 written.
            unsafe {
                let s = _mm_loadu_si128(src.as_ptr().add(4 * x) as *const __m128i);
                let d = _mm_loadu_si128(dst.as_ptr().add(4 * x) as *const __m128i);
                let zero = _mm_setzero_si128();
                let mut halves = [zero; 2];
                for (half, (s, d)) in halves.iter_mut().zip([
                    (_mm_unpacklo_epi8(s, zero), _mm_unpacklo_epi8(d, zero)),
                    (_mm_unpackhi_epi8(s, zero), _mm_unpackhi_epi8(d, zero)),
                ]) {
                    let div255 = |x: __m128i| {
                        let x = _mm_add_epi16(x, c128);
                        _mm_srli_epi16::<8>(_mm_add_epi16(x, _mm_srli_epi16::<8>(x)))
                    };
                    let sp = div255(_mm_mullo_epi16(s, op16));
                    // Each pixel's alpha, copied to its four lanes.
                    let a = _mm_shufflehi_epi16::<0xff>(_mm_shufflelo_epi16::<0xff>(sp));
                    let keep = div255(_mm_mullo_epi16(d, _mm_sub_epi16(c255, a)));
                    *half = _mm_min_epu16(_mm_add_epi16(sp, keep), c255);
                }
                _mm_storeu_si128(
                    dst.as_mut_ptr().add(4 * x) as *mut __m128i,
                    _mm_packus_epi16(halves[0], halves[1]),
                );
            }
            x += 4;
        }
        n
    }
}

pub mod avx2 {
    use super::*;

    /// 8 bytes widened to 8 lanes.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load8(p: *const u8) -> __m256i {
        // SAFETY: the caller guarantees 8 readable bytes at `p`.
        unsafe { _mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i)) }
    }

    /// The low byte of each of 8 lanes (each 0..=255), stored at `p`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store8(p: *mut u8, v: __m256i) {
        let bytes = _mm256_shuffle_epi8(
            v,
            _mm256_setr_epi8(
                0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1,
                -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
            ),
        );
        let lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(bytes)) as u32 as u64;
        let hi = _mm_cvtsi128_si32(_mm256_extracti128_si256::<1>(bytes)) as u32 as u64;
        // SAFETY: the caller guarantees 8 writable bytes at `p`.
        unsafe { (p as *mut u64).write_unaligned(lo | hi << 32) }
    }

    /// Premultiplied RGBA over luma, as `blend::blend_luma_row`, in 16-bit
    /// arithmetic: the colour is scaled by the opacity two bytes at a time
    /// and the luma dot product is one `madd` per pair of channels, where
    /// the 32-bit version spends nine 32-bit multiplies per 8 pixels.
    #[target_feature(enable = "avx2")]
    pub fn blend_luma_madd(src: &[u8], dst: &mut [u8], op: u32) -> usize {
        let n = (src.len() / 4).min(dst.len()) / 8 * 8;
        let zero = _mm256_setzero_si256();
        let (c128, op16) = (_mm256_set1_epi16(128), _mm256_set1_epi16(op as i16));
        let div255_16 = |x: __m256i| {
            let x = _mm256_add_epi16(x, c128);
            _mm256_srli_epi16::<8>(_mm256_add_epi16(x, _mm256_srli_epi16::<8>(x)))
        };
        // The r, g, b and a weights as four words, pixel after pixel.
        let weights = [KY[0], KY[1], KY[2], 16 * 128];
        let k = _mm256_set1_epi64x(
            weights
                .iter()
                .rev()
                .fold(0i64, |packed, w| packed << 16 | (*w as u16 as i64)),
        );
        let mut x = 0;
        while x < n {
            // SAFETY: x + 8 <= n: 32 bytes of `src` and 8 of `dst` read and
            // written, in bounds.
            unsafe {
                let px = _mm256_loadu_si256(src.as_ptr().add(4 * x) as *const __m256i);
                // Per 128-bit lane: pixels 0-1 (lo) and 2-3 (hi) as words.
                let (mut lo, mut hi) = (
                    _mm256_unpacklo_epi8(px, zero),
                    _mm256_unpackhi_epi8(px, zero),
                );
                if op != 255 {
                    lo = div255_16(_mm256_mullo_epi16(lo, op16));
                    hi = div255_16(_mm256_mullo_epi16(hi, op16));
                }
                // r*KY0 + g*KY1 and b*KY2 + a*2048 per pixel, then summed:
                // hadd keeps the pixels in order within each lane.
                let sums = _mm256_hadd_epi32(_mm256_madd_epi16(lo, k), _mm256_madd_epi16(hi, k));
                let yc =
                    _mm256_srai_epi32::<15>(_mm256_add_epi32(sums, _mm256_set1_epi32(1 << 14)));
                // The (scaled) alpha of each pixel, in the same order.
                let a = _mm256_srli_epi32::<24>(_mm256_packus_epi16(lo, hi));
                let d = load8(dst.as_ptr().add(x));
                let keep = _mm256_mullo_epi32(d, _mm256_sub_epi32(_mm256_set1_epi32(255), a));
                let keep = {
                    let t = _mm256_add_epi32(keep, _mm256_set1_epi32(128));
                    _mm256_srli_epi32::<8>(_mm256_add_epi32(t, _mm256_srli_epi32::<8>(t)))
                };
                let out = _mm256_min_epi32(
                    _mm256_max_epi32(_mm256_add_epi32(yc, keep), zero),
                    _mm256_set1_epi32(255),
                );
                store8(dst.as_mut_ptr().add(x), out);
            }
            x += 8;
        }
        n
    }

    /// Chroma of 2x2 blocks wholly under a premultiplied RGBA source, as
    /// `blend::chroma_blocks`: `top` and `bottom` hold the blocks' two
    /// rows of pixels, `u` and `v` their samples, blended in place. Eight
    /// blocks a step, in 16-bit arithmetic; returns the blocks done.
    #[target_feature(enable = "avx2")]
    pub fn chroma_blocks(top: &[u8], bottom: &[u8], op: u32, u: &mut [u8], v: &mut [u8]) -> usize {
        let blocks = u
            .len()
            .min(v.len())
            .min(top.len() / 8)
            .min(bottom.len() / 8);
        let n = blocks / 8 * 8;
        let zero = _mm256_setzero_si256();
        let (c128, op16) = (_mm256_set1_epi16(128), _mm256_set1_epi16(op as i16));
        let div255_16 = |x: __m256i| {
            let x = _mm256_add_epi16(x, c128);
            _mm256_srli_epi16::<8>(_mm256_add_epi16(x, _mm256_srli_epi16::<8>(x)))
        };
        let div255_32 = |x: __m256i| {
            let x = _mm256_add_epi32(x, _mm256_set1_epi32(128));
            _mm256_srli_epi32::<8>(_mm256_add_epi32(x, _mm256_srli_epi32::<8>(x)))
        };
        let words = |w: [i32; 4]| {
            _mm256_set1_epi64x(
                w.iter()
                    .rev()
                    .fold(0i64, |p, w| p << 16 | (*w as u16 as i64)),
            )
        };
        let (ku, kv, ka) = (
            words([KU[0], KU[1], KU[2], 128 * 128]),
            words([KV[0], KV[1], KV[2], 128 * 128]),
            words([0, 0, 0, 1]),
        );
        let mut i = 0;
        while i < n {
            // SAFETY: i + 8 <= blocks: 64 bytes of each row from 8 * i, and
            // 8 samples of `u` and `v` from i, are in bounds.
            unsafe {
                // Two halves of 4 blocks (8 pixels, 32 bytes) each: the
                // words of each block's 2x2 pixels summed, then averaged.
                let half = |h: usize| {
                    let t = _mm256_loadu_si256(top.as_ptr().add(8 * i + 32 * h) as *const __m256i);
                    let b =
                        _mm256_loadu_si256(bottom.as_ptr().add(8 * i + 32 * h) as *const __m256i);
                    let mut w = [
                        _mm256_unpacklo_epi8(t, zero),
                        _mm256_unpackhi_epi8(t, zero),
                        _mm256_unpacklo_epi8(b, zero),
                        _mm256_unpackhi_epi8(b, zero),
                    ];
                    if op != 255 {
                        w = w.map(|x| div255_16(_mm256_mullo_epi16(x, op16)));
                    }
                    // Per lane: lo = pixels 0-1, hi = pixels 2-3.
                    let lo = _mm256_add_epi16(w[0], w[2]);
                    let hi = _mm256_add_epi16(w[1], w[3]);
                    let sum = _mm256_add_epi16(
                        _mm256_unpacklo_epi64(lo, hi),
                        _mm256_unpackhi_epi64(lo, hi),
                    );
                    _mm256_srli_epi16::<2>(_mm256_add_epi16(sum, _mm256_set1_epi16(2)))
                };
                let (first, second) = (half(0), half(1));
                // madd gives two sums per block, hadd joins them: blocks
                // 0 1 4 5 | 2 3 6 7, put back in order by the permute.
                let per_block = |k: __m256i| {
                    _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_hadd_epi32(
                        _mm256_madd_epi16(first, k),
                        _mm256_madd_epi16(second, k),
                    ))
                };
                let round = _mm256_set1_epi32(1 << 14);
                let uc = _mm256_srai_epi32::<15>(_mm256_add_epi32(per_block(ku), round));
                let vc = _mm256_srai_epi32::<15>(_mm256_add_epi32(per_block(kv), round));
                let keep = _mm256_sub_epi32(_mm256_set1_epi32(255), per_block(ka));
                let over = |c: __m256i, p: *mut u8| {
                    let d = load8(p);
                    let out = _mm256_add_epi32(c, div255_32(_mm256_mullo_epi32(d, keep)));
                    store8(
                        p,
                        _mm256_min_epi32(_mm256_max_epi32(out, zero), _mm256_set1_epi32(255)),
                    );
                };
                over(uc, u.as_mut_ptr().add(i));
                over(vc, v.as_mut_ptr().add(i));
            }
            i += 8;
        }
        n
    }

    pixel_kernels!(
        "avx2", __m256i, 8,
        load = _mm256_loadu_si256, store = _mm256_storeu_si256, and = _mm256_and_si256, or = _mm256_or_si256,
        srli = _mm256_srli_epi32, slli = _mm256_slli_epi32, srai = _mm256_srai_epi32, add = _mm256_add_epi32,
        sub = _mm256_sub_epi32, mul = _mm256_mullo_epi32, min = _mm256_min_epi32, max = _mm256_max_epi32,
        ps = { from = _mm256_cvtepi32_ps, to = _mm256_cvttps_epi32, set1 = _mm256_set1_ps, add = _mm256_add_ps,
               sub = _mm256_sub_ps, mul = _mm256_mul_ps, sqrt = _mm256_sqrt_ps, min = _mm256_min_ps, max = _mm256_max_ps },
        load_bytes = load8, store_bytes = store8
    );

    lanes!(
        "avx2",
        _mm256_set1_epi32,
        _mm256_add_epi32,
        _mm256_sub_epi32,
        _mm256_mullo_epi32,
        _mm256_srai_epi32,
        _mm256_min_epi32,
        _mm256_max_epi32,
        __m256i
    );

    #[target_feature(enable = "avx2")]
    pub fn yuv_to_rgba(y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
        let n = (y.len().min(out.len() / 4).min(2 * u.len()).min(2 * v.len())) & !7;
        let mut x = 0;
        while x < n {
            // SAFETY: x + 8 <= n: 8 luma bytes, 4 chroma bytes each and
            // 32 output bytes, all in bounds.
            unsafe {
                let yl = _mm256_cvtepu8_epi32(_mm_loadl_epi64(y.as_ptr().add(x) as *const __m128i));
                let c = x / 2;
                let pairs = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
                let load4 = |p: &[u8]| {
                    _mm_cvtsi32_si128(i32::from_le_bytes(p[c..c + 4].try_into().unwrap()))
                };
                let ul = _mm256_permutevar8x32_epi32(_mm256_cvtepu8_epi32(load4(u)), pairs);
                let vl = _mm256_permutevar8x32_epi32(_mm256_cvtepu8_epi32(load4(v)), pairs);
                let d = _mm256_sub_epi32(ul, splat(128));
                let e = _mm256_sub_epi32(vl, splat(128));
                let cy = _mm256_add_epi32(
                    _mm256_mullo_epi32(_mm256_sub_epi32(yl, splat(16)), splat(CY)),
                    splat(1 << 12),
                );
                let zero = splat(0);
                let r = dot3(cy, zero, e, [1, 0, CRV], 0, 13);
                let g = dot3(cy, d, e, [1, -CGU, -CGV], 0, 13);
                let b = dot3(cy, d, zero, [1, CBU, 0], 0, 13);
                let px = _mm256_or_si256(
                    _mm256_or_si256(r, _mm256_slli_epi32::<8>(g)),
                    _mm256_or_si256(_mm256_slli_epi32::<16>(b), splat(0xff << 24)),
                );
                _mm256_storeu_si256(out.as_mut_ptr().add(4 * x) as *mut __m256i, px);
            }
            x += 8;
        }
        n
    }

    #[target_feature(enable = "avx2")]
    pub fn rgba_to_y(rgba: &[u8], y: &mut [u8]) -> usize {
        let n = (rgba.len() / 4).min(y.len()) & !7;
        let mut x = 0;
        while x < n {
            // SAFETY: x + 8 <= n: 32 bytes read, 8 written, in bounds.
            unsafe {
                let px = _mm256_loadu_si256(rgba.as_ptr().add(4 * x) as *const __m256i);
                let mask = splat(0xff);
                let r = _mm256_and_si256(px, mask);
                let g = _mm256_and_si256(_mm256_srli_epi32::<8>(px), mask);
                let b = _mm256_and_si256(_mm256_srli_epi32::<16>(px), mask);
                let l = dot3(r, g, b, KY, (16 << 15) + (1 << 14), 15);
                // Lanes hold 0..=255: take the low byte of each.
                let bytes = _mm256_shuffle_epi8(
                    l,
                    _mm256_setr_epi8(
                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12,
                        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                    ),
                );
                let lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(bytes));
                let hi = _mm_cvtsi128_si32(_mm256_extracti128_si256::<1>(bytes));
                y[x..x + 4].copy_from_slice(&lo.to_le_bytes());
                y[x + 4..x + 8].copy_from_slice(&hi.to_le_bytes());
            }
            x += 8;
        }
        n
    }

    #[target_feature(enable = "avx2")]
    pub fn blend_rgba(src: &[u8], dst: &mut [u8], op: u32) -> usize {
        let n = (src.len().min(dst.len()) / 4) & !3;
        let mut x = 0;
        let (op16, c128, c255) = (
            _mm256_set1_epi16(op as i16),
            _mm256_set1_epi16(128),
            _mm256_set1_epi16(255),
        );
        while x < n {
            // SAFETY: x + 4 <= n: 16 bytes read from each side, 16 written.
            unsafe {
                let s = _mm256_cvtepu8_epi16(_mm_loadu_si128(
                    src.as_ptr().add(4 * x) as *const __m128i
                ));
                let d = _mm256_cvtepu8_epi16(_mm_loadu_si128(
                    dst.as_ptr().add(4 * x) as *const __m128i
                ));
                let div255 = |x: __m256i| {
                    let x = _mm256_add_epi16(x, c128);
                    _mm256_srli_epi16::<8>(_mm256_add_epi16(x, _mm256_srli_epi16::<8>(x)))
                };
                let sp = div255(_mm256_mullo_epi16(s, op16));
                let a = _mm256_shufflehi_epi16::<0xff>(_mm256_shufflelo_epi16::<0xff>(sp));
                let keep = div255(_mm256_mullo_epi16(d, _mm256_sub_epi16(c255, a)));
                let out = _mm256_min_epu16(_mm256_add_epi16(sp, keep), c255);
                // packus works per 128-bit half: gather both halves' bytes.
                let packed = _mm256_packus_epi16(out, out);
                let bytes = _mm256_permute4x64_epi64::<0b00_00_10_00>(packed);
                _mm_storeu_si128(
                    dst.as_mut_ptr().add(4 * x) as *mut __m128i,
                    _mm256_castsi256_si128(bytes),
                );
            }
            x += 4;
        }
        n
    }

    /// Tetrahedral 3D LUT on RGBA, 8 pixels a step with gathers, as
    /// `lut3d::Lut3d::lookup` followed by `lut3d::mix`; returns the pixels
    /// done. `table` holds size^3 RGB float triples, red fastest.
    #[target_feature(enable = "avx2")]
    pub fn lut3d(row: &mut [u8], table: &[f32], size: usize, strength: f32) -> usize {
        // Gather offsets are i32: refuse tables they cannot address.
        if table.len() > i32::MAX as usize || size < 2 {
            return 0;
        }
        let n = row.len() / 4 / 8 * 8;
        let scale = _mm256_set1_ps((size - 1) as f32 / 255.0);
        let last = splat(size as i32 - 2);
        let (dr, dg, db) = (1, size as i32, (size * size) as i32);
        let one = _mm256_set1_ps(1.0);
        let strength = _mm256_set1_ps(strength);
        let mut x = 0;
        while x < n {
            // SAFETY: x + 8 <= n: 32 bytes read and written. Every gather
            // index is a lattice corner inside the table: base <= size - 2
            // on each axis, plus at most one step per axis.
            unsafe {
                let px = _mm256_loadu_si256(row.as_ptr().add(4 * x) as *const __m256i);
                let ch = |shift: i32| {
                    let v = match shift {
                        0 => px,
                        8 => _mm256_srli_epi32::<8>(px),
                        _ => _mm256_srli_epi32::<16>(px),
                    };
                    _mm256_and_si256(v, splat(0xff))
                };
                let (ri, gi, bi) = (ch(0), ch(8), ch(16));
                let pos = |c: __m256i| _mm256_mul_ps(_mm256_cvtepi32_ps(c), scale);
                let (pr, pg, pb) = (pos(ri), pos(gi), pos(bi));
                let base = |p: __m256i| _mm256_min_epi32(p, last);
                let (r0, g0, b0) = (
                    base(_mm256_cvttps_epi32(pr)),
                    base(_mm256_cvttps_epi32(pg)),
                    base(_mm256_cvttps_epi32(pb)),
                );
                let fr = _mm256_sub_ps(pr, _mm256_cvtepi32_ps(r0));
                let fg = _mm256_sub_ps(pg, _mm256_cvtepi32_ps(g0));
                let fb = _mm256_sub_ps(pb, _mm256_cvtepi32_ps(b0));
                let origin = _mm256_add_epi32(
                    _mm256_mullo_epi32(
                        _mm256_add_epi32(_mm256_mullo_epi32(b0, splat(size as i32)), g0),
                        splat(size as i32),
                    ),
                    r0,
                );
                // The six tetrahedra, chosen exactly as `lookup` does.
                let gt =
                    |a: __m256, b: __m256| _mm256_castps_si256(_mm256_cmp_ps::<_CMP_GT_OQ>(a, b));
                let (m1, m2, m3, m4, m5) =
                    (gt(fr, fg), gt(fg, fb), gt(fr, fb), gt(fb, fg), gt(fb, fr));
                let not = |m: __m256i| _mm256_xor_si256(m, splat(-1));
                let and = _mm256_and_si256;
                let cases = [
                    (and(m1, m2), [fr, fg, fb], dr, dr + dg),
                    (and(m1, and(not(m2), m3)), [fr, fb, fg], dr, dr + db),
                    (and(m1, and(not(m2), not(m3))), [fb, fr, fg], db, db + dr),
                    (and(not(m1), m4), [fb, fg, fr], db, db + dg),
                    (and(not(m1), and(not(m4), m5)), [fg, fb, fr], dg, dg + db),
                    (
                        and(not(m1), and(not(m4), not(m5))),
                        [fg, fr, fb],
                        dg,
                        dg + dr,
                    ),
                ];
                let (mut wa, mut wb, mut wc) = (
                    _mm256_setzero_ps(),
                    _mm256_setzero_ps(),
                    _mm256_setzero_ps(),
                );
                let (mut s1, mut s2) = (splat(0), splat(0));
                for (mask, [a, b, c], step1, step2) in cases {
                    let fmask = _mm256_castsi256_ps(mask);
                    wa = _mm256_blendv_ps(wa, a, fmask);
                    wb = _mm256_blendv_ps(wb, b, fmask);
                    wc = _mm256_blendv_ps(wc, c, fmask);
                    s1 = _mm256_blendv_epi8(s1, splat(step1), mask);
                    s2 = _mm256_blendv_epi8(s2, splat(step2), mask);
                }
                let corners = [
                    origin,
                    _mm256_add_epi32(origin, s1),
                    _mm256_add_epi32(origin, s2),
                    _mm256_add_epi32(origin, splat(dr + dg + db)),
                ]
                .map(|i| _mm256_mullo_epi32(i, splat(3)));
                let weights = [
                    _mm256_sub_ps(one, wa),
                    _mm256_sub_ps(wa, wb),
                    _mm256_sub_ps(wb, wc),
                    wc,
                ];
                let mut out = splat(0xff << 24);
                out = _mm256_and_si256(px, out);
                for (channel, shift) in [(0, 0), (1, 8), (2, 16)] {
                    let mut mapped = _mm256_setzero_ps();
                    for (corner, weight) in corners.iter().zip(weights) {
                        let index = _mm256_add_epi32(*corner, splat(channel));
                        let value = _mm256_i32gather_ps::<4>(table.as_ptr(), index);
                        mapped = _mm256_add_ps(mapped, _mm256_mul_ps(weight, value));
                    }
                    let original = _mm256_cvtepi32_ps(ch(shift));
                    let mixed = _mm256_add_ps(
                        _mm256_add_ps(
                            original,
                            _mm256_mul_ps(
                                _mm256_sub_ps(
                                    _mm256_mul_ps(mapped, _mm256_set1_ps(255.0)),
                                    original,
                                ),
                                strength,
                            ),
                        ),
                        _mm256_set1_ps(0.5),
                    );
                    let byte = _mm256_min_epi32(
                        _mm256_max_epi32(_mm256_cvttps_epi32(mixed), splat(0)),
                        splat(255),
                    );
                    out = _mm256_or_si256(
                        out,
                        match shift {
                            0 => byte,
                            8 => _mm256_slli_epi32::<8>(byte),
                            _ => _mm256_slli_epi32::<16>(byte),
                        },
                    );
                }
                _mm256_storeu_si256(row.as_mut_ptr().add(4 * x) as *mut __m256i, out);
            }
            x += 8;
        }
        n
    }
}
