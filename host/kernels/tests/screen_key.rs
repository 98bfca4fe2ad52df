//! The screen key: true partial alpha from known mixes of subject and
//! screen, unmixed colour, spill taken out, an uneven screen keyed clean
//! with the plate, the screen colour found on the border, and the same
//! bytes at every CPU level.

use reel_kernels::convert::convert_with;
use reel_kernels::screen_key::{ScreenKey, screen_key_into_with, screen_key_with};
use reel_kernels::{CpuLevel, Format, Image, ImageMut, Layout};

const GREEN: [u8; 3] = [45, 175, 70];

/// Subjects with no screen colour in them: skin, dark hair, grey, orange.
const SUBJECTS: [[f32; 3]; 4] = [
    [205.0, 160.0, 130.0],
    [60.0, 42.0, 30.0],
    [128.0, 128.0, 128.0],
    [230.0, 110.0, 40.0],
];

/// Deterministic noise in -amp..=amp.
struct Rng(u64);
impl Rng {
    fn noise(&mut self, amp: f32) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
    }
}

/// An opaque RGBA picture of `f(x, y)`.
fn picture(w: usize, h: usize, f: impl Fn(usize, usize) -> [f32; 3]) -> Vec<u8> {
    let mut out = vec![255u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let c = f(x, y).map(|v| v.round().clamp(0.0, 255.0) as u8);
            out[4 * (y * w + x)..][..3].copy_from_slice(&c);
        }
    }
    out
}

fn key(data: &mut [u8], w: usize, h: usize, settings: &ScreenKey, level: CpuLevel) -> [u8; 3] {
    let layout = Layout::packed(Format::Rgba, w, h);
    screen_key_with(level, &mut ImageMut::new(&layout, data).unwrap(), settings).unwrap()
}

/// The chroma of `c` on `k`'s, as a share of it.
fn projection(c: [f32; 3], k: [u8; 3]) -> f32 {
    let k = k.map(|v| v as f32);
    let chroma = |v: [f32; 3]| {
        let m = (v[0] + v[1] + v[2]) / 3.0;
        v.map(|x| x - m)
    };
    let (u, uk) = (chroma(c), chroma(k));
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    dot(u, uk) / dot(uk, uk)
}

fn mix(f: [f32; 3], k: [u8; 3], a: f32) -> [f32; 3] {
    std::array::from_fn(|c| a * f[c] + (1.0 - a) * k[c] as f32)
}

#[test]
fn mixes_of_subject_and_screen_get_their_alpha_and_colour_back() {
    // Columns: 17 alphas from 0 to 1; rows: the subjects.
    let (w, h) = (17, SUBJECTS.len());
    let alpha = |x: usize| x as f32 / 16.0;
    let mut data = picture(w, h, |x, y| mix(SUBJECTS[y], GREEN, alpha(x)));
    let settings = ScreenKey {
        color: Some(GREEN),
        similarity: 0.0,
        smoothness: 1.0,
        spill: 0.0,
        plate: false,
    };
    key(&mut data, w, h, &settings, CpuLevel::supported());
    for y in 0..h {
        for x in 0..w {
            let px = &data[4 * (y * w + x)..][..4];
            // The model: the mix's chroma on the screen's is a p(F) + 1 - a,
            // so alpha comes back as a (1 - p(F)): exact for a grey
            // subject, over for subjects leaning away from green (skin,
            // orange), never a cut-off.
            let lean = projection(SUBJECTS[y], GREEN);
            let want = (alpha(x) * (1.0 - lean)).min(1.0);
            assert!(
                (px[3] as f32 - want * 255.0).abs() <= 2.5,
                "subject {y} alpha {}: got {} want {}",
                alpha(x),
                px[3],
                want * 255.0
            );
            if lean.abs() > 1e-3 {
                continue;
            }
            for c in 0..3 {
                let want = alpha(x) * SUBJECTS[y][c];
                assert!(
                    (px[c] as f32 - want).abs() <= 3.0,
                    "subject {y} alpha {} channel {c}: got {} want {want}",
                    alpha(x),
                    px[c]
                );
            }
        }
    }
}

