//! Anisotropic Kuwahara filter (Kyprianidis, Kang, Döllner 2009), with the
//! polynomial sector weights of Kyprianidis 2011, on I420, NV12 and RGBA.
//!
//! The picture is read into a padded floating-point Y, U, V working image
//! (RGBA through an exactly invertible float transform, so nothing is
//! quantised on the way), at full resolution or, for speed, at half
//! resolution (I420's chroma grid: luma averaged 2x2; luma is upsampled
//! bilinearly afterwards, chroma written as it is). A structure tensor
//! from Sobel on luma, smoothed by a Gaussian of sigma 2 frame pixels
//! (1 working pixel at half size), gives each pixel a direction and an
//! anisotropy A = (l1 - l2) / (l1 + l2); its kernel is the ellipse
//! a = r (1 + A), b = r / (1 + A) (alpha = 1) turned along the local
//! structure, with the 8 polynomial sectors of Kyprianidis 2011 and a
//! Gaussian falloff.
//!
//! Rather than build each pixel's ellipse, the kernels are precomputed
//! once per radius (`reference::Bank`, cached across frames): 24
//! directions (7.5 degrees apart) x 6 anisotropy levels, each a list of
//! sample offsets with their 8 sector weights. A pixel picks the nearest
//! kernel; a sample then costs two loads and five lane-wise sums
//! (w, wY, wY^2, wU, wV) over the 8 sectors. Beyond a radius of 3
//! working pixels the kernels take half the pixels (a quincunx), beyond
//! 4.5 a quarter (every second pixel both ways): see `QUINCUNX_RADIUS`.
//! The sector variances are those of luma alone; chroma is averaged with
//! luma's weights.
//!
//! `reference.rs` holds the stages in plain Rust (the baseline level, and
//! SSE4.1, which has nothing to add here); `avx2.rs` the row with the 8
//! sectors as the 8 lanes of a register, and the tensor stages compiled
//! with AVX2. No FMA, and the same order of operations everywhere (Rust
//! never fuses a multiply and an add), so every level computes exactly
//! the same floats and gives the same bytes. Rows are split over up to
//! two threads; each output row depends only on the input, so the thread
//! count does not change the result either.

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{ImageMut, Layout, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod reference;

use reference::{Bank, Job};

/// Accepted `radius` range, in pixels of the frame.
pub const RADIUS_RANGE: std::ops::RangeInclusive<f32> = 1.0..=32.0;
/// Accepted `sharpness` (the paper's q) range.
pub const SHARPNESS_RANGE: std::ops::RangeInclusive<f32> = 1.0..=32.0;

/// Beyond this radius in working pixels the kernels take every second
/// pixel of a quincunx (dx + dy even: half the samples), and beyond
/// `STEP2_RADIUS` every second pixel in both directions (a quarter). The
/// sector means are smooth averages: at those sizes each sector still
/// sees a few dozen pixels' area through 15-40 samples in all, and the
/// cost stays near that of a radius of 3 (~28 samples) instead of growing
/// with the square of the radius.
const QUINCUNX_RADIUS: f32 = 3.0;
const STEP2_RADIUS: f32 = 4.5;

/// Where the filter runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// The default chosen from measurements (see [`Resolution::resolve`]).
    Auto,
    /// Every pixel of the frame (chroma upsampled to it, then averaged back).
    Full,
    /// Half size in both directions (I420 chroma's grid): luma averaged
    /// 2x2, filtered with chroma, then upsampled bilinearly.
    Half,
}

impl Resolution {
    /// The resolution `Auto` stands for at `radius` frame pixels. Half
    /// resolution is the only one near real time at 1080p (in
    /// `examples/kuwahara_bench.rs` full resolution costs 4 to 7 times as
    /// much at radius 6 to 10); radii under 3, whose kernels would shrink
    /// under 1.5 working pixels at half size, run at full resolution.
    pub fn resolve(self, radius: f32) -> Resolution {
        match self {
            Resolution::Auto if radius < 3.0 => Resolution::Full,
            Resolution::Auto => Resolution::Half,
            other => other,
        }
    }
}

/// How [`kuwahara_opts`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Options {
    /// Worker threads; 0 means `available_parallelism().min(2)`; at most 16.
    pub threads: usize,
    pub resolution: Resolution,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threads: 0,
            resolution: Resolution::Auto,
        }
    }
}

/// Anisotropic Kuwahara: smooths within regions, along the local
/// structure, keeping edges sharp — brush strokes of about `radius` pixels
/// (of the frame) in length. `sharpness` is the paper's q (typical 8;
/// 1..=32 accepted). Works in place on I420, NV12, RGBA (alpha kept).
pub fn kuwahara(img: &mut ImageMut<'_>, radius: f32, sharpness: f32) -> Result<(), LayoutError> {
    kuwahara_with(CpuLevel::active(), img, radius, sharpness)
}

pub fn kuwahara_with(
    level: CpuLevel,
    img: &mut ImageMut<'_>,
    radius: f32,
    sharpness: f32,
) -> Result<(), LayoutError> {
    kuwahara_opts(level, img, radius, sharpness, Options::default())
}

