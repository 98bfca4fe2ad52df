//! Resizing, plane by plane: bilinear ([`scale`]) and area-aware
//! bilinear, bicubic and Lanczos-3 ([`scale_filtered`]).
//!
//! Separable, as swscale and fast_image_resize do it: each source row the
//! output needs is filtered horizontally once, into a small ring of
//! intermediate rows (`i16`, the sample times 64), and each output row is
//! a vertical filter over rows of that ring. Taps are precomputed per
//! output column and row in 14-bit fixed point (they sum to exactly
//! `1 << 14`, so a flat picture stays flat and equal sizes copy).
//!
//! `reference.rs` is the pixel-at-a-time definition and the plain scalar
//! rows (the baseline level); `sse41.rs` and `avx2.rs` are hand-written
//! rows that give exactly the same integers. `Rows` picks them once per
//! call.

use std::cell::RefCell;
use std::rc::Rc;

use crate::cpu::CpuLevel;
#[cfg(target_arch = "x86_64")]
use crate::cpu::Isa;
use crate::layout::{Format, Image, ImageMut, LayoutError};

#[cfg(target_arch = "x86_64")]
mod avx2;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sse41;

/// The filter of [`scale_filtered`]. Every one widens by the scale factor
/// when it shrinks (its support covers the source pixels an output pixel
/// spans), so a picture shrunk to a picture-in-picture does not alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Filter {
    /// Triangle (tent): 2 taps when enlarging, as swscale's `bilinear`.
    Bilinear,
    /// Catmull-Rom cubic (a = -0.5): 4 taps when enlarging, sharper.
    Bicubic,
    /// Windowed sinc, 3 lobes: 6 taps when enlarging, the sharpest.
    Lanczos3,
}

impl Filter {
    /// Half the width of the kernel, in source pixels at scale 1.
    fn radius(self) -> f64 {
        match self {
            Filter::Bilinear => 1.0,
            Filter::Bicubic => 2.0,
            Filter::Lanczos3 => 3.0,
        }
    }

    /// The kernel at distance `x` (in pixels at scale 1).
    pub(crate) fn weight(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Filter::Bilinear => (1.0 - x).max(0.0),
            Filter::Bicubic => {
                let a = -0.5;
                if x < 1.0 {
                    ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
                } else {
                    0.0
                }
            }
            Filter::Lanczos3 => {
                if x < 1e-9 {
                    1.0
                } else if x < 3.0 {
                    let px = std::f64::consts::PI * x;
                    3.0 * px.sin() * (px / 3.0).sin() / (px * px)
                } else {
                    0.0
                }
            }
        }
    }
}

/// Fixed-point taps sum to this.
pub(crate) const ONE: i32 = 1 << 14;
/// Horizontal sums are shifted down by this into the intermediate rows,
/// which hold the sample times 64 (`i16` has room for Lanczos overshoot).
pub(crate) const H_SHIFT: u32 = 8;
/// Vertical sums of intermediate rows are shifted down by this: 14 bits of
/// taps and the 6 bits the intermediate rows carry.
pub(crate) const V_SHIFT: u32 = 20;

/// Resizes `src` into `dst` with bilinear filtering; both must have the
/// same format. Two taps each way whatever the ratio (cheap; below half
/// size it aliases, where [`scale_filtered`] does not).
pub fn scale(src: Image<'_>, dst: &mut ImageMut<'_>) -> Result<(), LayoutError> {
    scale_with(CpuLevel::active(), src, dst)
}

pub fn scale_with(
    level: CpuLevel,
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
) -> Result<(), LayoutError> {
    resize(level, src, dst, Filter::Bilinear, false)
}

/// Resizes `src` into `dst` (same format) with `filter`, widened when it
/// shrinks so that it averages what it drops.
pub fn scale_filtered(
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
    filter: Filter,
) -> Result<(), LayoutError> {
    scale_filtered_with(CpuLevel::active(), src, dst, filter)
}

