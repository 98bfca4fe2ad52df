//! SSE4.1 lane helpers: four 32-bit lanes, one pixel per lane.

use std::arch::x86_64::*;

#[inline]
#[target_feature(enable = "sse4.1")]
pub(crate) fn splat(v: i32) -> __m128i {
    _mm_set1_epi32(v)
}

/// `clamp((a * ka + b * kb + c * kc + add) >> shift, 0, 255)`
#[inline]
#[target_feature(enable = "sse4.1")]
pub(crate) fn dot3(
    a: __m128i,
    b: __m128i,
    c: __m128i,
    k: [i32; 3],
    add: i32,
    shift: i32,
) -> __m128i {
    let s = _mm_add_epi32(
        _mm_add_epi32(
            _mm_mullo_epi32(a, _mm_set1_epi32(k[0])),
            _mm_mullo_epi32(b, _mm_set1_epi32(k[1])),
        ),
        _mm_add_epi32(
            _mm_mullo_epi32(c, _mm_set1_epi32(k[2])),
            _mm_set1_epi32(add),
        ),
    );
    let s = match shift {
        13 => _mm_srai_epi32::<13>(s),
        15 => _mm_srai_epi32::<15>(s),
        _ => unreachable!(),
    };
    _mm_min_epi32(_mm_max_epi32(s, _mm_set1_epi32(0)), _mm_set1_epi32(255))
}

/// The byte at `shift` of each lane.
#[inline]
#[target_feature(enable = "sse4.1")]
pub(crate) fn channel(px: __m128i, shift: i32) -> __m128i {
    let shifted = match shift {
        0 => px,
        8 => _mm_srli_epi32::<8>(px),
        16 => _mm_srli_epi32::<16>(px),
        _ => _mm_srli_epi32::<24>(px),
    };
    _mm_and_si128(shifted, splat(0xff))
}

/// `x / 255` rounded, for 0 <= x <= 255 * 255 (as `color::div255`).
#[inline]
#[target_feature(enable = "sse4.1")]
pub(crate) fn div255(x: __m128i) -> __m128i {
    let x = _mm_add_epi32(x, splat(128));
    _mm_srli_epi32::<8>(_mm_add_epi32(x, _mm_srli_epi32::<8>(x)))
}

/// 4 bytes widened to 4 lanes.
#[inline]
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn load4(p: *const u8) -> __m128i {
    // SAFETY: the caller guarantees 4 readable bytes at `p`.
    unsafe { _mm_cvtepu8_epi32(_mm_cvtsi32_si128((p as *const i32).read_unaligned())) }
}

/// The low byte of each of 4 lanes (each 0..=255), stored at `p`.
#[inline]
#[target_feature(enable = "sse4.1")]
pub(crate) unsafe fn store4(p: *mut u8, v: __m128i) {
    let packed = _mm_packus_epi16(_mm_packs_epi32(v, v), v);
    // SAFETY: the caller guarantees 4 writable bytes at `p`.
    unsafe { (p as *mut i32).write_unaligned(_mm_cvtsi128_si32(packed)) }
}
