//! Each native kernel at 1080p: the pixel-at-a-time reference against the
//! fast path at every instruction-set level this CPU has. Prints a
//! markdown table of median times and speed-ups (ratios are what to
//! compare: the machines are shared and noisy).
//!
//! Run: `cargo bench -p reel-tests --bench kernels`

use reel_kernels::{
    CpuLevel, Format, Image, ImageMut, Layout, Lut3d, Rect, blend, chroma_key, convert, fill,
    lut3d, scale,
};
use reel_tests::median_time;

const W: usize = 1920;
const H: usize = 1080;

fn picture(format: Format, w: usize, h: usize) -> (Layout, Vec<u8>) {
    let layout = Layout::packed(format, w, h);
    let data = (0..layout.min_len()).map(|i| (i * 7 % 251) as u8).collect();
    (layout, data)
}

fn row(name: &str, reference: std::time::Duration, fast: &[(CpuLevel, std::time::Duration)]) {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let cells: Vec<String> = fast
        .iter()
        .map(|(level, d)| {
            format!(
                "{} {:.2} ms ({:.1}x)",
                level.name(),
                ms(*d),
                reference.as_secs_f64() / d.as_secs_f64()
            )
        })
        .collect();
    println!(
        "| {name} | {:.2} ms | {} |",
        ms(reference),
        cells.join(" · ")
    );
}

fn main() {
    let runs = 15;
    let levels = CpuLevel::all_supported();
    println!("| kernel (1920x1080) | reference | fast path per level (speed-up) |");
    println!("| --- | --- | --- |");

    for (sf, df) in [
        (Format::I420, Format::Rgba),
        (Format::Rgba, Format::I420),
        (Format::Nv12, Format::Rgba),
    ] {
        let (sl, sd) = picture(sf, W, H);
        let (dl, mut dd) = picture(df, W, H);
        let src = Image::new(&sl, &sd).unwrap();
        let reference = median_time(5, || {
            convert::reference::convert(src, &mut ImageMut::new(&dl, &mut dd).unwrap()).unwrap()
        });
        let fast: Vec<_> = levels
            .iter()
            .map(|&l| {
                (
                    l,
                    median_time(runs, || {
                        convert::convert_with(l, src, &mut ImageMut::new(&dl, &mut dd).unwrap())
                            .unwrap()
                    }),
                )
            })
            .collect();
        row(&format!("convert {sf} -> {df}"), reference, &fast);
    }

    for df in [Format::Rgba, Format::I420] {
        let (sl, mut sd) = picture(Format::Rgba, 640, 360);
        for px in sd.chunks_exact_mut(4) {
            let a = px[3];
            px[..3].iter_mut().for_each(|c| *c = (*c).min(a));
        }
        let (dl, mut dd) = picture(df, W, H);
        let src = Image::new(&sl, &sd).unwrap();
        let reference = median_time(5, || {
            blend::reference::blend(&mut ImageMut::new(&dl, &mut dd).unwrap(), src, 100, 50, 0.8)
                .unwrap()
        });
        let fast: Vec<_> = levels
            .iter()
            .map(|&l| {
                (
                    l,
                    median_time(runs, || {
                        blend::blend_with(
                            l,
                            &mut ImageMut::new(&dl, &mut dd).unwrap(),
                            src,
                            100,
                            50,
                            0.8,
                        )
                        .unwrap()
                    }),
                )
            })
            .collect();
        row(&format!("blend 640x360 RGBA onto {df}"), reference, &fast);
    }

    {
        let (l, d) = picture(Format::Rgba, W, H);
        let mut work = d.clone();
        let reference = median_time(5, || {
            work.copy_from_slice(&d);
            chroma_key::reference::chroma_key(
                &mut ImageMut::new(&l, &mut work).unwrap(),
                [0, 255, 0],
                0.2,
                0.1,
            )
            .unwrap()
        });
        let fast: Vec<_> = levels
            .iter()
            .map(|&lv| {
                (
                    lv,
                    median_time(runs, || {
                        work.copy_from_slice(&d);
                        chroma_key::chroma_key_with(
                            lv,
                            &mut ImageMut::new(&l, &mut work).unwrap(),
                            [0, 255, 0],
                            0.2,
                            0.1,
                        )
                        .unwrap()
                    }),
                )
            })
            .collect();
        row(
            "chroma key RGBA (incl. 8 MB restore copy)",
            reference,
            &fast,
        );
    }

    {
        let (l, mut d) = picture(Format::Rgba, W, H);
        let lut = Lut3d::identity(33);
        let reference = median_time(5, || {
            lut3d::reference::apply_lut3d(&mut ImageMut::new(&l, &mut d).unwrap(), &lut, 1.0)
        });
        let fast: Vec<_> = levels
            .iter()
            .map(|&lv| {
                (
                    lv,
                    median_time(runs, || {
                        lut3d::apply_lut3d_with(
                            lv,
                            &mut ImageMut::new(&l, &mut d).unwrap(),
                            &lut,
                            1.0,
                        )
                        .unwrap()
                    }),
                )
            })
            .collect();
        row("3D LUT 33^3 tetrahedral, RGBA", reference, &fast);
    }

    for f in [Format::I420, Format::Rgba] {
        let (sl, sd) = picture(f, 1280, 720);
        let (dl, mut dd) = picture(f, W, H);
        let src = Image::new(&sl, &sd).unwrap();
        let reference = median_time(5, || {
            scale::reference::scale(src, &mut ImageMut::new(&dl, &mut dd).unwrap())
        });
        let fast: Vec<_> = levels
            .iter()
            .map(|&lv| {
                (
                    lv,
                    median_time(runs, || {
                        scale::scale_with(lv, src, &mut ImageMut::new(&dl, &mut dd).unwrap())
                            .unwrap()
                    }),
                )
            })
            .collect();
        row(
            &format!("scale {f} 1280x720 -> 1920x1080"),
            reference,
            &fast,
        );
    }

    {
        let (l, mut d) = picture(Format::I420, W, H);
        let rect = Rect {
            x: 0,
            y: 800,
            width: W,
            height: 200,
        };
        let colour = [20, 40, 200, 160];
        let reference = median_time(5, || {
            fill::reference::fill_rect(&mut ImageMut::new(&l, &mut d).unwrap(), rect, colour)
        });
        let fast: Vec<_> = levels
            .iter()
            .map(|&lv| {
                (
                    lv,
                    median_time(runs, || {
                        fill::fill_rect_with(
                            lv,
                            &mut ImageMut::new(&l, &mut d).unwrap(),
                            rect,
                            colour,
                        )
                    }),
                )
            })
            .collect();
        row("fill 1920x200 translucent onto I420", reference, &fast);
    }
}