#[test]
fn spill_is_taken_out_of_the_subject() {
    // A grey subject lit green by the screen, 12% of the way to green:
    // within the default ramp's opaque end.
    let (w, h) = (8, 8);
    let lit = mix([150.0; 3], GREEN, 0.88);
    let mut data = picture(w, h, |_, _| lit);
    let excess = |px: &[u8]| px[1] as f32 - px[0].max(px[2]) as f32;
    assert!(excess(&data[..4]) > 10.0);
    let settings = ScreenKey {
        color: Some(GREEN),
        spill: 1.0,
        plate: false,
        ..ScreenKey::default()
    };
    key(&mut data, w, h, &settings, CpuLevel::supported());
    let px = &data[..4];
    assert_eq!(px[3], 255, "the lit subject stays opaque");
    assert!(excess(px) <= 1.0, "green excess left: {px:?}");
}

/// A subject disc over a screen lit unevenly (70% to 110% across), with
/// noise: the picture and whether each pixel is subject.
fn uneven_screen(w: usize, h: usize) -> (Vec<u8>, Vec<bool>) {
    let inside = |x: usize, y: usize| {
        let (dx, dy) = (x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0);
        dx * dx + dy * dy < (h as f32 / 4.0).powi(2)
    };
    let rng = std::cell::RefCell::new(Rng(7));
    let data = picture(w, h, |x, y| {
        if inside(x, y) {
            SUBJECTS[0]
        } else {
            let light = 0.7 + 0.4 * x as f32 / w as f32;
            GREEN.map(|c| c as f32 * light + rng.borrow_mut().noise(2.0))
        }
    });
    let mask = (0..w * h).map(|i| inside(i % w, i / w)).collect();
    (data, mask)
}

#[test]
fn the_plate_keys_an_uneven_screen_clean() {
    let (w, h) = (256, 144);
    let (source, subject) = uneven_screen(w, h);
    let leftover = |data: &[u8]| {
        subject
            .iter()
            .enumerate()
            .filter(|(_, s)| !**s)
            .map(|(i, _)| data[4 * i + 3] as u64)
            .sum::<u64>()
    };
    let mut keyed = source.clone();
    let found = key(
        &mut keyed,
        w,
        h,
        &ScreenKey::default(),
        CpuLevel::supported(),
    );
    // Noise may leave a trace (a few pixels at 1 or 2 of 255), no more.
    assert!(
        leftover(&keyed) <= 64,
        "screen left with the plate: {}",
        leftover(&keyed)
    );
    for (i, s) in subject.iter().enumerate() {
        if *s {
            assert_eq!(keyed[4 * i + 3], 255);
        }
    }
    // The colour found on the border is the screen's, near its middle light.
    assert!(
        found[1] > 140 && found[0] < 60 && found[2] < 90,
        "{found:?}"
    );
    // Keyed against one colour, the dark side of the screen stays.
    let mut flat = source.clone();
    let settings = ScreenKey {
        plate: false,
        ..ScreenKey::default()
    };
    key(&mut flat, w, h, &settings, CpuLevel::supported());
    assert!(leftover(&flat) > 255 * 500, "{}", leftover(&flat));
}

#[test]
fn every_level_gives_the_same_bytes() {
    let (w, h) = (203, 61);
    let (mut source, _) = uneven_screen(w, h);
    let mut rng = Rng(3);
    for b in source.iter_mut() {
        *b = (*b as f32 + rng.noise(20.0)).clamp(0.0, 255.0) as u8;
    }
    let levels = CpuLevel::all_supported();
    let mut outputs = levels.iter().map(|level| {
        let mut data = source.clone();
        key(&mut data, w, h, &ScreenKey::default(), *level);
        data
    });
    let first = outputs.next().unwrap();
    for (level, out) in levels.iter().skip(1).zip(outputs) {
        assert!(
            first == out,
            "{} differs from {}",
            level.name(),
            levels[0].name()
        );
    }
}

