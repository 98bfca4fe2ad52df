//! Times one resize for `tests/bench/scale.sh`: milliseconds per frame,
//! one thread, at the active CPU level (`REEL_CPU_LEVEL` lowers it).
//!
//! `scale_bench FORMAT SWxSH DWxDH FILTER FRAMES`, FORMAT one of i420,
//! nv12, rgba; FILTER `scale` (the two-tap `scale`) or bilinear, bicubic,
//! lanczos3 (`scale_filtered`). Prints the best of 5 means over FRAMES
//! frames each, after a few unmeasured ones: the machine is shared, and
//! the best batch is the one least disturbed.

use std::time::Instant;

use reel_kernels::scale::{self, Filter};
use reel_kernels::{CpuLevel, Format, Image, ImageMut, Layout};

fn size(s: &str) -> (usize, usize) {
    let (w, h) = s.split_once('x').expect("size is WxH");
    (w.parse().expect("width"), h.parse().expect("height"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 5 {
        eprintln!(
            "usage: scale_bench i420|nv12|rgba SWxSH DWxDH scale|bilinear|bicubic|lanczos3 FRAMES"
        );
        std::process::exit(2);
    }
    let format = match args[0].as_str() {
        "i420" => Format::I420,
        "nv12" => Format::Nv12,
        "rgba" => Format::Rgba,
        other => panic!("unknown format {other}"),
    };
    let filter = match args[3].as_str() {
        "scale" => None,
        "bilinear" => Some(Filter::Bilinear),
        "bicubic" => Some(Filter::Bicubic),
        "lanczos3" => Some(Filter::Lanczos3),
        other => panic!("unknown filter {other}"),
    };
    let ((sw, sh), (dw, dh)) = (size(&args[1]), size(&args[2]));
    let frames: usize = args[4].parse().expect("frames");
    let level = CpuLevel::configured().expect("REEL_CPU_LEVEL");
    let sl = Layout::packed(format, sw, sh);
    let dl = Layout::packed(format, dw, dh);
    // A smooth picture with some detail (the content does not change the
    // work, but keep it honest).
    let sd: Vec<u8> = (0..sl.min_len())
        .map(|i| ((i % 251) as u8).wrapping_add((i / 4093) as u8))
        .collect();
    let mut dd = vec![0u8; dl.min_len()];
    let src = Image::new(&sl, &sd).unwrap();
    let run = |dd: &mut Vec<u8>| {
        let mut dst = ImageMut::new(&dl, dd).unwrap();
        match filter {
            None => scale::scale_with(level, src, &mut dst).unwrap(),
            Some(f) => scale::scale_filtered_with(level, src, &mut dst, f).unwrap(),
        }
    };
    for _ in 0..3 {
        run(&mut dd);
    }
    let mut ms = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..frames {
            run(&mut dd);
        }
        ms = ms.min(t.elapsed().as_secs_f64() * 1e3 / frames as f64);
    }
    std::hint::black_box(&dd);
    println!("{ms:.3}");
}
