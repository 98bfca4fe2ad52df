//! Makes an example style set: crops of photographs, graded with a film
//! look (warm highlights, teal shadows, softer contrast, less
//! saturation), as an art team would hand over 30-50 stills in a look.
//!
//! `cargo run --release -p reel-style --example make_style_set -- OUT_DIR PHOTO...`
//! wrote `pipelines/media/film/` from the photos in `pipelines/media`.

use image::{GenericImageView, RgbImage, imageops::FilterType};

/// The film look, on RGB in 0..=1.
fn film(rgb: [f32; 3]) -> [f32; 3] {
    let luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    // Less saturation, softer contrast around mid grey.
    let desat = rgb.map(|c| luma + 0.7 * (c - luma));
    let soft = desat.map(|c| 0.5 + 0.8 * (c - 0.5));
    // Teal shadows, warm highlights.
    let shadow = (1.0 - luma).powi(2);
    let light = luma.powi(2);
    [
        soft[0] + 0.10 * light - 0.04 * shadow,
        soft[1] + 0.03 * light + 0.03 * shadow,
        soft[2] - 0.08 * light + 0.06 * shadow,
    ]
    .map(|c| c.clamp(0.0, 1.0))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, photos) = args
        .split_first()
        .expect("usage: make_style_set OUT_DIR PHOTO...");
    std::fs::create_dir_all(out).expect("the output folder");
    // A fixed sequence of crops: 8 per photo, 40-75% of its size.
    let mut state = 0x5EEDu64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut n = 0;
    for photo in photos {
        let image = image::open(photo).unwrap_or_else(|e| panic!("{photo}: {e}"));
        let (w, h) = image.dimensions();
        for _ in 0..8 {
            let share = 0.4 + 0.35 * next();
            let (cw, ch) = ((w as f32 * share) as u32, (h as f32 * share) as u32);
            let (x, y) = (
                (next() * (w - cw) as f32) as u32,
                (next() * (h - ch) as f32) as u32,
            );
            let crop = image
                .crop_imm(x, y, cw, ch)
                .resize(320, 320, FilterType::Triangle)
                .to_rgb8();
            let graded = RgbImage::from_fn(crop.width(), crop.height(), |x, y| {
                let p = crop.get_pixel(x, y).0.map(|v| v as f32 / 255.0);
                image::Rgb(film(p).map(|v| (v * 255.0).round() as u8))
            });
            n += 1;
            let path = format!("{out}/film-{n:02}.jpg");
            graded.save(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
    println!("{n} images in {out}");
}
