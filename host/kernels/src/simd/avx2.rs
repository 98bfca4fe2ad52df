//! AVX2 lane helpers: eight 32-bit lanes, one pixel per lane.

use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn splat(v: i32) -> __m256i {
    _mm256_set1_epi32(v)
}

/// `clamp((a * ka + b * kb + c * kc + add) >> shift, 0, 255)`
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn dot3(
    a: __m256i,
    b: __m256i,
    c: __m256i,
    k: [i32; 3],
    add: i32,
    shift: i32,
) -> __m256i {
    let s = _mm256_add_epi32(
        _mm256_add_epi32(
            _mm256_mullo_epi32(a, _mm256_set1_epi32(k[0])),
            _mm256_mullo_epi32(b, _mm256_set1_epi32(k[1])),
        ),
        _mm256_add_epi32(
            _mm256_mullo_epi32(c, _mm256_set1_epi32(k[2])),
            _mm256_set1_epi32(add),
        ),
    );
    let s = match shift {
        13 => _mm256_srai_epi32::<13>(s),
        15 => _mm256_srai_epi32::<15>(s),
        _ => unreachable!(),
    };
    _mm256_min_epi32(
        _mm256_max_epi32(s, _mm256_set1_epi32(0)),
        _mm256_set1_epi32(255),
    )
}

/// The byte at `shift` of each lane.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn channel(px: __m256i, shift: i32) -> __m256i {
    let shifted = match shift {
        0 => px,
        8 => _mm256_srli_epi32::<8>(px),
        16 => _mm256_srli_epi32::<16>(px),
        _ => _mm256_srli_epi32::<24>(px),
    };
    _mm256_and_si256(shifted, splat(0xff))
}

/// `x / 255` rounded, for 0 <= x <= 255 * 255 (as `color::div255`).
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn div255(x: __m256i) -> __m256i {
    let x = _mm256_add_epi32(x, splat(128));
    _mm256_srli_epi32::<8>(_mm256_add_epi32(x, _mm256_srli_epi32::<8>(x)))
}

/// 8 bytes widened to 8 lanes.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn load8(p: *const u8) -> __m256i {
    // SAFETY: the caller guarantees 8 readable bytes at `p`.
    unsafe { _mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i)) }
}

/// The low byte of each of 8 lanes (each 0..=255), stored at `p`.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn store8(p: *mut u8, v: __m256i) {
    let bytes = _mm256_shuffle_epi8(
        v,
        _mm256_setr_epi8(
            0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1, -1,
            -1, -1, -1, -1, -1, -1, -1, -1, -1,
        ),
    );
    let lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(bytes)) as u32 as u64;
    let hi = _mm_cvtsi128_si32(_mm256_extracti128_si256::<1>(bytes)) as u32 as u64;
    // SAFETY: the caller guarantees 8 writable bytes at `p`.
    unsafe { (p as *mut u64).write_unaligned(lo | hi << 32) }
}
