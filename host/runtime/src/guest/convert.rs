//! Conversions between the generated contract types and the host's own.
//! Guest text that may reach a terminal is sanitised here or by the host
//! type's own checks (`Description::checked`).

use reel_kernels::{Alpha, BlendMode, Filter, Format, Rect};

use super::exports::reel::plugin::stage;
use super::reel::plugin::{frames, kernels};
use crate::description::{Description, ParamSpec, ParamValue, StageKind, ValueType};
use crate::frame::{FrameError, HostFrame};
use crate::text::{MAX_LINE, sanitize};

pub(crate) fn format_from_guest(f: frames::PixelFormat) -> Format {
    match f {
        frames::PixelFormat::I420 => Format::I420,
        frames::PixelFormat::Nv12 => Format::Nv12,
        frames::PixelFormat::Rgba => Format::Rgba,
    }
}

fn format_to_guest(f: Format) -> frames::PixelFormat {
    match f {
        Format::I420 => frames::PixelFormat::I420,
        Format::Nv12 => frames::PixelFormat::Nv12,
        Format::Rgba => frames::PixelFormat::Rgba,
    }
}

/// What `frame.info` tells the guest about a frame.
pub(crate) fn frame_info(frame: &HostFrame) -> frames::FrameInfo {
    let l = &frame.layout;
    frames::FrameInfo {
        format: format_to_guest(l.format),
        width: l.width as u32,
        height: l.height as u32,
        planes: l
            .planes()
            .iter()
            .map(|p| frames::Plane {
                offset: p.offset as u32,
                stride: p.stride as u32,
                row_bytes: p.row_bytes as u32,
                rows: p.rows as u32,
            })
            .collect(),
        pts_ns: frame.pts,
        duration_ns: frame.duration,
    }
}

/// What a revoked or unknown handle's `info` reads as: an empty frame (a
/// guest's bug, not a reason to trap).
pub(crate) fn empty_frame_info() -> frames::FrameInfo {
    frames::FrameInfo {
        format: frames::PixelFormat::Rgba,
        width: 0,
        height: 0,
        planes: Vec::new(),
        pts_ns: None,
        duration_ns: None,
    }
}

pub(crate) fn frame_error(e: FrameError) -> frames::FrameError {
    match e {
        FrameError::OutOfBounds(m) => frames::FrameError::OutOfBounds(m),
        FrameError::WrongSize(m) => frames::FrameError::WrongSize(m),
        FrameError::ReadOnly(m) => frames::FrameError::ReadOnly(m),
        FrameError::Unsupported(m) => frames::FrameError::Unsupported(m),
        FrameError::TooLarge(m) => frames::FrameError::TooLarge(m),
    }
}

/// A host result as the guest receives it.
pub(crate) fn frame_result<T>(r: Result<T, FrameError>) -> Result<T, frames::FrameError> {
    r.map_err(frame_error)
}

pub(crate) fn rect(r: kernels::Rect) -> Rect {
    Rect {
        x: r.x as i64,
        y: r.y as i64,
        width: r.width as usize,
        height: r.height as usize,
    }
}

pub(crate) fn blend_mode(m: kernels::BlendMode) -> BlendMode {
    match m {
        kernels::BlendMode::Over => BlendMode::Over,
        kernels::BlendMode::Add => BlendMode::Add,
        kernels::BlendMode::Multiply => BlendMode::Multiply,
        kernels::BlendMode::Screen => BlendMode::Screen,
    }
}

pub(crate) fn filter(f: kernels::ScaleFilter) -> Filter {
    match f {
        kernels::ScaleFilter::Bilinear => Filter::Bilinear,
        kernels::ScaleFilter::Bicubic => Filter::Bicubic,
        kernels::ScaleFilter::Lanczos3 => Filter::Lanczos3,
    }
}

pub(crate) fn alpha(a: kernels::AlphaKind) -> Alpha {
    match a {
        kernels::AlphaKind::Premultiplied => Alpha::Premultiplied,
        kernels::AlphaKind::Straight => Alpha::Straight,
    }
}

