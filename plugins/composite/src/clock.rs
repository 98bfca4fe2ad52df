//! A clock on air: the time of day or the stream's running timecode, in a
//! small box. Plugins have no wall clock (the sandbox freezes it), so the
//! time of day runs from the `start` the pipeline gives, with the stream.

use serde::Deserialize;

use crate::layers::Color;
use crate::lower_third::{BoxStyle, Card, compose};
use reel_sdk_text::{Font, render};

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    pub x: i32,
    pub y: i32,
    #[serde(default)]
    pub format: ClockFormat,
    /// The time of day at the stream's start, `HH:MM:SS` (format `time`).
    #[serde(default = "midnight")]
    pub start: String,
    #[serde(default = "size")]
    pub size: f32,
    #[serde(default = "bold")]
    pub font: String,
    #[serde(default = "white")]
    pub color: Color,
    #[serde(default = "dark")]
    pub r#box: BoxStyle,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum ClockFormat {
    /// `HH:MM:SS`, the time of day.
    #[default]
    Time,
    /// `HH:MM:SS:FF`, the stream's running time and frame.
    Timecode,
}

fn midnight() -> String {
    "00:00:00".into()
}
fn size() -> f32 {
    34.0
}
fn bold() -> String {
    "NotoSansSC-Bold.otf".into()
}
fn white() -> Color {
    Color([255, 255, 255, 255])
}
fn dark() -> BoxStyle {
    BoxStyle {
        color: Color([0, 0, 0, 255]),
        opacity: 0.6,
        radius: 8.0,
        padding: 10,
    }
}

pub fn parse(text: &str) -> Result<Vec<Clock>, String> {
    let clocks: Vec<Clock> = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        format!(
            "clocks: {}",
            message.split(" at line ").next().unwrap_or(&message)
        )
    })?;
    for (index, c) in clocks.iter().enumerate() {
        seconds_of_day(&c.start).map_err(|e| format!("clock {}: {e}", index + 1))?;
        if c.size < 4.0 {
            return Err(format!("clock {}: size must be at least 4", index + 1));
        }
    }
    Ok(clocks)
}

fn seconds_of_day(text: &str) -> Result<u64, String> {
    let parts: Vec<u64> = text.split(':').filter_map(|p| p.parse().ok()).collect();
    match parts[..] {
        [h, m, s] if h < 24 && m < 60 && s < 60 && text.split(':').count() == 3 => {
            Ok(h * 3600 + m * 60 + s)
        }
        _ => Err(format!("start `{text}` is not a time of day HH:MM:SS")),
    }
}

impl Clock {
    /// What the clock shows `t` seconds into the stream, at `fps` frames a
    /// second.
    pub fn text_at(&self, t: f64, fps: f64) -> String {
        let whole = t.max(0.0).floor() as u64;
        match self.format {
            ClockFormat::Time => {
                let s = (seconds_of_day(&self.start).unwrap_or(0) + whole) % 86_400;
                format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
            }
            ClockFormat::Timecode => {
                let frame = ((t - whole as f64) * fps).floor() as u64;
                let s = whole % 86_400;
                format!(
                    "{:02}:{:02}:{:02}:{:02}",
                    s / 3600,
                    s / 60 % 60,
                    s % 60,
                    frame
                )
            }
        }
    }

    /// The clock's card showing `text`: the box fits the text.
    pub fn draw(&self, font: &Font, text: &str) -> Result<Card, String> {
        let block = render(font, text, self.size, f32::INFINITY)?;
        let width = block.width + 2 * self.r#box.padding as usize;
        Ok(compose(width, &[(&block, 0)], &self.r#box, self.color))
    }
}