pub fn scale_filtered_with(
    level: CpuLevel,
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
    filter: Filter,
) -> Result<(), LayoutError> {
    resize(level, src, dst, filter, true)
}

/// Fixed-point taps of one axis: output `i` is the sum over `k < n` of
/// `coeffs[i * n + k]` times source sample `start[i] + k`. Every window
/// lies inside the source (weights that fell outside were folded onto the
/// edge sample: edges clamp).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Taps {
    pub(crate) n: usize,
    pub(crate) start: Vec<usize>,
    pub(crate) coeffs: Vec<i16>,
}

impl Taps {
    /// Taps from `src_len` samples to `dst_len` (both > 0), pixel centres
    /// aligned (as GStreamer's and ffmpeg's scalers). `widen`: the kernel
    /// stretches by the ratio when shrinking. `even`: `n` is rounded up to
    /// a pair where the source allows (the horizontal kernels take taps
    /// two at a time).
    pub(crate) fn new(
        src_len: usize,
        dst_len: usize,
        filter: Filter,
        widen: bool,
        even: bool,
    ) -> Taps {
        let ratio = src_len as f64 / dst_len as f64;
        let stretch = if widen { ratio.max(1.0) } else { 1.0 };
        let reach = filter.radius() * stretch;
        // Each output's trimmed window: its first sample and where its
        // taps lie in `flat`.
        let mut windows: Vec<(usize, usize, usize)> = Vec::with_capacity(dst_len);
        let mut flat: Vec<i16> = Vec::with_capacity(dst_len * (2.0 * reach + 2.0) as usize);
        let (mut folded, mut q) = (Vec::new(), Vec::new());
        for d in 0..dst_len {
            let centre = (d as f64 + 0.5) * ratio - 0.5;
            let lo = (centre - reach).floor() as i64;
            let hi = (centre + reach).ceil() as i64;
            // Float weights, indices outside the source folded onto the
            // edge samples.
            let first = lo.clamp(0, src_len as i64 - 1) as usize;
            let last = hi.clamp(0, src_len as i64 - 1) as usize;
            folded.clear();
            folded.resize(last - first + 1, 0.0f64);
            for i in lo..=hi {
                let w = filter.weight((i as f64 - centre) / stretch);
                folded[i.clamp(first as i64, last as i64) as usize - first] += w;
            }
            let sum: f64 = folded.iter().sum();
            // Quantise, then give the rounding remainder to the largest
            // tap so the taps sum to exactly ONE.
            q.clear();
            q.extend(folded.iter().map(|w| (w / sum * ONE as f64).round() as i32));
            let big = (0..q.len()).max_by_key(|&i| q[i]).unwrap_or(0);
            q[big] += ONE - q.iter().sum::<i32>();
            // Trim zero taps at both ends.
            let a = q.iter().position(|&c| c != 0).unwrap_or(big);
            let b = q.iter().rposition(|&c| c != 0).unwrap_or(big);
            windows.push((first + a, flat.len(), b + 1 - a));
            flat.extend(q[a..=b].iter().map(|&c| c as i16));
        }
        let widest = windows.iter().map(|w| w.2).max().unwrap_or(1);
        let n = if even { widest + widest % 2 } else { widest }.min(src_len);
        let mut start = Vec::with_capacity(dst_len);
        let mut coeffs = vec![0i16; n * dst_len];
        for (d, (first, at, len)) in windows.into_iter().enumerate() {
            // Slide the window left where it would pass the last sample.
            let s = first.min(src_len - n);
            let to = d * n + (first - s);
            coeffs[to..to + len].copy_from_slice(&flat[at..at + len]);
            start.push(s);
        }
        Taps { n, start, coeffs }
    }

    /// The taps of output `i`.
    #[inline]
    pub(crate) fn of(&self, i: usize) -> &[i16] {
        &self.coeffs[i * self.n..(i + 1) * self.n]
    }
}

