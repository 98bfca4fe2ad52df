//! Colours as pipelines write them.

/// A colour written `#rrggbb`, `#rrggbbaa`, `white`, `black` or
/// `transparent`, as straight RGBA.
pub fn parse_color(text: &str) -> Result<[u8; 4], String> {
    let named = match text {
        "white" => Some([255, 255, 255, 255]),
        "black" => Some([0, 0, 0, 255]),
        "transparent" => Some([0, 0, 0, 0]),
        _ => None,
    };
    if let Some(rgba) = named {
        return Ok(rgba);
    }
    let hex = text
        .strip_prefix('#')
        .filter(|h| (h.len() == 6 || h.len() == 8) && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            format!(
                "`{text}` is not a colour: write #rrggbb, #rrggbbaa, white, black or transparent"
            )
        })?;
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    Ok([
        byte(0),
        byte(2),
        byte(4),
        if hex.len() == 8 { byte(6) } else { 255 },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("#ff8000").unwrap(), [255, 128, 0, 255]);
        assert_eq!(parse_color("#ff800080").unwrap(), [255, 128, 0, 128]);
        assert_eq!(parse_color("white").unwrap(), [255, 255, 255, 255]);
        assert!(parse_color("orange").is_err());
    }
}