/// [`kuwahara_with`] with an explicit thread count and resolution (for
/// tests and benchmarks).
pub fn kuwahara_opts(
    level: CpuLevel,
    img: &mut ImageMut<'_>,
    radius: f32,
    sharpness: f32,
    opts: Options,
) -> Result<(), LayoutError> {
    if !RADIUS_RANGE.contains(&radius) {
        return Err(LayoutError(format!(
            "kuwahara radius must be a number in {}..={} pixels, got {radius}",
            RADIUS_RANGE.start(),
            RADIUS_RANGE.end()
        )));
    }
    if !SHARPNESS_RANGE.contains(&sharpness) {
        return Err(LayoutError(format!(
            "kuwahara sharpness must be a number in {}..={}, got {sharpness}",
            SHARPNESS_RANGE.start(),
            SHARPNESS_RANGE.end()
        )));
    }
    let (w, h) = (img.layout.width, img.layout.height);
    if w == 0 || h == 0 {
        return Ok(());
    }
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
        // A thread per band of rows: more than 16 only adds spawns.
        n => n.min(16),
    };
    let Plan {
        scale,
        r,
        step,
        quincunx,
        pad,
    } = Plan::new(radius, opts.resolution);
    let planes = reference::load(img, scale, pad, threads);
    let sigma = 2.0 / scale as f32;
    let kernels = reference::tensor(level, &planes, sigma, threads);
    let bank = Bank::cached(r, step, quincunx, planes.stride);
    let job = Job {
        planes: &planes,
        kernels: &kernels,
        bank: &bank,
        half_q: 0.5 * sharpness,
        int_q: if sharpness % 2.0 == 0.0 {
            (sharpness / 2.0) as u32
        } else {
            0
        },
    };
    let out = filter(level, &job, threads);
    reference::store(img, &out, scale, threads);
    planes.recycle();
    for v in out {
        reference::pool::give(v);
    }
    Ok(())
}

/// How a radius is filtered: at which scale, with what working radius
/// and sample lattice, and how much padding its kernels reach into.
struct Plan {
    scale: usize,
    r: f32,
    step: usize,
    quincunx: bool,
    pad: usize,
}

impl Plan {
    fn new(radius: f32, resolution: Resolution) -> Plan {
        let scale = match resolution.resolve(radius) {
            Resolution::Half => 2,
            _ => 1,
        };
        let r = radius / scale as f32;
        let (step, quincunx) = if r > STEP2_RADIUS {
            (2, false)
        } else {
            (1, r > QUINCUNX_RADIUS)
        };
        // Room for the farthest sample, and for Sobel and a blur of
        // radius 4 around the edge pixels.
        let pad = (Bank::reach(r, step) + 2).max(6);
        Plan {
            scale,
            r,
            step,
            quincunx,
            pad,
        }
    }
}

/// The most memory [`kuwahara`] takes for a picture of `layout` at
/// `radius` (working planes, structure tensor, output): a host lending
/// the kernel to a guest counts it against the guest's allowance, since
/// the picture's size is the guest's to choose. An upper bound.
pub fn scratch_bytes(layout: &Layout, radius: f32) -> usize {
    let plan = Plan::new(
        radius.clamp(*RADIUS_RANGE.start(), *RADIUS_RANGE.end()),
        Resolution::Auto,
    );
    let padded = |side: usize| side.div_ceil(plan.scale) + 2 * plan.pad;
    // At most 12 float planes are alive at once (the pool keeps no more),
    // and a 16-bit kernel index a pixel.
    padded(layout.width)
        .saturating_mul(padded(layout.height))
        .saturating_mul(12 * 4 + 2)
}

/// One filtered row: output luma, U and V of working row `y`.
type RowFn = unsafe fn(&Job<'_>, usize, &mut [f32], &mut [f32], &mut [f32]);

/// The row kernel for `level`. Calling it is sound only on a CPU that has
/// `level` (`#[target_feature]` functions only coerce to `unsafe fn`).
fn row_kernel(level: CpuLevel) -> RowFn {
    match level.isa() {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => avx2::filter_row,
        _ => reference::filter_row,
    }
}

/// The index of a band of rows and its Y, U, V output rows.
type Band<'a> = (usize, ((&'a mut [f32], &'a mut [f32]), &'a mut [f32]));

/// Filters every working row, bands of rows on `threads` threads; the
/// result is three unpadded planes (Y, U, V) of the working size.
fn filter(level: CpuLevel, job: &Job<'_>, threads: usize) -> [Vec<f32>; 3] {
    let (w, h) = (job.planes.w, job.planes.h);
    let take = || reference::pool::take(w * h);
    let mut out = [take(), take(), take()];
    let row = row_kernel(level);
    let band = h.div_ceil(threads.max(1)).max(1);
    let [oy, ou, ov] = &mut out;
    let bands = oy
        .chunks_mut(band * w)
        .zip(ou.chunks_mut(band * w))
        .zip(ov.chunks_mut(band * w))
        .enumerate();
    let run = |(i, ((by, bu), bv)): Band<'_>| {
        let rows = by.chunks_mut(w).zip(bu.chunks_mut(w)).zip(bv.chunks_mut(w));
        for (j, ((ry, ru), rv)) in rows.enumerate() {
            // SAFETY: `row` was chosen for `level`, and a `CpuLevel` is only
            // made by run-time detection: its instruction set is present.
            unsafe { row(job, i * band + j, ry, ru, rv) };
        }
    };
    if threads <= 1 {
        bands.for_each(run);
    } else {
        std::thread::scope(|s| {
            let mut bands = bands;
            // The first band on this thread, the others on new ones.
            let first = bands.next();
            for b in bands {
                s.spawn(move || run(b));
            }
            if let Some(b) = first {
                run(b);
            }
        });
    }
    out
}