/// Samples per pixel in `plane`.
pub(crate) fn channels(format: Format, plane: usize) -> usize {
    match (format, plane) {
        (Format::Rgba, _) => 4,
        (Format::Nv12, 1) => 2,
        _ => 1,
    }
}

/// The taps of one plane: columns (rounded up to pairs) and rows; None
/// when either picture has no samples in it.
pub(crate) fn plane_taps(
    src: &Image<'_>,
    dst: &ImageMut<'_>,
    plane: usize,
    filter: Filter,
    widen: bool,
) -> Option<(usize, Taps, Taps)> {
    let ch = channels(src.layout.format, plane);
    let (sp, dp) = (src.layout.plane(plane), dst.layout.plane(plane));
    let (sw, dw) = (sp.row_bytes / ch, dp.row_bytes / ch);
    if sw == 0 || sp.rows == 0 || dw == 0 || dp.rows == 0 {
        return None;
    }
    let xt = Taps::new(sw, dw, filter, widen, true);
    let yt = Taps::new(sp.rows, dp.rows, filter, widen, false);
    Some((ch, xt, yt))
}

pub(crate) fn check_formats(src: &Image<'_>, dst: &ImageMut<'_>) -> Result<(), LayoutError> {
    let format = src.layout.format;
    if format != dst.layout.format {
        return Err(LayoutError(format!(
            "scale keeps the format, got {format} and {}",
            dst.layout.format
        )));
    }
    Ok(())
}

fn resize(
    level: CpuLevel,
    src: Image<'_>,
    dst: &mut ImageMut<'_>,
    filter: Filter,
    widen: bool,
) -> Result<(), LayoutError> {
    check_formats(&src, dst)?;
    let rows = Rows::new(level);
    for plane in 0..src.layout.format.plane_count() {
        // An empty source leaves the destination as it was.
        let Some(setup) = PlaneSetup::cached(&src, dst, plane, filter, widen, rows.wants_plan)
        else {
            continue;
        };
        let PlaneSetup { ch, xt, yt, plan } = &*setup;
        let width = dst.layout.plane(plane).row_bytes;
        // Ring of intermediate rows: source row r lives in slot r % n
        // (the n rows an output row needs never share a slot); `tags`
        // says which row a slot holds, so each is filtered once.
        let n = yt.n;
        let mut ring = vec![0i16; n * width];
        let mut tags = vec![usize::MAX; n];
        let mut slots = vec![0usize; n];
        for y in 0..dst.layout.plane(plane).rows {
            for (k, slot) in slots.iter_mut().enumerate() {
                let r = yt.start[y] + k;
                *slot = r % n;
                if tags[*slot] != r {
                    let out = &mut ring[*slot * width..(*slot + 1) * width];
                    rows.horizontal(src.row(plane, r), xt, *ch, plan, out);
                    tags[*slot] = r;
                }
            }
            rows.vertical(&ring, width, &slots, yt.of(y), dst.row_mut(plane, y));
        }
    }
    Ok(())
}

/// Everything a plane's resize computes before touching pixels.
struct PlaneSetup {
    ch: usize,
    xt: Taps,
    yt: Taps,
    plan: HorizontalPlan,
}

/// What a [`PlaneSetup`] depends on: source row bytes and rows,
/// destination row bytes and rows, filter, widening, whether it has a plan.
type SetupKey = (usize, usize, usize, usize, usize, Filter, bool, bool);

