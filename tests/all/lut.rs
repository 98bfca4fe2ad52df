//! The `lut` plugin, the SDK's worked example: a `.cube` file read once
//! from the stage's assets and applied by the host's 3D LUT kernel.

use std::path::Path;

use reel_runtime::{Format, OnError, ParamValue, SandboxConfig, Stage, StageSpec, Verdict};
use reel_tests::{
    decode_frames, frame, plugin_path, pull_samples, reel_in, runtime, write_pipeline,
};

/// A 2-point LUT that swaps red and blue, as DaVinci Resolve writes them.
fn swap_cube(dir: &Path) {
    let mut text = String::from("TITLE \"swap red and blue\"\nLUT_3D_SIZE 2\n");
    for b in 0..2 {
        for g in 0..2 {
            for r in 0..2 {
                text.push_str(&format!("{b}.0 {g}.0 {r}.0\n"));
            }
        }
    }
    std::fs::write(dir.join("swap.cube"), text).unwrap();
}

fn lut_stage(assets: &Path, strength: f64) -> Stage {
    Stage::new(StageSpec {
        id: "grade".into(),
        plugin: runtime().load(&plugin_path("lut")).unwrap(),
        params: vec![
            ("file".into(), ParamValue::Text("swap.cube".into())),
            ("strength".into(), ParamValue::Number(strength)),
        ],
        sandbox: SandboxConfig {
            assets: Some(assets.to_path_buf()),
            ..SandboxConfig::default()
        },
        on_error: OnError::Fail,
        max_failures: 5,
        live: false,
    })
    .unwrap()
}

#[test]
fn a_cube_from_the_assets_grades_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    swap_cube(dir.path());
    for (strength, want) in [(1.0, [0, 40, 250, 255]), (0.5, [125, 40, 125, 255])] {
        let mut stage = lut_stage(dir.path(), strength);
        let (out, verdict) = stage.filter(frame(Format::Rgba, 9, 3, |i| [250, 40, 0, 255][i % 4]));
        assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
        let px = &out.bytes().unwrap()[..4];
        for (got, want) in px.iter().zip(want) {
            assert!(got.abs_diff(want) <= 1, "strength {strength}: {px:?}");
        }
    }
}

/// I420 frames are graded directly (contract 0.1.3), to the picture the
/// RGBA path gives: red graded to blue, within a code value or two.
#[test]
fn i420_frames_are_graded_without_a_conversion() {
    let dir = tempfile::tempdir().unwrap();
    swap_cube(dir.path());
    let mut stage = lut_stage(dir.path(), 1.0);
    // BT.709 limited-range red: Y 63, U 102, V 240.
    let (w, h) = (16, 8);
    let luma = w * h;
    let red = frame(Format::I420, w, h, |i| match i {
        i if i < luma => 63,
        i if i < luma + luma / 4 => 102,
        _ => 240,
    });
    let (out, verdict) = stage.filter(red);
    assert_eq!(verdict, Verdict::Keep, "{:?}", stage.take_events());
    assert_eq!(out.layout.format, Format::I420);
    let bytes = out.bytes().unwrap();
    // Blue: Y 32, U 240, V 118.
    let (y, u, v) = (bytes[0], bytes[luma], bytes[luma + luma / 4]);
    for (got, want) in [(y, 32), (u, 240), (v, 118)] {
        assert!(got.abs_diff(want) <= 2, "YUV {y} {u} {v}");
    }
}

/// Through `reel`: a broken `.cube` is a check error at the stage, naming
/// the file and its line; a good one grades a red clip blue.
#[test]
fn reel_checks_the_cube_and_runs_the_grade() {
    let dir = tempfile::tempdir().unwrap();
    let looks = dir.path().join("looks");
    std::fs::create_dir(&looks).unwrap();
    swap_cube(&looks);
    std::fs::write(
        looks.join("broken.cube"),
        "LUT_3D_SIZE 2\n0 0 0\n0 nought 0\n",
    )
    .unwrap();
    let pipeline = |file: &str| {
        write_pipeline(
            dir.path(),
            &format!(
                "[[source]]\nid = \"main\"\ntestsrc = {{ pattern = \"red\", size = \"64x48\", rate = 25, seconds = 1 }}\n\n\
                 [[stage]]\nid = \"grade\"\nplugin = \"lut\"\ninput = \"main\"\nassets = \"looks\"\nparams = {{ file = \"{file}\" }}\n\n\
                 [[sink]]\ninput = \"grade\"\nfile = \"out.mp4\"\n"
            ),
        )
    };
    let path = pipeline("broken.cube");
    let out = reel_in(dir.path(), &["check", &path]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("pipeline.toml:10:10"), "{text}");
    assert!(text.contains("broken.cube: line 3:"), "{text}");

    let path = pipeline("swap.cube");
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = decode_frames(&dir.path().join("out.mp4"), 64, 48);
    assert_eq!(frames.len(), 25);
    let px = &frames[10][4 * (20 * 64 + 30)..][..3];
    assert!(px[2] > 200 && px[0] < 40, "red graded to blue: {px:?}");
}

