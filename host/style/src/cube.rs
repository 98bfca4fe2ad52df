//! The `.cube` 3D LUT format (Adobe's specification, as DaVinci Resolve,
//! OBS and ffmpeg's `lut3d` read it): optional `TITLE "..."`,
//! `LUT_3D_SIZE N`, optional `DOMAIN_MIN r g b` / `DOMAIN_MAX r g b`, then
//! N³ lines of `r g b` with red changing fastest. `#` starts a comment.

use std::fmt::Write as _;

/// The largest grid Reel's LUT kernel takes (and Resolve writes).
pub const MAX_SIZE: usize = 65;

/// A 3D LUT as the file states it: outputs are kept as written (they may
/// leave 0..=1), and the lattice spans `domain_min..=domain_max`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cube {
    pub title: Option<String>,
    pub size: usize,
    pub domain_min: [f32; 3],
    pub domain_max: [f32; 3],
    /// `size`³ RGB outputs, red fastest.
    pub table: Vec<[f32; 3]>,
}

/// A mistake in a `.cube` file, with the line it is on (1-based; 0 when it
/// is about the file as a whole).
#[derive(Clone, Debug, PartialEq)]
pub struct CubeError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for CubeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for CubeError {}

impl Cube {
    /// A LUT over the unit domain from a function of RGB in 0..=1.
    pub fn from_fn(size: usize, title: Option<String>, f: impl Fn([f32; 3]) -> [f32; 3]) -> Cube {
        let n = (size - 1) as f32;
        let mut table = Vec::with_capacity(size * size * size);
        for b in 0..size {
            for g in 0..size {
                for r in 0..size {
                    table.push(f([r as f32 / n, g as f32 / n, b as f32 / n]));
                }
            }
        }
        Cube {
            title,
            size,
            domain_min: [0.0; 3],
            domain_max: [1.0; 3],
            table,
        }
    }