impl PlaneSetup {
    /// The setup of `plane`, from a small per-thread cache: a video
    /// scaler resizes the same sizes frame after frame (as an swscale
    /// context is made once), and making taps costs as much as scaling a
    /// small picture. The U and V planes of I420 share one.
    fn cached(
        src: &Image<'_>,
        dst: &ImageMut<'_>,
        plane: usize,
        filter: Filter,
        widen: bool,
        with_plan: bool,
    ) -> Option<Rc<PlaneSetup>> {
        thread_local! {
            static CACHE: RefCell<Vec<(SetupKey, Rc<PlaneSetup>)>> = const { RefCell::new(Vec::new()) };
        }
        const KEEP: usize = 8;
        let (sp, dp) = (src.layout.plane(plane), dst.layout.plane(plane));
        let ch = channels(src.layout.format, plane);
        let key = (
            ch,
            sp.row_bytes,
            sp.rows,
            dp.row_bytes,
            dp.rows,
            filter,
            widen,
            with_plan,
        );
        if let Some(hit) = CACHE.with_borrow_mut(|cache| {
            let i = cache.iter().position(|(k, _)| *k == key)?;
            let entry = cache.remove(i);
            cache.insert(0, entry);
            Some(cache[0].1.clone())
        }) {
            return Some(hit);
        }
        let (ch, xt, yt) = plane_taps(src, dst, plane, filter, widen)?;
        let plan = if with_plan {
            HorizontalPlan::new(&xt, ch, sp.row_bytes)
        } else {
            HorizontalPlan::default()
        };
        let setup = Rc::new(PlaneSetup { ch, xt, yt, plan });
        CACHE.with_borrow_mut(|cache| {
            cache.insert(0, (key, setup.clone()));
            cache.truncate(KEEP);
        });
        Some(setup)
    }
}

/// What the x86 horizontal kernels need besides the taps, computed once
/// per plane: output samples go in blocks of 8, two lanes of 4. For each
/// pair of taps, a lane loads 16 source bytes at its base (plus 2 pixels
/// per pair) and one byte shuffle picks, for each of its 4 samples, the
/// two source samples of the pair as 16-bit lanes; one multiply-add with
/// the pair's taps sums them. Blocks whose lane does not fit in 16 bytes
/// (steep shrinking), or whose loads would pass the end of the row, are
/// done by the scalar row instead.
#[derive(Default)]
pub(crate) struct HorizontalPlan {
    /// Per block: byte offset of each lane in the source row.
    pub(crate) base: Vec<[u32; 2]>,
    /// Per block: the shuffle of each lane (0x80 clears the high bytes).
    pub(crate) mask: Vec<[u8; 32]>,
    /// Per block, per pair of taps: 8 samples x (tap 2p, tap 2p+1).
    pub(crate) coeffs: Vec<i16>,
    /// Runs of blocks the vector kernel can do, in order.
    pub(crate) runs: Vec<Run>,
    /// Pairs of taps (`n / 2`; 0 when `n` is odd).
    pub(crate) pairs: usize,
    /// Bytes of the source row the plan was made for.
    pub(crate) src_row: usize,
    /// The last blocks, whose loads would pass the end of the row: the
    /// AVX2 row runs them on a copy of the row's end, padded.
    pub(crate) tail: Option<Tail>,
}

/// Blocks the vector kernels do in one go. `joined`: in each, the second
/// lane starts 16 bytes after the first, so one 32-byte load reads both
/// (shrinking to a quarter, but for the edges).
pub(crate) struct Run {
    pub(crate) blocks: std::ops::Range<usize>,
    pub(crate) joined: bool,
}

/// Blocks at the end of a row, done on `row[from..]` copied into a
/// buffer of [`Tail::BUFFER`] bytes; `base` is relative to `from`.
pub(crate) struct Tail {
    pub(crate) blocks: std::ops::Range<usize>,
    pub(crate) joined: bool,
    pub(crate) from: usize,
    pub(crate) base: Vec<[u32; 2]>,
}

impl Tail {
    pub(crate) const BUFFER: usize = 256;
}

