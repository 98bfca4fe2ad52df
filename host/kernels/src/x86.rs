//! Hand-written SSE4.1 and AVX2 row kernels for the hottest paths. Each
//! computes exactly what its scalar twin in the op's module computes (same
//! fixed-point formulas, same rounding), a vector of pixels at a time, and
//! leaves the tail of the row to the scalar code. The tests in
//! `tests/against_reference.rs` hold them to bit-exact agreement.

use std::arch::x86_64::*;

use crate::color::{CBU, CGU, CGV, CRV, CY, KY};

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
}
