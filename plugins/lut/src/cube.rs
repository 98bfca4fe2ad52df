//! The `.cube` 3D LUT format (Adobe/Resolve): `LUT_3D_SIZE N`, optional
//! `TITLE` and `DOMAIN_MIN`/`DOMAIN_MAX`, then N³ lines of `r g b` with red
//! changing fastest. Comments start with `#`.

/// A parsed 3D LUT: `size`³ RGB triples, red fastest, each clamped to 0..=1.
#[derive(Debug)]
pub struct Cube {
    pub size: u32,
    pub table: Vec<f32>,
}

/// The largest grid the host's kernel takes.
const MAX_SIZE: u32 = 65;

/// Parses `text`; errors name the line.
pub fn parse(text: &str) -> Result<Cube, String> {
    let mut size: Option<u32> = None;
    let mut table = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let at = |message: String| format!("line {}: {message}", index + 1);
        let line = raw.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        match first {
            "TITLE" | "LUT_3D_INPUT_RANGE" => {}
            "LUT_1D_SIZE" => return Err(at("a 1D LUT; this plugin applies 3D LUTs".into())),
            "LUT_3D_SIZE" => {
                let n: u32 = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(|| at("LUT_3D_SIZE needs a whole number".into()))?;
                if !(2..=MAX_SIZE).contains(&n) {
                    return Err(at(format!("LUT_3D_SIZE {n} must be 2..={MAX_SIZE}")));
                }
                size = Some(n);
            }
            "DOMAIN_MIN" | "DOMAIN_MAX" => {
                let want = if first == "DOMAIN_MIN" { 0.0 } else { 1.0 };
                let values: Vec<f32> = words.filter_map(|w| w.parse().ok()).collect();
                if values.len() != 3 || values.iter().any(|v| *v != want) {
                    return Err(at(format!(
                        "{first} must be {want} {want} {want} (other input ranges are not supported)"
                    )));
                }
            }
            _ => {
                let values: Vec<f32> = line
                    .split_whitespace()
                    .map(|w| w.parse::<f32>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| at(format!("`{line}` is neither a keyword nor three numbers")))?;
                if values.len() != 3 || values.iter().any(|v| !v.is_finite()) {
                    return Err(at(format!("expected three numbers, found `{line}`")));
                }
                if size.is_none() {
                    return Err(at("table rows before LUT_3D_SIZE".into()));
                }
                table.extend(values.iter().map(|v| v.clamp(0.0, 1.0)));
            }
        }
    }
    let size = size.ok_or("no LUT_3D_SIZE line")?;
    let want = 3 * (size as usize).pow(3);
    if table.len() != want {
        return Err(format!(
            "LUT_3D_SIZE {size} needs {} rows, the file has {}",
            want / 3,
            table.len() / 3
        ));
    }
    Ok(Cube { size, table })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_cube_parses_in_order() {
        let text = "# swap red and blue\nTITLE \"swap\"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\n\
                    0 0 0\n0 0 1\n0 1 0\n0 1 1\n1 0 0\n1 0 1\n1 1 0\n1 1 1.5\n";
        let cube = parse(text).unwrap();
        assert_eq!(cube.size, 2);
        assert_eq!(&cube.table[3..6], &[0.0, 0.0, 1.0]);
        assert_eq!(cube.table[23], 1.0, "clamped");
    }

    #[test]
    fn mistakes_name_their_line() {
        let err = parse("LUT_3D_SIZE 2\n0 0 0\n0 zero 0\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = parse("LUT_3D_SIZE 2\n0 0 0\n").unwrap_err();
        assert!(err.contains("needs 8 rows, the file has 1"), "{err}");
        assert!(parse("LUT_1D_SIZE 16\n").unwrap_err().contains("1D"));
    }
}