impl HorizontalPlan {
    pub(crate) fn new(taps: &Taps, ch: usize, src_row: usize) -> HorizontalPlan {
        let samples = taps.start.len() * ch;
        let blocks = samples / 8;
        let pairs = if taps.n.is_multiple_of(2) {
            taps.n / 2
        } else {
            0
        };
        let mut plan = HorizontalPlan {
            base: Vec::with_capacity(blocks),
            mask: Vec::with_capacity(blocks),
            coeffs: vec![0; blocks * pairs * 16],
            runs: Vec::new(),
            pairs,
            src_row,
            tail: None,
        };
        let reach = 2 * pairs.saturating_sub(1) * ch + 16;
        let mut fits = Vec::with_capacity(blocks);
        for b in 0..blocks {
            let mut base = [0u32; 2];
            let mut mask = [0x80u8; 32];
            let mut ok = pairs > 0;
            let mut inside = true;
            for lane in 0..2 {
                let j0 = b * 8 + lane * 4;
                let lane_base = taps.start[j0 / ch] * ch;
                base[lane] = lane_base as u32;
                // Every pair's load must stay inside the source row.
                inside &= lane_base + reach <= src_row;
                for s in 0..4 {
                    let j = j0 + s;
                    let (x, c) = (j / ch, j % ch);
                    let rel = match (taps.start[x] * ch + c).checked_sub(lane_base) {
                        Some(rel) if rel + ch <= 15 => rel,
                        _ => {
                            ok = false;
                            continue;
                        }
                    };
                    let m = &mut mask[lane * 16 + s * 4..lane * 16 + s * 4 + 4];
                    m[0] = rel as u8;
                    m[2] = (rel + ch) as u8;
                }
            }
            for p in 0..pairs {
                for s in 0..8 {
                    let x = (b * 8 + s) / ch;
                    let at = (b * pairs + p) * 16 + 2 * s;
                    plan.coeffs[at] = taps.of(x)[2 * p];
                    plan.coeffs[at + 1] = taps.of(x)[2 * p + 1];
                }
            }
            plan.base.push(base);
            plan.mask.push(mask);
            fits.push(ok);
            if ok && inside {
                let joined = base[1] == base[0] + 16;
                match plan.runs.last_mut() {
                    Some(run) if run.blocks.end == b && run.joined == joined => run.blocks.end += 1,
                    _ => plan.runs.push(Run {
                        blocks: b..b + 1,
                        joined,
                    }),
                }
            }
        }
        // The blocks after the last run, if their lanes fit and the end of
        // the row with the loads' reach fits the buffer.
        let first = plan.runs.last().map_or(0, |r| r.blocks.end);
        if first < blocks && fits[first..].iter().all(|&f| f) {
            let from = plan.base[first..]
                .iter()
                .flatten()
                .min()
                .copied()
                .unwrap_or(0) as usize;
            if src_row - from + reach <= Tail::BUFFER {
                let base = plan.base[first..]
                    .iter()
                    .map(|b| b.map(|x| x - from as u32))
                    .collect();
                let joined = plan.base[first..].iter().all(|&[b0, b1]| b1 == b0 + 16);
                plan.tail = Some(Tail {
                    blocks: first..blocks,
                    joined,
                    from,
                    base,
                });
            }
        }
        plan
    }
}

/// A source row, its column taps, channels and plan, to an intermediate row.
type HorizontalFn = unsafe fn(&[u8], &Taps, usize, &HorizontalPlan, &mut [i16]);
/// The ring, its row length, the slots of the rows and their taps, to an
/// output row.
type VerticalFn = unsafe fn(&[i16], usize, &[usize], &[i16], &mut [u8]);

/// The row kernels of one instruction-set level, chosen once per call.
///
/// Only `Rows::new` makes one, from a [`CpuLevel`], which only run-time
/// detection makes: so the instruction set each pointer was compiled for
/// is present on this CPU. That is what makes calling them sound (a
/// `#[target_feature]` function only coerces to an `unsafe fn` pointer).
struct Rows {
    horizontal: HorizontalFn,
    vertical: VerticalFn,
    /// Whether `horizontal` reads a [`HorizontalPlan`] (the scalar row
    /// does not, so the baseline does not build one).
    wants_plan: bool,
}