pub(crate) fn xdog(x: kernels::Xdog) -> reel_kernels::toon::Xdog {
    reel_kernels::toon::Xdog {
        sigma: x.sigma,
        k: x.k,
        tau: x.tau,
        phi: x.phi,
    }
}

pub(crate) fn line_threshold(t: kernels::LineThreshold) -> reel_kernels::toon::LineThreshold {
    match t {
        kernels::LineThreshold::Value(v) => reel_kernels::toon::LineThreshold::Value(v),
        kernels::LineThreshold::Density(d) => reel_kernels::toon::LineThreshold::Density(d),
    }
}

pub(crate) fn keyer(k: kernels::Keyer) -> reel_kernels::ScreenKey {
    reel_kernels::ScreenKey {
        color: k.color.map(|c| [c.r, c.g, c.b]),
        similarity: k.similarity,
        smoothness: k.smoothness,
        spill: k.spill,
        plate: k.plate,
    }
}

pub(crate) fn wrap(w: kernels::Wrap) -> reel_kernels::Wrap {
    reel_kernels::Wrap {
        radius: w.radius,
        strength: w.strength,
    }
}

pub(crate) fn rgba(c: kernels::Rgba) -> [u8; 4] {
    [c.r, c.g, c.b, c.a]
}

/// Parameters as `configure` takes them.
pub(crate) fn params(params: &[(String, ParamValue)]) -> Vec<stage::Param> {
    params
        .iter()
        .map(|(name, value)| stage::Param {
            name: name.clone(),
            value: match value {
                ParamValue::Boolean(b) => stage::Value::Boolean(*b),
                ParamValue::Integer(i) => stage::Value::Integer(*i),
                ParamValue::Number(n) => stage::Value::Number(*n),
                ParamValue::Text(s) => stage::Value::Text(s.clone()),
                ParamValue::Secret(s) => stage::Value::Text(s.expose().to_string()),
            },
        })
        .collect()
}

fn value(v: stage::Value) -> ParamValue {
    match v {
        stage::Value::Boolean(b) => ParamValue::Boolean(b),
        stage::Value::Integer(i) => ParamValue::Integer(i),
        stage::Value::Number(n) => ParamValue::Number(n),
        stage::Value::Text(s) => ParamValue::Text(s),
    }
}

/// The guest's description as the host's, checked (see
/// [`Description::checked`]); `contract` is the version it was built
/// against.
pub(crate) fn description(d: stage::Description, contract: &str) -> Result<Description, String> {
    Description {
        name: d.name,
        version: d.version,
        kind: match d.kind {
            stage::StageKind::Filter => StageKind::Filter,
            stage::StageKind::Mixer => StageKind::Mixer,
            stage::StageKind::Decoder => StageKind::Decoder,
        },
        summary: d.summary,
        formats: d.formats.into_iter().map(format_from_guest).collect(),
        inputs: d.inputs,
        params: d
            .params
            .into_iter()
            .map(|p| ParamSpec {
                name: p.name,
                kind: match p.kind {
                    stage::ValueType::Boolean => ValueType::Boolean,
                    stage::ValueType::Integer => ValueType::Integer,
                    stage::ValueType::Number => ValueType::Number,
                    stage::ValueType::Text => ValueType::Text,
                },
                default: value(p.default),
                min: p.min,
                max: p.max,
                choices: p.choices,
                doc: p.doc,
            })
            .collect(),
        contract: contract.to_string(),
    }
    .checked()
}

/// A guest's error, sanitised for the user.
pub(crate) fn guest_error(e: &stage::StageError) -> String {
    let (what, message) = match e {
        stage::StageError::InvalidParam(m) => ("invalid parameter: ", m),
        stage::StageError::Unsupported(m) => ("unsupported: ", m),
        stage::StageError::BadData(m) => ("bad data: ", m),
        stage::StageError::Failed(m) => ("", m),
    };
    format!("{what}{}", sanitize(message, MAX_LINE))
}
