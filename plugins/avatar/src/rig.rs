//! A portrait's rig: a small TOML file beside it naming where its eyes
//! and mouth are, in the picture's pixels:
//!
//! ```toml
//! left_eye = [205, 101]
//! right_eye = [246, 104]
//! mouth = [226, 145]
//! mouth_width = 46
//! ```

use crate::face::Rig;

/// The rig in `text` (from the file `name`) for a `width` x `height`
/// portrait; the error names the file and the key.
pub fn parse(name: &str, text: &str, width: usize, height: usize) -> Result<Rig, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("rig {name}: {}", e.message()))?;
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let point = |key: &str| -> Result<(f32, f32), String> {
        let value = table.get(key).ok_or_else(|| {
            format!("rig {name}: `{key}` is missing (an [x, y] in the portrait's pixels)")
        })?;
        let pair = value
            .as_array()
            .filter(|a| a.len() == 2)
            .and_then(|a| Some((number(&a[0])?, number(&a[1])?)))
            .ok_or_else(|| format!("rig {name}: `{key}` must be [x, y] in pixels"))?;
        if !(0.0..width as f64).contains(&pair.0) || !(0.0..height as f64).contains(&pair.1) {
            return Err(format!(
                "rig {name}: `{key}` = [{}, {}] is outside the {width}x{height} portrait",
                pair.0, pair.1
            ));
        }
        Ok((pair.0 as f32, pair.1 as f32))
    };
    let rig = Rig {
        left_eye: point("left_eye")?,
        right_eye: point("right_eye")?,
        mouth: point("mouth")?,
        mouth_width: table
            .get("mouth_width")
            .and_then(number)
            .filter(|w| *w >= 4.0 && *w < width as f64)
            .ok_or_else(|| {
                format!(
                    "rig {name}: `mouth_width` must be a width in pixels, 4 to the portrait's width"
                )
            })? as f32,
    };
    for key in table.keys() {
        if !["left_eye", "right_eye", "mouth", "mouth_width"].contains(&key.as_str()) {
            return Err(format!(
                "rig {name}: unknown key `{key}` (left_eye, right_eye, mouth, mouth_width)"
            ));
        }
    }
    if crate::face::eye_distance(&rig) < 8.0 || rig.left_eye.0 >= rig.right_eye.0 {
        return Err(format!(
            "rig {name}: `left_eye` must be left of `right_eye` (as seen), at least 8 pixels apart"
        ));
    }
    if rig.mouth.1 <= rig.left_eye.1.max(rig.right_eye.1) {
        return Err(format!("rig {name}: `mouth` must be below the eyes"));
    }
    Ok(rig)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "left_eye = [205, 101]\nright_eye = [246, 104]\nmouth = [226, 145]\nmouth_width = 46\n";

    #[test]
    fn a_rig_reads_and_bad_ones_say_why() {
        let rig = parse("a.rig.toml", GOOD, 512, 512).unwrap();
        assert_eq!(rig.mouth, (226.0, 145.0));
        let outside = GOOD.replace("[226, 145]", "[226, 545]");
        let e = parse("a.rig.toml", &outside, 512, 512).unwrap_err();
        assert!(
            e.contains("`mouth` = [226, 545] is outside the 512x512 portrait"),
            "{e}"
        );
        let e = parse("a.rig.toml", "left_eye = [1, 2]", 512, 512).unwrap_err();
        assert!(e.contains("`right_eye` is missing"), "{e}");
        let e = parse("a.rig.toml", "left_eye = [1, 2", 512, 512).unwrap_err();
        assert!(e.starts_with("rig a.rig.toml:"), "{e}");
    }
}