/// `source` in `format`, converted from RGBA, keyed into RGBA at `level`;
/// and the converted frame keyed in place, for comparison.
fn keyed_into(
    rgba: &[u8],
    (w, h): (usize, usize),
    format: Format,
    settings: &ScreenKey,
    level: CpuLevel,
) -> (Vec<u8>, Vec<u8>, [u8; 3]) {
    let rgba_layout = Layout::packed(Format::Rgba, w, h);
    let layout = Layout::packed(format, w, h);
    let mut source = vec![0u8; layout.min_len()];
    convert_with(
        level,
        Image::new(&rgba_layout, rgba).unwrap(),
        &mut ImageMut::new(&layout, &mut source).unwrap(),
    )
    .unwrap();
    let source = Image::new(&layout, &source).unwrap();
    let mut in_place = vec![0u8; rgba_layout.min_len()];
    let mut img = ImageMut::new(&rgba_layout, &mut in_place).unwrap();
    convert_with(level, source, &mut img).unwrap();
    let used = screen_key_with(level, &mut img, settings).unwrap();
    let mut into = vec![7u8; rgba_layout.min_len()];
    let mut img = ImageMut::new(&rgba_layout, &mut into).unwrap();
    let got = screen_key_into_with(level, source, &mut img, settings).unwrap();
    assert_eq!(got, used, "{format}: another screen colour");
    (into, in_place, got)
}

/// Keying into RGBA: from RGBA exactly a copy keyed in place; from I420
/// and NV12, keying the samples directly, the key of the converted frame
/// up to rounding (alpha and colour within a few code values, the same
/// on average); every level the same bytes; odd sizes too.
#[test]
fn keying_into_rgba_from_any_format() {
    let (w, h) = (203, 61);
    let (rgba, _) = uneven_screen(w, h);
    let settings = [
        ScreenKey::default(),
        ScreenKey {
            color: Some(GREEN),
            plate: false,
            ..ScreenKey::default()
        },
    ];
    for settings in &settings {
        let (from_rgba, in_place, _) =
            keyed_into(&rgba, (w, h), Format::Rgba, settings, CpuLevel::supported());
        assert!(from_rgba == in_place);
        for format in [Format::I420, Format::Nv12] {
            let mut by_level = CpuLevel::all_supported()
                .into_iter()
                .map(|level| keyed_into(&rgba, (w, h), format, settings, level));
            let (into, in_place, _) = by_level.next().unwrap();
            for (other, ..) in by_level {
                assert!(other == into, "{format}: the levels differ");
            }
            let diffs: Vec<u8> = into
                .iter()
                .zip(&in_place)
                .map(|(a, b)| a.abs_diff(*b))
                .collect();
            let mean = diffs.iter().map(|d| *d as f64).sum::<f64>() / diffs.len() as f64;
            let mut sorted = diffs.clone();
            sorted.sort_unstable();
            let p99 = sorted[sorted.len() * 99 / 100];
            println!(
                "{format} {settings:?}: mean {mean:.3}, p99 {p99}, max {}",
                sorted.last().unwrap()
            );
            assert!(mean < 0.5 && p99 <= 4, "{format}: mean {mean}, p99 {p99}");
        }
    }
    // A destination of another size or format is an error.
    let layout = Layout::packed(Format::Rgba, w, h);
    let source = Image::new(&layout, &rgba).unwrap();
    let level = CpuLevel::supported();
    let settings = ScreenKey::default();
    let small = Layout::packed(Format::Rgba, w - 1, h);
    let mut data = vec![0u8; small.min_len()];
    let mut img = ImageMut::new(&small, &mut data).unwrap();
    assert!(screen_key_into_with(level, source, &mut img, &settings).is_err());
    let yuv = Layout::packed(Format::I420, w, h);
    let mut data = vec![0u8; yuv.min_len()];
    let mut img = ImageMut::new(&yuv, &mut data).unwrap();
    assert!(screen_key_into_with(level, source, &mut img, &settings).is_err());
}

#[test]
fn a_border_without_a_screen_is_an_error() {
    let (w, h) = (64, 48);
    let mut grey = picture(w, h, |x, y| [((x + y) * 2) as f32; 3]);
    let layout = Layout::packed(Format::Rgba, w, h);
    let err = screen_key_with(
        CpuLevel::supported(),
        &mut ImageMut::new(&layout, &mut grey).unwrap(),
        &ScreenKey::default(),
    )
    .unwrap_err();
    assert!(err.0.contains("border"), "{}", err.0);
    let grey_key = ScreenKey {
        color: Some([120, 128, 125]),
        ..ScreenKey::default()
    };
    let err = screen_key_with(
        CpuLevel::supported(),
        &mut ImageMut::new(&layout, &mut grey).unwrap(),
        &grey_key,
    )
    .unwrap_err();
    assert!(err.0.contains("grey"), "{}", err.0);
}
