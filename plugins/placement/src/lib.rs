//! Where the presenter goes and when: an anchor on the output, margins,
//! a height as a share of the output's, and an entrance and exit that fade
//! or slide in from the anchor's side.

use reel_sdk::ParamBuilder;
use reel_sdk::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transition {
    Fade,
    Slide,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// Where the presenter sits: 0 left (top), 0.5 centre, 1 right (bottom).
    pub anchor: (f64, f64),
    /// The margin from the anchored edges, as shares of the output.
    pub margin: (f64, f64),
    /// The presenter's height as a share of the output's.
    pub height: f64,
    /// Seconds: on air from `start` to `end` (None: to the end).
    pub start: f64,
    pub end: Option<f64>,
    /// Seconds the entrance and exit take.
    pub fade_in: f64,
    pub fade_out: f64,
    pub transition: Transition,
}

pub const ANCHORS: [&str; 9] = [
    "top-left",
    "top-center",
    "top-right",
    "middle-left",
    "center",
    "middle-right",
    "bottom-left",
    "bottom-center",
    "bottom-right",
];

impl Placement {
    pub fn from_params(params: &Params) -> Result<Placement, StageError> {
        let anchor = ANCHORS
            .iter()
            .position(|a| *a == params.text("anchor"))
            .ok_or_else(|| {
                StageError::InvalidParam(format!("anchor `{}`", params.text("anchor")))
            })?;
        let share = |i: usize| i as f64 / 2.0;
        let transition = match params.text("transition") {
            "slide" => Transition::Slide,
            _ => Transition::Fade,
        };
        let end = params.number("end");
        let start = params.number("start");
        if end >= 0.0 && end <= start {
            return Err(StageError::InvalidParam(format!(
                "end {end} s comes before start {start} s"
            )));
        }
        Ok(Placement {
            anchor: (share(anchor % 3), share(anchor / 3)),
            margin: (params.number("margin_x"), params.number("margin_y")),
            height: params.number("height"),
            start,
            end: (end >= 0.0).then_some(end),
            fade_in: params.number("fade_in"),
            fade_out: params.number("fade_out"),
            transition,
        })
    }

    /// The presenter's size on an output of `out` for a picture of `pic`
    /// (width, height), keeping its shape.
    pub fn size(&self, out: (u32, u32), pic: (u32, u32)) -> (u32, u32) {
        let h = (self.height * out.1 as f64).round().max(1.0);
        let w = (h * pic.0 as f64 / pic.1.max(1) as f64).round().max(1.0);
        (w as u32, h as u32)
    }

    /// How far on air the presenter is at `t` seconds: 0 off, 1 fully on.
    pub fn presence(&self, t: f64) -> f64 {
        if t < self.start || self.end.is_some_and(|e| t >= e) {
            return 0.0;
        }
        let entering = if self.fade_in > 0.0 {
            ((t - self.start) / self.fade_in).min(1.0)
        } else {
            1.0
        };
        let leaving = match self.end {
            Some(e) if self.fade_out > 0.0 => ((e - t) / self.fade_out).min(1.0),
            _ => 1.0,
        };
        entering.min(leaving).clamp(0.0, 1.0)
    }

    /// The top-left corner of a `size` picture on an `out` output at
    /// `presence` (a slide comes in from the anchor's nearer side edge).
    pub fn corner(&self, out: (u32, u32), size: (u32, u32), presence: f64) -> (i32, i32) {
        let (ow, oh) = (out.0 as f64, out.1 as f64);
        let (w, h) = (size.0 as f64, size.1 as f64);
        let place = |anchor: f64, margin: f64, outer: f64, inner: f64| {
            // Left/top edges move in by the margin, right/bottom ones out.
            let m = margin * outer * (1.0 - 2.0 * anchor);
            anchor * (outer - inner) + m
        };
        let mut x = place(self.anchor.0, self.margin.0, ow, w);
        let y = place(self.anchor.1, self.margin.1, oh, h);
        if self.transition == Transition::Slide && presence < 1.0 {
            // Eased, from just outside the nearer side.
            let eased = 1.0 - (1.0 - presence).powi(3);
            let outside = if self.anchor.0 > 0.5 { ow } else { -w };
            x = outside + (x - outside) * eased;
        }
        (x.round() as i32, y.round() as i32)
    }

    /// The opacity at `presence`: a fade follows it, a slide is opaque.
    pub fn opacity(&self, presence: f64) -> f32 {
        match self.transition {
            Transition::Fade => presence as f32,
            Transition::Slide => (presence > 0.0) as u8 as f32,
        }
    }
}

/// The placement parameters, on a plugin's description: `anchor`,
/// `margin_x`, `margin_y`, `height`, `start`, `end`, `fade_in`,
/// `fade_out`, `transition`.
pub fn params(builder: DescriptionBuilder, anchor: &str, height: f64) -> DescriptionBuilder {
    builder
        .param(
            ParamBuilder::text("anchor", anchor, "Where the presenter sits on the output")
                .choices(&ANCHORS),
        )
        .param(
            ParamBuilder::number(
                "margin_x",
                0.04,
                "Margin from the anchored side edge, a share of the output's width",
            )
            .range(-1.0, 1.0),
        )
        .param(
            ParamBuilder::number(
                "margin_y",
                0.0,
                "Margin from the anchored top or bottom edge, a share of the output's height",
            )
            .range(-1.0, 1.0),
        )
        .param(
            ParamBuilder::number(
                "height",
                height,
                "The presenter's height, a share of the output's",
            )
            .range(0.02, 2.0),
        )
        .param(
            ParamBuilder::number("start", 0.0, "Seconds: when the presenter comes on")
                .range(0.0, 1e9),
        )
        .param(
            ParamBuilder::number(
                "end",
                -1.0,
                "Seconds: when the presenter goes (negative: never)",
            )
            .range(-1.0, 1e9),
        )
        .param(ParamBuilder::number("fade_in", 0.0, "Seconds the entrance takes").range(0.0, 60.0))
        .param(ParamBuilder::number("fade_out", 0.0, "Seconds the exit takes").range(0.0, 60.0))
        .param(
            ParamBuilder::text("transition", "fade", "How the presenter comes and goes")
                .choices(&["fade", "slide"]),
        )
}
