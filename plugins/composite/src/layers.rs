//! The layer model: what a pipeline file says about each layer, read from
//! the `layers` parameter (TOML tables in the pipeline, JSON text on the
//! wire) and checked once, in `configure`, never per frame.

use reel_sdk::parse_color;
use serde::Deserialize;

/// One picture over the background: an input, placed, sized, cropped and
/// blended, with an optional border and drop shadow.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// The input it shows: the id of the source or stage feeding it.
    pub input: String,
    /// Top left corner on the output, in pixels (may be off the picture).
    #[serde(default)]
    pub x: i32,
    #[serde(default)]
    pub y: i32,
    /// Size on the output; unset, the (cropped) input's size, or the other
    /// side scaled to keep the aspect ratio when only one is given.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Pixels cut from each side of the input before scaling.
    pub crop: Option<Crop>,
    #[serde(default = "one")]
    pub opacity: f32,
    #[serde(default)]
    pub mode: Mode,
    /// Whether the input's colour is multiplied by its alpha already.
    /// Video and PNG logos are straight (the default).
    #[serde(default)]
    pub alpha: Alpha,
    /// Stacking order: higher is on top; equal ones keep file order.
    #[serde(default)]
    pub z: i32,
    /// How a scaled layer is resampled.
    #[serde(default)]
    pub filter: Filter,
    pub border: Option<Border>,
    pub shadow: Option<Shadow>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    #[serde(default)]
    pub left: u32,
    #[serde(default)]
    pub top: u32,
    #[serde(default)]
    pub right: u32,
    #[serde(default)]
    pub bottom: u32,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Over,
    Add,
    Multiply,
    Screen,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Alpha {
    #[default]
    Straight,
    Premultiplied,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Filter {
    Bilinear,
    /// Sharp without ringing on graphics: the default.
    #[default]
    Bicubic,
    Lanczos3,
}

/// A frame drawn around the layer, outside it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Border {
    pub width: u32,
    #[serde(default = "white")]
    pub color: Color,
}

/// A shadow under the layer, offset and softened at its edges.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shadow {
    #[serde(default = "eight")]
    pub x: i32,
    #[serde(default = "eight")]
    pub y: i32,
    /// Width of the soft edge in pixels (0: a hard shadow).
    #[serde(default = "eight")]
    pub softness: u32,
    #[serde(default = "half")]
    pub opacity: f32,
    #[serde(default = "black")]
    pub color: Color,
}

/// A colour written `#rrggbb` or `#rrggbbaa` (straight alpha), or one of a
/// few names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Color(pub [u8; 4]);

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_color(&text)
            .map(Color)
            .map_err(serde::de::Error::custom)
    }
}

fn one() -> f32 {
    1.0
}
fn half() -> f32 {
    0.5
}
fn eight<T: From<u8>>() -> T {
    T::from(8)
}
fn white() -> Color {
    Color([255, 255, 255, 255])
}
fn black() -> Color {
    Color([0, 0, 0, 255])
}

/// The layers of a `layers` parameter, checked and sorted by `z` (stable,
/// so equal ones keep the order they were written in).
pub fn parse(text: &str) -> Result<Vec<Layer>, String> {
    let mut layers: Vec<Layer> = serde_json::from_str(text).map_err(|e| {
        // The position is in the JSON the host made from the TOML, which
        // the user never saw: say what is wrong, not where in it.
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        format!("layers: {message}")
    })?;
    for (index, layer) in layers.iter().enumerate() {
        let n = index + 1;
        if !(0.0..=1.0).contains(&layer.opacity) {
            return Err(format!(
                "layer {n} (`{}`): opacity {} is not in 0..=1",
                layer.input, layer.opacity
            ));
        }
        if layer.width == Some(0) || layer.height == Some(0) {
            return Err(format!(
                "layer {n} (`{}`): width and height must be at least 1",
                layer.input
            ));
        }
        if let Some(s) = &layer.shadow
            && !(0.0..=1.0).contains(&s.opacity)
        {
            return Err(format!(
                "layer {n} (`{}`): shadow opacity {} is not in 0..=1",
                layer.input, s.opacity
            ));
        }
    }
    layers.sort_by_key(|l| l.z);
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_parse_with_defaults_and_sort_by_z() {
        let layers = parse(
            r##"[{"input":"logo","z":2,"border":{"width":3}},{"input":"pip","x":10,"y":-4,"width":480,"mode":"screen","shadow":{}}]"##,
        )
        .unwrap();
        assert_eq!(layers[0].input, "pip");
        assert_eq!(
            (layers[0].x, layers[0].y, layers[0].width),
            (10, -4, Some(480))
        );
        assert_eq!(layers[0].mode, Mode::Screen);
        assert_eq!(layers[0].shadow.as_ref().unwrap().softness, 8);
        assert_eq!(layers[1].border.as_ref().unwrap().color, Color([255; 4]));
        assert_eq!(layers[1].alpha, Alpha::Straight);
    }

    #[test]
    fn mistakes_name_the_layer_and_key() {
        let err = parse(r#"[{"input":"a","opactiy":0.5}]"#).unwrap_err();
        assert!(err.contains("unknown field `opactiy`"), "{err}");
        assert!(!err.contains("line 1"), "{err}");
        let err = parse(r##"[{"input":"a","border":{"width":2,"color":"#12345"}}]"##).unwrap_err();
        assert!(err.contains("`#12345` is not a colour"), "{err}");
        let err = parse(r#"[{"input":"a","opacity":2}]"#).unwrap_err();
        assert!(err.contains("layer 1 (`a`): opacity 2"), "{err}");
        let err = parse(r#"[{"x":1}]"#).unwrap_err();
        assert!(err.contains("missing field `input`"), "{err}");
    }

    #[test]
    fn colours() {}
}
