//! Times the 3D LUT for `tests/bench/lut.sh`: milliseconds per frame, one
//! thread, at the active CPU level (`REEL_CPU_LEVEL` lowers it).
//!
//! `lut_bench FILE.cube WxH FRAMES [RAW]`: prints `rgba MS` (the RGBA path
//! a plugin took before: I420 to RGBA, the LUT, back to I420), `build MS`
//! (making the YUV-domain table, once per LUT and strength) and `yuv MS`
//! (the LUT on I420 directly, the table made). Each is the best of 5 means
//! over FRAMES frames, after a few unmeasured ones: the machine is shared,
//! and the best batch is the one least disturbed. With RAW (a raw I420
//! file of at least one frame of that size) its frames are the content,
//! cycled; otherwise a synthetic picture. `LUT_BENCH_YUV=1` times the
//! YUV path alone.

use std::time::Instant;

use reel_kernels::lut3d::apply_lut3d_with;
use reel_kernels::{CpuLevel, Format, Image, ImageMut, Layout, Lut3d, convert};

/// A .cube file (`LUT_3D_SIZE`, keywords and `#` comments skipped, red
/// fastest).
fn parse_cube(text: &str) -> Lut3d {
    let mut size = 0;
    let mut table = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(n) = line.strip_prefix("LUT_3D_SIZE") {
            size = n.trim().parse().expect("LUT_3D_SIZE");
        } else if !line.is_empty()
            && !line.starts_with(|c: char| c == '#' || c.is_ascii_alphabetic())
        {
            table.extend(
                line.split_whitespace()
                    .map(|v| v.parse::<f32>().expect("a number")),
            );
        }
    }
    Lut3d::new(size, &table).expect("a valid .cube")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !(3..=4).contains(&args.len()) {
        eprintln!("usage: lut_bench FILE.cube WxH FRAMES [RAW]");
        std::process::exit(2);
    }
    let text = std::fs::read_to_string(&args[0]).expect("read the .cube");
    let lut = parse_cube(&text);
    let (w, h) = args[1].split_once('x').expect("size is WxH");
    let (w, h): (usize, usize) = (w.parse().expect("width"), h.parse().expect("height"));
    let frames: usize = args[2].parse().expect("frames");
    let level = CpuLevel::configured().expect("REEL_CPU_LEVEL");
    let l = Layout::packed(Format::I420, w, h);
    let rl = Layout::packed(Format::Rgba, w, h);
    let inputs: Vec<Vec<u8>> = match args.get(3) {
        Some(raw) => {
            let data = std::fs::read(raw).expect("read the raw file");
            let n = (data.len() / l.min_len()).clamp(1, 8);
            (0..n)
                .map(|i| data[i * l.min_len()..][..l.min_len()].to_vec())
                .collect()
        }
        None => vec![
            (0..l.min_len())
                .map(|i| ((i % 251) as u8).wrapping_add((i / 4093) as u8))
                .collect(),
        ],
    };
    let mut frame = inputs[0].clone();
    let mut rgba = vec![0u8; rl.min_len()];
    let mut time = |name: &str, run: &mut dyn FnMut(&mut Vec<u8>, &mut Vec<u8>)| {
        let mut next = 0;
        let mut step = |frame: &mut Vec<u8>, rgba: &mut Vec<u8>| {
            frame.copy_from_slice(&inputs[next % inputs.len()]);
            next += 1;
            run(frame, rgba);
        };
        for _ in 0..3 {
            step(&mut frame, &mut rgba);
        }
        let mut ms = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            for _ in 0..frames {
                step(&mut frame, &mut rgba);
            }
            ms = ms.min(t.elapsed().as_secs_f64() * 1e3 / frames as f64);
        }
        // The copy of the input into the frame is part of each step:
        // take it out (the best of 5 as well).
        let mut copy = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            for i in 0..frames {
                frame.copy_from_slice(&inputs[i % inputs.len()]);
                std::hint::black_box(&frame);
            }
            copy = copy.min(t.elapsed().as_secs_f64() * 1e3 / frames as f64);
        }
        println!("{name} {:.3}", ms - copy);
    };
    // `LUT_BENCH_YUV=1`: the YUV path alone (quicker A/B runs of the row).
    if std::env::var_os("LUT_BENCH_YUV").is_none_or(|v| v != "1") {
        time("rgba", &mut |frame, rgba| {
            convert(
                Image::new(&l, frame).unwrap(),
                &mut ImageMut::new(&rl, rgba).unwrap(),
            )
            .unwrap();
            apply_lut3d_with(level, &mut ImageMut::new(&rl, rgba).unwrap(), &lut, 1.0).unwrap();
            convert(
                Image::new(&rl, rgba).unwrap(),
                &mut ImageMut::new(&l, frame).unwrap(),
            )
            .unwrap();
        });
        // The YUV-domain table's build, paid at the first YUV frame of each
        // strength (a 2x2 picture: the build is all there is).
        let tiny = Layout::packed(Format::I420, 2, 2);
        let mut px = vec![128u8; tiny.min_len()];
        let mut build = f64::INFINITY;
        for _ in 0..3 {
            let fresh = parse_cube(&text);
            let t = Instant::now();
            apply_lut3d_with(
                level,
                &mut ImageMut::new(&tiny, &mut px).unwrap(),
                &fresh,
                1.0,
            )
            .unwrap();
            build = build.min(t.elapsed().as_secs_f64() * 1e3);
        }
        println!("build {build:.3}");
    }
    time("yuv", &mut |frame, _| {
        apply_lut3d_with(level, &mut ImageMut::new(&l, frame).unwrap(), &lut, 1.0).unwrap();
    });
}
