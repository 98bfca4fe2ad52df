//! Times the anisotropic Kuwahara filter on a 1920x1080 I420 picture
//! (gradients, hard-edged shapes, stripes, noise): the median of several
//! frames in milliseconds, per CPU level, resolution, radius (6, 8 and
//! 10; 8 is the costliest at half size: the last one sampled at every
//! pixel) and thread count.
//!
//! Besides the wall-clock median it prints the median CPU time of the
//! calling thread (`/proc/thread-self/schedstat`, Linux): on a shared,
//! loaded machine that is what a frame costs when the cores are free; with
//! 2 threads the calling thread does one of the two bands, so it stands
//! for the wall time on two idle cores.
//!
//! `kuwahara_bench [FRAMES] [WxH]` (default 9 frames, 1920x1080).
//! `KUWAHARA_BENCH_QUICK=1` times one level only (the best, or the one
//! `REEL_CPU_LEVEL` names),
//! `KUWAHARA_BENCH_RES=half` (or `full`) one resolution only;
//! `KUWAHARA_BENCH_DUMP=DIR` writes the input and each result (raw I420)
//! there, to look at.

use std::time::Instant;

use reel_kernels::kuwahara::{Options, Resolution, kuwahara_opts};
use reel_kernels::{CpuLevel, Format, ImageMut, Layout};

/// Deterministic noise.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A picture with structure: a sky gradient, a few discs and bars with
/// hard edges, diagonal stripes, all with noise (sigma ~6 codes).
fn picture(w: usize, h: usize) -> Vec<u8> {
    let l = Layout::packed(Format::I420, w, h);
    let mut data = vec![0u8; l.min_len()];
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let (wf, hf) = (w as f32, h as f32);
    let luma = |x: f32, y: f32| -> f32 {
        let mut v = 40.0 + 150.0 * (y / hf) + 30.0 * (x / wf);
        for (cx, cy, r, c) in [
            (0.3, 0.4, 0.15, 220.0),
            (0.7, 0.6, 0.2, 60.0),
            (0.55, 0.25, 0.08, 180.0),
        ] {
            let (dx, dy) = (x / wf - cx, (y / hf - cy) * hf / wf);
            if dx * dx + dy * dy < r * r {
                v = c;
            }
        }
        if x > 0.1 * wf && x < 0.25 * wf && y > 0.6 * hf {
            v = if ((x + y) / 12.0) as i32 % 2 == 0 {
                30.0
            } else {
                200.0
            };
        }
        v
    };
    let (yp, rest) = data.split_at_mut(w * h);
    for y in 0..h {
        for x in 0..w {
            let n = (rng.next() + rng.next() + rng.next() - 1.5) * 20.0;
            yp[y * w + x] = (luma(x as f32, y as f32) + n).clamp(0.0, 255.0) as u8;
        }
    }
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (up, vp) = rest.split_at_mut(cw * ch);
    for y in 0..ch {
        for x in 0..cw {
            let l = luma(2.0 * x as f32, 2.0 * y as f32);
            up[y * cw + x] = (128.0 + (l - 128.0) * 0.2 + 30.0 * (x as f32 / cw as f32)) as u8;
            vp[y * cw + x] = (128.0 - (l - 128.0) * 0.15 + 20.0 * (y as f32 / ch as f32)) as u8;
        }
    }
    data
}

/// Nanoseconds this thread has run (0 where the file is missing).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let frames: usize = args.first().map_or(9, |f| f.parse().expect("frames"));
    let (w, h) = args.get(1).map_or((1920, 1080), |s| {
        let (w, h) = s.split_once('x').expect("WxH");
        (w.parse().expect("width"), h.parse().expect("height"))
    });
    let l = Layout::packed(Format::I420, w, h);
    let input = picture(w, h);
    let mut frame = input.clone();
    let levels = if std::env::var_os("KUWAHARA_BENCH_QUICK").is_some_and(|v| v == "1") {
        vec![CpuLevel::configured().expect("REEL_CPU_LEVEL")]
    } else {
        CpuLevel::all_supported()
    };
    println!("{w}x{h} I420, median of {frames} frames, ms (wall; CPU of the calling thread)");
    for level in levels {
        let only = std::env::var("KUWAHARA_BENCH_RES").unwrap_or_default();
        for resolution in [Resolution::Half, Resolution::Full] {
            if !only.is_empty() && format!("{resolution:?}").to_lowercase() != only {
                continue;
            }
            for radius in [6.0, 8.0, 10.0] {
                for threads in [1, 2] {
                    let opts = Options {
                        threads,
                        resolution,
                    };
                    let (mut times, mut cpu) = (Vec::new(), Vec::new());
                    for _ in 0..frames {
                        frame.copy_from_slice(&input);
                        let (t, c) = (Instant::now(), thread_cpu_ns());
                        kuwahara_opts(
                            level,
                            &mut ImageMut::new(&l, &mut frame).unwrap(),
                            radius,
                            8.0,
                            opts,
                        )
                        .unwrap();
                        times.push(t.elapsed().as_secs_f64() * 1e3);
                        cpu.push((thread_cpu_ns() - c) as f64 / 1e6);
                    }
                    if let Some(dir) = std::env::var_os("KUWAHARA_BENCH_DUMP") {
                        let dir = std::path::Path::new(&dir);
                        std::fs::write(dir.join("input.yuv"), &input).expect("dump");
                        let name = format!("{resolution:?}-r{radius}.yuv").to_lowercase();
                        std::fs::write(dir.join(name), &frame).expect("dump");
                    }
                    times.sort_by(f64::total_cmp);
                    cpu.sort_by(f64::total_cmp);
                    println!(
                        "{:<8} {:<4} radius {radius:>4} threads {threads}  wall {:8.1}  cpu {:8.1}",
                        level.name(),
                        format!("{resolution:?}").to_lowercase(),
                        times[times.len() / 2],
                        cpu[cpu.len() / 2]
                    );
                }
            }
        }
    }
}