    /// Parses `text`; every mistake names its line.
    pub fn parse(text: &str) -> Result<Cube, CubeError> {
        let mut cube = Cube {
            title: None,
            size: 0,
            domain_min: [0.0; 3],
            domain_max: [1.0; 3],
            table: Vec::new(),
        };
        for (index, raw) in text.lines().enumerate() {
            let at = |message: String| CubeError {
                line: index + 1,
                message,
            };
            let line = raw.split('#').next().unwrap_or("").trim();
            let Some(first) = line.split_whitespace().next() else {
                continue;
            };
            let rest = line[first.len()..].trim();
            let triple = |what: &str| -> Result<[f32; 3], CubeError> {
                let values: Vec<f32> = rest
                    .split_whitespace()
                    .map(|w| w.parse::<f32>().ok().filter(|v| v.is_finite()))
                    .collect::<Option<_>>()
                    .ok_or_else(|| at(format!("{what} needs three numbers, found `{rest}`")))?;
                <[f32; 3]>::try_from(values)
                    .map_err(|_| at(format!("{what} needs three numbers, found `{rest}`")))
            };
            match first {
                "TITLE" => cube.title = Some(rest.trim_matches('"').to_string()),
                "LUT_1D_SIZE" => {
                    return Err(at("a 1D LUT; Reel applies 3D LUTs (LUT_3D_SIZE)".into()));
                }
                "LUT_3D_SIZE" => {
                    let n: usize = rest.parse().map_err(|_| {
                        at(format!("LUT_3D_SIZE needs a whole number, found `{rest}`"))
                    })?;
                    if !(2..=MAX_SIZE).contains(&n) {
                        return Err(at(format!("LUT_3D_SIZE {n} must be 2..={MAX_SIZE}")));
                    }
                    if !cube.table.is_empty() {
                        return Err(at("LUT_3D_SIZE after the table's rows".into()));
                    }
                    cube.size = n;
                }
                "DOMAIN_MIN" => cube.domain_min = triple("DOMAIN_MIN")?,
                "DOMAIN_MAX" => cube.domain_max = triple("DOMAIN_MAX")?,
                // Resolve's older spelling: one range for all three.
                "LUT_3D_INPUT_RANGE" => {
                    let values: Vec<f32> = rest
                        .split_whitespace()
                        .filter_map(|w| w.parse().ok())
                        .collect();
                    let [lo, hi] = <[f32; 2]>::try_from(values).map_err(|_| {
                        at(format!(
                            "LUT_3D_INPUT_RANGE needs two numbers, found `{rest}`"
                        ))
                    })?;
                    cube.domain_min = [lo; 3];
                    cube.domain_max = [hi; 3];
                }
                word if word.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                    return Err(at(format!("unknown keyword `{word}`")));
                }
                _ => {
                    if cube.size == 0 {
                        return Err(at("table rows before LUT_3D_SIZE".into()));
                    }
                    let values: Vec<f32> = line
                        .split_whitespace()
                        .map(|w| w.parse::<f32>().ok().filter(|v| v.is_finite()))
                        .collect::<Option<_>>()
                        .ok_or_else(|| at(format!("`{line}` is not three numbers")))?;
                    let rgb = <[f32; 3]>::try_from(values)
                        .map_err(|_| at(format!("`{line}` is not three numbers")))?;
                    cube.table.push(rgb);
                }
            }
        }
        if cube.size == 0 {
            return Err(CubeError {
                line: 0,
                message: "no LUT_3D_SIZE line".into(),
            });
        }
        let want = cube.size.pow(3);
        if cube.table.len() != want {
            return Err(CubeError {
                line: 0,
                message: format!(
                    "LUT_3D_SIZE {} needs {want} rows, the file has {}",
                    cube.size,
                    cube.table.len()
                ),
            });
        }
        if (0..3).any(|c| cube.domain_max[c] <= cube.domain_min[c]) {
            return Err(CubeError {
                line: 0,
                message: format!(
                    "DOMAIN_MAX {:?} must exceed DOMAIN_MIN {:?} in every channel",
                    cube.domain_max, cube.domain_min
                ),
            });
        }
        Ok(cube)
    }

    /// The file's text. Numbers are written in their shortest exact form,
    /// so parsing the text gives back exactly this table.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.table.len() * 24 + 128);
        if let Some(title) = &self.title {
            let _ = writeln!(out, "TITLE \"{}\"", title.replace('"', "'"));
        }
        let _ = writeln!(out, "LUT_3D_SIZE {}", self.size);
        if self.domain_min != [0.0; 3] || self.domain_max != [1.0; 3] {
            let [a, b, c] = self.domain_min;
            let _ = writeln!(out, "DOMAIN_MIN {a:?} {b:?} {c:?}");
            let [a, b, c] = self.domain_max;
            let _ = writeln!(out, "DOMAIN_MAX {a:?} {b:?} {c:?}");
        }
        for [r, g, b] in &self.table {
            let _ = writeln!(out, "{r:?} {g:?} {b:?}");
        }
        out
    }

    /// The output for an input colour (each channel in the domain's units),
    /// interpolated in the tetrahedron of the lattice cell that holds it;
    /// inputs outside the domain are clamped to it.
    pub fn lookup(&self, rgb: [f32; 3]) -> [f32; 3] {
        let n = self.size - 1;
        let pos: [f32; 3] = std::array::from_fn(|c| {
            let t = (rgb[c] - self.domain_min[c]) / (self.domain_max[c] - self.domain_min[c]);
            t.clamp(0.0, 1.0) * n as f32
        });
        let base = pos.map(|p| (p as usize).min(n - 1));
        let f: [f32; 3] = std::array::from_fn(|c| pos[c] - base[c] as f32);
        let at = |d: [usize; 3]| {
            self.table[((base[2] + d[2]) * self.size + base[1] + d[1]) * self.size + base[0] + d[0]]
        };
        // The tetrahedron: walk from the cell's first corner to its last,
        // one axis at a time, in the order of the fractions.
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| f[b].total_cmp(&f[a]));
        let mut corner = [0usize; 3];
        let mut out = at(corner).map(|v| v * (1.0 - f[order[0]]));
        for (k, &axis) in order.iter().enumerate() {
            corner[axis] = 1;
            let next = at(corner);
            let w = f[axis] - order.get(k + 1).map_or(0.0, |&a| f[a]);
            for c in 0..3 {
                out[c] += w * next[c];
            }
        }
        out
    }

    /// The table the host's kernel takes: the unit domain at `size`
    /// (resampled when the file's domain is another), outputs clamped to
    /// 0..=1, as one run of floats.
    pub fn kernel_table(&self) -> Vec<f32> {
        let unit = self.domain_min == [0.0; 3] && self.domain_max == [1.0; 3];
        let table = if unit {
            self.table.clone()
        } else {
            Cube::from_fn(self.size, None, |rgb| self.lookup(rgb)).table
        };
        table
            .iter()
            .flat_map(|rgb| rgb.map(|v| v.clamp(0.0, 1.0)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_cube_parses_in_order() {
        let text = "# swap red and blue\nTITLE \"swap\"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\n\
                    0 0 0\n0 0 1\n0 1 0\n0 1 1\n1 0 0\n1 0 1\n1 1 0\n1 1 1.5\n";
        let cube = Cube::parse(text).unwrap();
        assert_eq!(cube.size, 2);
        assert_eq!(cube.title.as_deref(), Some("swap"));
        assert_eq!(cube.table[1], [0.0, 0.0, 1.0]);
        assert_eq!(cube.table[7], [1.0, 1.0, 1.5], "kept as written");
        assert_eq!(cube.kernel_table()[23], 1.0, "clamped for the kernel");
    }

    #[test]
    fn mistakes_name_their_line() {
        let err = Cube::parse("LUT_3D_SIZE 2\n0 0 0\n0 zero 0\n").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        let err = Cube::parse("LUT_3D_SIZE 2\n0 0 0\n").unwrap_err();
        assert!(
            err.message.contains("needs 8 rows, the file has 1"),
            "{err}"
        );
        assert!(
            Cube::parse("LUT_1D_SIZE 16\n")
                .unwrap_err()
                .message
                .contains("1D")
        );
        assert_eq!(Cube::parse("\n\nLUT_3D_SIZ 2\n").unwrap_err().line, 3);
        assert_eq!(Cube::parse("0 0 0\n").unwrap_err().line, 1);
    }

    #[test]
    fn lookup_interpolates_inside_the_domain() {
        // A 2-point grid over 0..2: identity in the domain's units.
        let mut cube = Cube::from_fn(2, None, |rgb| rgb.map(|v| v * 2.0));
        cube.domain_max = [2.0; 3];
        let out = cube.lookup([0.5, 1.0, 1.5]);
        for (o, want) in out.iter().zip([0.5, 1.0, 1.5]) {
            assert!((o - want).abs() < 1e-6, "{out:?}");
        }
        assert_eq!(cube.lookup([3.0, -1.0, 2.0]), [2.0, 0.0, 2.0], "clamped");
    }
}
