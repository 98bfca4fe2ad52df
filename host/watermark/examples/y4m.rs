//! Marks or reads a YUV4MPEG (I420) file, for trying the watermark
//! against ffmpeg's attacks by hand:
//!
//!   y4m embed KEYHEX PAYLOAD in.y4m out.y4m
//!   y4m detect KEYHEX in.y4m [frames]
use std::io::{BufRead, BufReader, Write};

use reel_watermark::{Detector, Embedder, Evidence, Key};

fn header(r: &mut impl BufRead) -> (String, usize, usize) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let field = |p: char| {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(p))
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    let (w, h) = (field('W'), field('H'));
    (line.clone(), w, h)
}

fn frame(r: &mut impl BufRead, size: usize) -> Option<Vec<u8>> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut buf = vec![0u8; size];
    r.read_exact(&mut buf).ok()?;
    Some(buf)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let key = Key::parse(&args[2]).unwrap();
    match args[1].as_str() {
        "embed" => {
            let payload = reel_watermark::parse_payload(&args[3]).unwrap();
            let mut r = BufReader::new(std::fs::File::open(&args[4]).unwrap());
            let mut out = std::io::BufWriter::new(std::fs::File::create(&args[5]).unwrap());
            let (head, w, h) = header(&mut r);
            out.write_all(head.as_bytes()).unwrap();
            let size = w * h + 2 * w.div_ceil(2) * h.div_ceil(2);
            let mut embedder = Embedder::new(&key, payload, w, h, 1.0);
            let (mut n, mut mse, mut ms) = (0, 0.0f64, 0.0f64);
            while let Some(mut f) = frame(&mut r, size) {
                let before = f[..w * h].to_vec();
                let t = std::time::Instant::now();
                embedder.embed(&mut f[..w * h], w);
                ms += t.elapsed().as_secs_f64() * 1e3;
                mse += before
                    .iter()
                    .zip(&f)
                    .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
                    .sum::<f64>()
                    / (w * h) as f64;
                n += 1;
                out.write_all(b"FRAME\n").unwrap();
                out.write_all(&f).unwrap();
            }
            let psnr = 10.0 * (255.0f64 * 255.0 / (mse / n as f64)).log10();
            eprintln!(
                "{n} frames, luma PSNR {psnr:.2} dB, {:.2} ms a frame",
                ms / n as f64
            );
        }
        "detect" => {
            let limit: usize = args.get(4).map_or(usize::MAX, |s| s.parse().unwrap());
            let mut r = BufReader::new(std::fs::File::open(&args[3]).unwrap());
            let (_, w, h) = header(&mut r);
            let size = w * h + 2 * w.div_ceil(2) * h.div_ceil(2);
            let mut ev = Evidence::new(w, h);
            let t = std::time::Instant::now();
            while let Some(f) = frame(&mut r, size) {
                ev.add_frame(&f[..w * h], w, h, w);
                if ev.frames >= limit {
                    break;
                }
            }
            let per = t.elapsed().as_secs_f64() * 1e3 / ev.frames as f64;
            let t = std::time::Instant::now();
            let reading = Detector::new(&key).read(&ev);
            eprintln!(
                "{} frames ({per:.2} ms each), read in {:.1} ms: {reading:?}",
                ev.frames,
                t.elapsed().as_secs_f64() * 1e3
            );
        }
        _ => panic!("embed or detect"),
    }
}
