//! The posterising rows (every level's: table lookups, which SIMD does
//! not speed up) and a pixel-at-a-time reference of them for tests.

use super::Palette;
use super::palette::{Tables, cell};
use crate::color::{rgb_to_u, rgb_to_v, rgb_to_y};
use crate::layout::{Format, ImageMut};

/// Posterises a picture one pixel (or 2x2 block) at a time, the
/// straightforward way: what [`super::posterize`] must give.
pub fn posterize(img: &mut ImageMut<'_>, palette: &Palette) {
    let t = palette.tables();
    let (w, h) = (img.layout.width, img.layout.height);
    let nearest = |y: u8, u: u8, v: u8| t.yuv[t.index[cell(y, u, v)] as usize];
    match img.layout.format {
        Format::Rgba => {
            for y in 0..h {
                for px in img.row_mut(0, y).chunks_exact_mut(4) {
                    let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
                    let i = t.index[cell(rgb_to_y(r, g, b), rgb_to_u(r, g, b), rgb_to_v(r, g, b))];
                    px[..3].copy_from_slice(&t.rgb[i as usize]);
                }
            }
        }
        format => {
            let nv12 = format == Format::Nv12;
            for by in 0..h.div_ceil(2) {
                for bx in 0..w.div_ceil(2) {
                    let (u, v) = if nv12 {
                        let c = img.row(1, by);
                        (c[2 * bx], c[2 * bx + 1])
                    } else {
                        (img.row(1, by)[bx], img.row(2, by)[bx])
                    };
                    let (mut su, mut sv, mut n) = (0u64, 0u64, 0u64);
                    for y in 2 * by..(2 * by + 2).min(h) {
                        for x in 2 * bx..(2 * bx + 2).min(w) {
                            let px = &mut img.row_mut(0, y)[x];
                            let c = nearest(*px, u, v);
                            *px = c as u8;
                            su += c >> 16 & 0xff;
                            sv += c >> 32;
                            n += 1;
                        }
                    }
                    let (u, v) = (((su + n / 2) / n) as u8, ((sv + n / 2) / n) as u8);
                    if nv12 {
                        img.row_mut(1, by)[2 * bx..2 * bx + 2].copy_from_slice(&[u, v]);
                    } else {
                        img.row_mut(1, by)[bx] = u;
                        img.row_mut(2, by)[bx] = v;
                    }
                }
            }
        }
    }
}

/// One RGBA row, in place: each pixel's YUV (as `convert`) looked up,
/// its RGB replaced by the colour's, alpha kept. 64 pixels at a time:
/// their cells first (a loop the compiler vectorises), then the lookups.
#[inline(always)]
pub(super) fn rgba_row(row: &mut [u8], t: &Tables) {
    let mut cells = [0u32; 64];
    for chunk in row.chunks_mut(4 * 64) {
        for (px, c) in chunk.chunks_exact(4).zip(&mut cells) {
            let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
            *c = cell(rgb_to_y(r, g, b), rgb_to_u(r, g, b), rgb_to_v(r, g, b)) as u32;
        }
        for (px, &c) in chunk.chunks_exact_mut(4).zip(&cells) {
            let p = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
            let out = t.rgb_word[t.index[c as usize] as usize] | (p & 0xff00_0000);
            px.copy_from_slice(&out.to_le_bytes());
        }
    }
}

/// Two luma rows (`bottom` absent on an odd height's last row) and their
/// planar chroma row, in place, a 2x2 block at a time: each pixel to its
/// nearest colour with the block's chroma, the block's chroma to the
/// rounded mean of the colours'.
#[inline]
pub(super) fn yuv_rows(
    top: &mut [u8],
    bottom: Option<&mut [u8]>,
    u: &mut [u8],
    v: &mut [u8],
    t: &Tables,
) {
    yuv_rows_from(top, bottom, u, v, t, 0);
}

/// [`yuv_rows`] from block `from` on (the tail of the AVX2 rows; `from`
/// counts whole blocks of two rows, 0 when `bottom` is absent).
#[inline(always)]
pub(super) fn yuv_rows_from(
    top: &mut [u8],
    bottom: Option<&mut [u8]>,
    u: &mut [u8],
    v: &mut [u8],
    t: &Tables,
    from: usize,
) {
    let width = top.len();
    let index: &[u8; super::palette::INDEX_LEN] = &t.index;
    let pairs = width / 2;
    // Y at bits 0.., U at 16.., V at 32..: sums of up to four colours.
    let finish = |s: u64, n: u64| {
        (
            (((s >> 16 & 0xffff) + n / 2) / n) as u8,
            (((s >> 32) + n / 2) / n) as u8,
        )
    };
    match bottom {
        Some(bottom) => {
            let blocks = top[2 * from..2 * pairs]
                .chunks_exact_mut(2)
                .zip(bottom[2 * from..2 * pairs].chunks_exact_mut(2))
                .zip(u[from..].iter_mut().zip(v[from..].iter_mut()));
            let cells: &[u32; super::palette::CELLS] = &t.cells;
            for ((t2, b2), (cu, cv)) in blocks {
                let base = cell(0, *cu, *cv);
                let look = |l: u8| cells[base | (l as usize >> 2)];
                let (a, b, c, d) = (look(t2[0]), look(t2[1]), look(b2[0]), look(b2[1]));
                (t2[0], t2[1], b2[0], b2[1]) = (a as u8, b as u8, c as u8, d as u8);
                // Rounded means of four: (sum + 2) / 4.
                let s = a + b + c + d + (2 << 10 | 2 << 20);
                (*cu, *cv) = ((s >> 12 & 0xff) as u8, (s >> 22) as u8);
            }
            if width % 2 == 1 {
                let (x, cx) = (width - 1, pairs);
                let base = cell(0, u[cx], v[cx]);
                let a = t.yuv[index[base | (top[x] as usize >> 2)] as usize];
                let c = t.yuv[index[base | (bottom[x] as usize >> 2)] as usize];
                (top[x], bottom[x]) = (a as u8, c as u8);
                (u[cx], v[cx]) = finish(a + c, 2);
            }
        }
        None => {
            for (cx, (cu, cv)) in u.iter_mut().zip(v.iter_mut()).enumerate() {
                let base = cell(0, *cu, *cv);
                let xs = 2 * cx..(2 * cx + 2).min(width);
                let n = xs.len() as u64;
                let mut s = 0;
                for px in &mut top[xs] {
                    let c = t.yuv[index[base | (*px as usize >> 2)] as usize];
                    *px = c as u8;
                    s += c;
                }
                (*cu, *cv) = finish(s, n);
            }
        }
    }
}
