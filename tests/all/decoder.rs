//! The `imagedec` decoder plugin: stills encoded by GStreamer's own PNG and
//! JPEG encoders come back as the right RGBA pixels; broken files give a
//! clear error, never a crash.

use reel_runtime::{Format, Stage};
use reel_tests::{plugin_path, pull_samples};

const MAX: (u32, u32) = reel_runtime::DEFAULT_MAX_PICTURE;

/// One `pattern` picture of `w`x`h` encoded by `encoder`.
fn encoded(pattern: &str, w: i32, h: i32, encoder: &str) -> Vec<u8> {
    let samples = pull_samples(
        &format!(
            "videotestsrc pattern={pattern} num-buffers=1 ! video/x-raw,width={w},height={h} ! videoconvert ! {encoder} ! appsink name=out"
        ),
        1,
    );
    samples[0]
        .buffer()
        .unwrap()
        .map_readable()
        .unwrap()
        .to_vec()
}

fn decoder() -> Stage {
    Stage::new(reel_tests::file_job_spec(
        "logo",
        &plugin_path("imagedec"),
        vec![],
    ))
    .unwrap()
}

#[test]
fn png_decodes_to_exact_rgba() {
    let png = encoded("red", 7, 5, "pngenc");
    let frames = decoder().decode(&png, MAX).unwrap();
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!(
        (f.layout.format, f.layout.width, f.layout.height),
        (Format::Rgba, 7, 5)
    );
    let img = f.image().unwrap();
    for y in 0..5 {
        for px in img.row(0, y).chunks_exact(4) {
            assert_eq!(px, [255, 0, 0, 255]);
        }
    }
}

#[test]
fn jpeg_decodes_close_to_the_source() {
    let jpeg = encoded("blue", 16, 16, "jpegenc");
    let frames = decoder().decode(&jpeg, MAX).unwrap();
    let img = frames[0].image().unwrap();
    let px = &img.row(0, 8)[32..36];
    assert!(
        px[0] < 30 && px[1] < 30 && px[2] > 220 && px[3] == 255,
        "{px:?}"
    );
}

#[test]
fn broken_images_give_errors_and_the_decoder_keeps_working() {
    let mut stage = decoder();
    let png = encoded("green", 9, 9, "pngenc");
    let err = stage.decode(&png[..png.len() / 2], MAX).unwrap_err();
    assert!(
        matches!(&err, reel_runtime::Error::Decode { stage, item: 0, file: None, reason }
            if stage == "logo" && reason.contains("decode")),
        "{err}"
    );
    let err = stage
        .decode(b"definitely not an image", MAX)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a PNG or JPEG"), "{err}");
    assert_eq!(stage.decode(&png, MAX).unwrap().len(), 1);
}

#[test]
fn numbered_image_sequences_decode_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for (i, pattern) in ["red", "green", "blue"].iter().enumerate() {
        let png = encoded(pattern, 8, 4, "pngenc");
        std::fs::write(dir.path().join(format!("sprite_{:02}.png", i + 1)), png).unwrap();
    }
    let pattern = format!("{}/sprite_%02d.png", dir.path().display());
    let frames = reel_runtime::decode_sequence(&mut decoder(), &pattern, MAX).unwrap();
    assert_eq!(frames.len(), 3);
    let first_pixel = |f: &reel_runtime::HostFrame| f.image().unwrap().row(0, 0)[..4].to_vec();
    assert_eq!(first_pixel(&frames[0]), [255, 0, 0, 255]);
    assert_eq!(first_pixel(&frames[1]), [0, 255, 0, 255]);
    assert_eq!(first_pixel(&frames[2]), [0, 0, 255, 255]);

    // A broken file in the middle is named in the error.
    std::fs::write(dir.path().join("sprite_02.png"), b"broken").unwrap();
    let err = reel_runtime::decode_sequence(&mut decoder(), &pattern, MAX).unwrap_err();
    assert!(
        matches!(&err, reel_runtime::Error::Decode { file: Some(f), .. } if f.ends_with("sprite_02.png")),
        "{err:?}"
    );
    assert!(err.to_string().contains("sprite_02.png"), "{err}");
}

/// A decoder's picture becomes a pipeline's resolution: one larger than
/// the source allows is refused, naming both sizes.
#[test]
fn pictures_larger_than_allowed_are_refused() {
    let png = encoded("red", 64, 40, "pngenc");
    let mut stage = decoder();
    let err = stage.decode(&png, (63, 100)).unwrap_err().to_string();
    assert!(
        err.contains("decoded a 64x40 picture, larger than the 63x100 allowed"),
        "{err}"
    );
    let err = stage.decode(&png, (100, 39)).unwrap_err().to_string();
    assert!(err.contains("64x40"), "{err}");
    assert_eq!(stage.decode(&png, (64, 40)).unwrap().len(), 1);
}