impl Rows {
    fn new(level: CpuLevel) -> Rows {
        match level.isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => Rows {
                horizontal: avx2::horizontal,
                vertical: avx2::vertical,
                wants_plan: true,
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => Rows {
                horizontal: sse41::horizontal,
                vertical: sse41::vertical,
                wants_plan: true,
            },
            _ => Rows {
                horizontal: reference::horizontal_row,
                vertical: reference::vertical_row,
                wants_plan: false,
            },
        }
    }

    /// Each output sample of a row filtered horizontally, times 64.
    fn horizontal(
        &self,
        row: &[u8],
        taps: &Taps,
        ch: usize,
        plan: &HorizontalPlan,
        out: &mut [i16],
    ) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.horizontal)(row, taps, ch, plan, out) }
    }

    /// An output row from intermediate rows of the ring.
    fn vertical(&self, ring: &[i16], width: usize, slots: &[usize], taps: &[i16], out: &mut [u8]) {
        // SAFETY: made by `Rows::new` from a detected level (see `Rows`).
        unsafe { (self.vertical)(ring, width, slots, taps, out) }
    }
}

/// Scales the part of `src` that `area` covers (clipped to the picture)
/// into `dst`: the whole of it, or the rectangle `place` (wholly inside
/// it; on YUV pictures at even coordinates, and of even size unless it
/// reaches the far edge, so chroma samples are not shared with what is
/// around it). A crop and a resize in one pass, the area read in place;
/// on YUV pictures the area's corner moves to even coordinates (see
/// [`Layout::cropped`]).
pub fn resample(
    src: Image<'_>,
    area: crate::fill::Rect,
    dst: &mut ImageMut<'_>,
    place: Option<crate::fill::Rect>,
    filter: Filter,
) -> Result<(), LayoutError> {
    resample_with(CpuLevel::active(), src, area, dst, place, filter)
}

pub fn resample_with(
    level: CpuLevel,
    src: Image<'_>,
    area: crate::fill::Rect,
    dst: &mut ImageMut<'_>,
    place: Option<crate::fill::Rect>,
    filter: Filter,
) -> Result<(), LayoutError> {
    let Some((xs, ys)) = crate::blend::overlap(
        (src.layout.width, src.layout.height),
        (area.width, area.height),
        area.x,
        area.y,
    ) else {
        return Err(LayoutError(format!(
            "the area {}x{} at ({}, {}) misses the {}x{} picture",
            area.width, area.height, area.x, area.y, src.layout.width, src.layout.height
        )));
    };
    let layout = src.layout.cropped(xs.start, ys.start, xs.len(), ys.len())?;
    let src = Image::new(&layout, src.data)?;
    let Some(place) = place else {
        return scale_filtered_with(level, src, dst, filter);
    };
    let (w, h) = (dst.layout.width, dst.layout.height);
    let inside = place.x >= 0
        && place.y >= 0
        && place.width > 0
        && place.height > 0
        && (place.x as u64 + place.width as u64) <= w as u64
        && (place.y as u64 + place.height as u64) <= h as u64;
    let (x, y) = (place.x as usize, place.y as usize);
    let aligned = dst.layout.format == Format::Rgba
        || (x % 2 == 0
            && y % 2 == 0
            && (place.width % 2 == 0 || x + place.width == w)
            && (place.height % 2 == 0 || y + place.height == h));
    if !inside || !aligned {
        return Err(LayoutError(format!(
            "the place {}x{} at ({}, {}) is not inside the {w}x{h} picture{}",
            place.width,
            place.height,
            place.x,
            place.y,
            if inside {
                " at even coordinates and size"
            } else {
                ""
            }
        )));
    }
    let dst_layout = dst.layout.cropped(x, y, place.width, place.height)?;
    let mut view = ImageMut::new(&dst_layout, &mut *dst.data)?;
    scale_filtered_with(level, src, &mut view, filter)
}