/// The looks shipped in `assets/looks` are found by name, by `reel` (its
/// catalog, beside the binary) and by `wasmfilter` (the elements' catalog):
/// `mono.cube` turns colour bars grey.
#[test]
fn shipped_looks_are_found_by_name() {
    let grey = |px: &[u8]| {
        let (lo, hi) = (px[..3].iter().min().unwrap(), px[..3].iter().max().unwrap());
        hi - lo <= 6
    };
    let samples = pull_samples(
        "videotestsrc pattern=smpte num-buffers=3 ! video/x-raw,format=RGBA,width=64,height=48 \
         ! wasmfilter plugin=lut assets=looks params=\"file='mono.cube'\" ! appsink name=out",
        3,
    );
    assert_eq!(samples.len(), 3);
    let buffer = samples[1].buffer().unwrap().map_readable().unwrap();
    // Bar by bar across row 10: every pixel is grey, and the bars differ.
    let row: Vec<&[u8]> = (0..7)
        .map(|bar| &buffer[4 * (10 * 64 + bar * 9 + 4)..][..4])
        .collect();
    assert!(row.iter().all(|px| grey(px)), "{row:?}");
    assert!(row[0][0] > row[6][0] + 100, "{row:?}");

    let dir = tempfile::tempdir().unwrap();
    let path = write_pipeline(
        dir.path(),
        "[[source]]\nid = \"main\"\ntestsrc = { pattern = \"smpte\", size = \"64x48\", rate = 25, seconds = 1 }\n\n\
         [[stage]]\nid = \"grade\"\nplugin = \"lut\"\ninput = \"main\"\nassets = \"looks\"\nparams = { file = \"mono.cube\" }\n\n\
         [[sink]]\ninput = \"grade\"\nfile = \"out.mkv\"\nvideo = { crf = 10 }\n",
    );
    let out = reel_in(dir.path(), &["run", &path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = decode_frames(&dir.path().join("out.mkv"), 64, 48);
    assert_eq!(frames.len(), 25);
    let px = &frames[10][4 * (10 * 64 + 13)..][..4];
    assert!(grey(px), "{px:?}");

    // A misspelt bundle is a check error with the likely fix.
    let path = write_pipeline(
        dir.path(),
        "[[source]]\nid = \"main\"\ntestsrc = {}\n[[stage]]\nid = \"grade\"\nplugin = \"lut\"\ninput = \"main\"\nassets = \"lokks\"\nparams = { file = \"mono.cube\" }\n[[sink]]\ninput = \"grade\"\nnull = true\n",
    );
    let out = reel_in(dir.path(), &["check", &path]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("pipeline.toml:8:10") && text.contains("did you mean `looks`?"),
        "{text}"
    );
}

/// `wasmfilter assets=` also takes a path (with a `/`); a folder that does
/// not exist stops the element from starting rather than running ungraded.
#[test]
fn the_element_takes_an_asset_path_and_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    swap_cube(dir.path());
    let launch = |assets: &str| {
        pull_samples(
            &format!(
                "videotestsrc pattern=red num-buffers=2 ! video/x-raw,format=RGBA,width=16,height=8 \
                 ! wasmfilter plugin=lut assets={assets} params=\"file='swap.cube'\" ! appsink name=out"
            ),
            2,
        )
    };
    let samples = launch(&dir.path().display().to_string());
    assert_eq!(samples.len(), 2);
    let buffer = samples[0].buffer().unwrap().map_readable().unwrap();
    assert!(
        buffer[2] > 200 && buffer[0] < 40,
        "red graded to blue: {:?}",
        &buffer[..4]
    );
    assert!(launch(&dir.path().join("nowhere").display().to_string()).is_empty());
}
