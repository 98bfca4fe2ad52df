//! BT.709 limited-range colour maths in fixed point, shared by every kernel
//! that moves between RGB and YUV. One pixel at a time: the reference
//! kernels call these directly, the fast ones inline them into row loops.

/// RGB -> Y/U/V coefficients scaled by 2^15.
pub(crate) const KY: [i32; 3] = [5983, 20127, 2032];
pub(crate) const KU: [i32; 3] = [-3298, -11094, 14392];
pub(crate) const KV: [i32; 3] = [14392, -13073, -1319];

/// Y/U/V -> RGB coefficients scaled by 2^13.
pub(crate) const CY: i32 = 9539;
pub(crate) const CRV: i32 = 14686;
pub(crate) const CGU: i32 = 1747;
pub(crate) const CGV: i32 = 4366;
pub(crate) const CBU: i32 = 17305;

#[inline(always)]
pub fn clamp_u8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// x / 255, rounded, for 0 <= x <= 255 * 255 (exact for that range).
#[inline(always)]
pub fn div255(x: u32) -> u32 {
    let x = x + 128;
    (x + (x >> 8)) >> 8
}

#[inline(always)]
pub fn rgb_to_y(r: i32, g: i32, b: i32) -> u8 {
    clamp_u8((KY[0] * r + KY[1] * g + KY[2] * b + (16 << 15) + (1 << 14)) >> 15)
}

#[inline(always)]
pub fn rgb_to_u(r: i32, g: i32, b: i32) -> u8 {
    clamp_u8((KU[0] * r + KU[1] * g + KU[2] * b + (128 << 15) + (1 << 14)) >> 15)
}

#[inline(always)]
pub fn rgb_to_v(r: i32, g: i32, b: i32) -> u8 {
    clamp_u8((KV[0] * r + KV[1] * g + KV[2] * b + (128 << 15) + (1 << 14)) >> 15)
}

/// Y, U, V of a premultiplied colour with coverage `a` (0..=255): what the
/// colour adds to a pixel it covers by `a / 255`.
#[inline(always)]
pub fn premultiplied_yuv(r: i32, g: i32, b: i32, a: i32) -> (i32, i32, i32) {
    let y = (KY[0] * r + KY[1] * g + KY[2] * b + 16 * 128 * a + (1 << 14)) >> 15;
    let u = (KU[0] * r + KU[1] * g + KU[2] * b + 128 * 128 * a + (1 << 14)) >> 15;
    let v = (KV[0] * r + KV[1] * g + KV[2] * b + 128 * 128 * a + (1 << 14)) >> 15;
    (y, u, v)
}

#[inline(always)]
pub fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = CY * (y as i32 - 16) + (1 << 12);
    let d = u as i32 - 128;
    let e = v as i32 - 128;
    [
        clamp_u8((c + CRV * e) >> 13),
        clamp_u8((c - CGU * d - CGV * e) >> 13),
        clamp_u8((c + CBU * d) >> 13),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div255_is_exact_rounding() {
        for x in 0..=255u32 * 255 {
            assert_eq!(div255(x), (x as f64 / 255.0).round() as u32, "{x}");
        }
    }

    #[test]
    fn white_black_and_grey_map_to_video_levels() {
        assert_eq!(rgb_to_y(255, 255, 255), 235);
        assert_eq!(rgb_to_y(0, 0, 0), 16);
        assert_eq!(rgb_to_u(128, 128, 128), 128);
        assert_eq!(rgb_to_v(128, 128, 128), 128);
        assert_eq!(yuv_to_rgb(235, 128, 128), [255, 255, 255]);
        assert_eq!(yuv_to_rgb(16, 128, 128), [0, 0, 0]);
    }

    #[test]
    fn round_trip_stays_within_two_levels() {
        for (r, g, b) in [(200, 30, 40), (10, 220, 60), (90, 80, 250), (128, 128, 128)] {
            let (y, u, v) = (rgb_to_y(r, g, b), rgb_to_u(r, g, b), rgb_to_v(r, g, b));
            let back = yuv_to_rgb(y, u, v);
            for (a, b) in back.iter().zip([r, g, b]) {
                assert!((*a as i32 - b).abs() <= 2, "{back:?} vs {r},{g},{b}");
            }
        }
    }
}
