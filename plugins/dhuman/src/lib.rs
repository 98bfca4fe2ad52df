//! `dhuman`: a presenter over the programme. A mixer of two inputs,
//! `programme` (fills the output) and `presenter`:
//!
//! - `presenter = "key"`: a presenter shot on a green or blue screen, keyed
//!   by the host's screen keyer (colour difference: soft edges and hair
//!   keep their partial alpha, spill removed, a plate for uneven screens);
//!   the screen colour is found on the first frame's border unless given,
//!   and kept, so the key holds steady;
//! - `presenter = "alpha"`: a picture with its own (straight) alpha: VP8 or
//!   VP9 with alpha, PNG sequences;
//! - `presenter = "pip"`: the presenter's whole picture, not keyed, as a
//!   picture-in-picture in a corner, framed by a `border` of `border_color`.
//!
//! Placed by an anchor, margins and a height; on air from `start` to `end`
//! with a fade or a slide; with an optional light wrap (the programme's
//! light round the presenter's edges, contract 0.1.7) and an optional soft
//! drop shadow that follows the silhouette. Every pixel operation is a
//! host kernel but the shadow's small mask, made in the plugin at an
//! eighth of the size.
//!
//! ```toml
//! [[stage]]
//! id = "presenter"
//! plugin = "dhuman"
//! inputs = ["programme", "studio"]
//! params = { presenter = "key", anchor = "bottom-right", height = 0.9, fade_in = 0.5 }
//! ```

use reel_sdk::kernels::{self, AlphaKind, BlendMode, Keyer, Rect, Rgba, ScaleFilter, Wrap};
use reel_sdk::{FrameInfo, ParamBuilder, prelude::*};

use placement::Placement;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Key,
    /// A picture with its own alpha; premultiplied or not.
    Alpha {
        premultiplied: bool,
    },
    /// The whole picture, opaque: a picture-in-picture.
    Pip,
}

/// A picture-in-picture's frame: its width in output pixels and colour.
#[derive(Clone, Copy, Debug)]
struct Border {
    width: u32,
    color: Rgba,
}

#[derive(Clone, Debug, PartialEq)]
struct Shadow {
    opacity: f32,
    offset: (i32, i32),
    /// How much smaller than the presenter the shadow's mask is made: its
    /// softness.
    shrink: u32,
}

/// What the parameters ask for.
struct Settings {
    source: Source,
    /// The screen colour given (None: found on the border).
    key: Option<Rgba>,
    keyer: Keyer,
    placement: Placement,
    shadow: Option<Shadow>,
    wrap: Option<Wrap>,
    border: Option<Border>,
}

struct Dhuman {
    source: Source,
    /// The screen colour given, or found on the first frame and kept.
    key: Option<Rgba>,
    key_given: bool,
    keyer: Keyer,
    placement: Placement,
    shadow: Option<Shadow>,
    /// The light wrap, in output pixels; None: off.
    wrap: Option<Wrap>,
    /// A picture-in-picture's frame; None: none.
    border: Option<Border>,
    frames: Scratch,
}

/// Host frames kept from frame to frame, remade when a size changes.
#[derive(Default)]
struct Scratch {
    /// The presenter as premultiplied RGBA, at its own size.
    rgba: Option<(u32, u32, Frame)>,
    /// The presenter at its size on the output.
    placed: Option<(u32, u32, Frame)>,
    /// The shadow's small mask and the shadow at the presenter's size.
    mask: Option<(u32, u32, Frame)>,
    shadow: Option<(u32, u32, Frame)>,
    /// A picture-in-picture's frame, the border's colour all over, and
    /// the colour (straight RGBA) it was painted.
    border: Option<(u32, u32, Frame)>,
    border_colour: Option<[u8; 4]>,
}

impl Scratch {
    /// The presenter at its size on the output: the cut-out itself when
    /// that is its size, else its scaled copy.
    fn placed(&self, same_size: bool) -> &Frame {
        let slot = if same_size { &self.rgba } else { &self.placed };
        &slot.as_ref().expect("made before use").2
    }
}

/// A kept frame of `width` x `height` RGBA, made when missing or of
/// another size.
fn kept(
    slot: &mut Option<(u32, u32, Frame)>,
    width: u32,
    height: u32,
) -> Result<&Frame, StageError> {
    if !matches!(slot, Some((w, h, _)) if *w == width && *h == height) {
        *slot = None;
        *slot = Some((
            width,
            height,
            reel_sdk::create_frame(PixelFormat::Rgba, width, height)?,
        ));
    }
    Ok(&slot.as_ref().expect("made above").2)
}

fn whole(info: &FrameInfo) -> Rect {
    Rect {
        x: 0,
        y: 0,
        width: info.width,
        height: info.height,
    }
}

fn invalid(message: String) -> StageError {
    StageError::InvalidParam(message)
}

impl Dhuman {
    fn settings(params: &Params) -> Result<Settings, StageError> {
        let source = match params.text("presenter") {
            "alpha" => Source::Alpha {
                premultiplied: params.text("alpha") == "premultiplied",
            },
            "pip" => Source::Pip,
            _ => Source::Key,
        };
        let border_color = reel_sdk::parse_color(params.text("border_color")).map_err(|_| {
            invalid(format!(
                "border_color `{}` is not a colour: write #rrggbb, #rrggbbaa or a colour's name",
                params.text("border_color")
            ))
        })?;
        let border_width = params.integer("border").max(0) as u32;
        let border = (source == Source::Pip && border_width > 0).then(|| {
            let [r, g, b, a] = border_color;
            Border {
                width: border_width,
                color: Rgba { r, g, b, a },
            }
        });
        let key = match params.text("key_color") {
            "" => None,
            "green" => Some([0, 177, 64, 255]),
            "blue" => Some([0, 71, 187, 255]),
            text => Some(
                reel_sdk::parse_color(text).map_err(|_| {
                    invalid(format!(
                        "key_color `{text}` is not a colour: write #rrggbb, green or blue (or leave it empty to find the screen's colour)"
                    ))
                })?,
            ),
        }
        .map(|[r, g, b, _]| Rgba { r, g, b, a: 255 });
        let keyer = Keyer {
            color: key,
            similarity: params.number("similarity") as f32,
            smoothness: params.number("smoothness") as f32,
            spill: params.number("spill") as f32,
            plate: params.boolean("plate"),
        };
        let placement = Placement::from_params(params)?;
        let opacity = params.number("shadow") as f32;
        let shadow = (opacity > 0.0).then(|| Shadow {
            opacity,
            offset: (
                params.integer("shadow_x") as i32,
                params.integer("shadow_y") as i32,
            ),
            shrink: params.integer("shadow_softness").max(1) as u32,
        });
        let strength = params.number("wrap") as f32;
        // A picture-in-picture has its own frame between it and the
        // programme: no light wraps round it.
        let wrap = (strength > 0.0 && source != Source::Pip).then(|| Wrap {
            radius: params.number("wrap_radius") as f32,
            strength,
        });
        Ok(Settings {
            source,
            key,
            keyer,
            placement,
            shadow,
            wrap,
            border,
        })
    }

    /// The programme into the whole output: copied, converted or scaled.
    fn fill(programme: &Frame, output: &Frame, out: &FrameInfo) -> Result<(), StageError> {
        let info = programme.info();
        if (info.width, info.height) == (out.width, out.height) {
            kernels::convert(programme, output)?;
        } else if info.format == out.format {
            kernels::resample(programme, whole(&info), output, None, ScaleFilter::Bicubic)?;
        } else {
            return Err(StageError::Unsupported(format!(
                "the programme is {}x{} in another format than the output's",
                info.width, info.height
            )));
        }
        Ok(())
    }

    /// The presenter as premultiplied RGBA at its own size: keyed, or its
    /// own alpha premultiplied.
    fn cut_out(&mut self, presenter: &Frame) -> Result<(), StageError> {
        let info = presenter.info();
        if matches!(self.source, Source::Alpha { .. }) && info.format != PixelFormat::Rgba {
            return Err(StageError::Unsupported(format!(
                "presenter = \"alpha\" needs a picture with alpha, and the presenter is {:?} without one (VP8/VP9 with alpha, PNGs with alpha; or presenter = \"key\")",
                info.format
            )));
        }
        let rgba = kept(&mut self.frames.rgba, info.width, info.height)?;
        if self.source != Source::Key {
            kernels::convert(presenter, rgba)?;
        }
        match self.source {
            Source::Alpha {
                premultiplied: true,
            } => {}
            Source::Alpha {
                premultiplied: false,
            } => kernels::premultiply(rgba)?,
            // Converted from YUV it is opaque; an RGBA presenter's own
            // alpha is kept (premultiplied).
            Source::Pip => kernels::premultiply(rgba)?,
            Source::Key => {
                let keyer = Keyer {
                    color: self.key,
                    ..self.keyer
                };
                // Straight from the presenter's own format (no converted
                // copy of a YUV presenter first).
                let used =
                    kernels::key_screen_into(presenter, rgba, keyer).map_err(|e| match e {
                        FrameError::Unsupported(m) => StageError::Failed(format!(
                            "{m} (set key_color to the screen's colour)"
                        )),
                        other => other.into(),
                    })?;
                self.key = Some(used);
            }
        }
        Ok(())
    }

    /// A soft shadow of the placed presenter's silhouette: its alpha made
    /// small (the blur), black at the shadow's opacity, scaled back up.
    fn shadow(
        &mut self,
        shadow: &Shadow,
        w: u32,
        h: u32,
        same_size: bool,
    ) -> Result<(), StageError> {
        let (mw, mh) = ((w / shadow.shrink).max(1), (h / shadow.shrink).max(1));
        kept(&mut self.frames.mask, mw, mh)?;
        let mask = &self.frames.mask.as_ref().expect("made above").2;
        kernels::resample(
            self.frames.placed(same_size),
            Rect {
                x: 0,
                y: 0,
                width: w,
                height: h,
            },
            mask,
            None,
            ScaleFilter::Bilinear,
        )?;
        let rows = mask.read_rows(0, 0, mh)?;
        let dark: Vec<u8> = rows
            .chunks_exact(4)
            .flat_map(|px| [0, 0, 0, (px[3] as f32 * shadow.opacity).round() as u8])
            .collect();
        mask.write_rows(0, 0, &dark)?;
        let out = kept(&mut self.frames.shadow, w, h)?;
        let mask = &self.frames.mask.as_ref().expect("made above").2;
        kernels::resample(
            mask,
            Rect {
                x: 0,
                y: 0,
                width: mw,
                height: mh,
            },
            out,
            None,
            ScaleFilter::Bilinear,
        )?;
        Ok(())
    }
}

impl Plugin for Dhuman {
    fn describe() -> Description {
        let keying = DescriptionBuilder::mixer(
            "dhuman",
            "A presenter over the programme: keyed from a green or blue screen, or with its own alpha",
            &["programme", "presenter"],
        )
        .version(env!("CARGO_PKG_VERSION"))
        .formats(&[PixelFormat::I420, PixelFormat::Nv12, PixelFormat::Rgba])
        .param(
            ParamBuilder::text("presenter", "key", "key: a green or blue screen shot; alpha: a picture with its own alpha; pip: the whole picture, framed, as a picture-in-picture")
                .choices(&["key", "alpha", "pip"]),
        )
        .param(
            ParamBuilder::text(
                "alpha",
                "straight",
                "presenter = alpha: straight (video with alpha, PNG files) or premultiplied (pictures from imagedec)",
            )
            .choices(&["straight", "premultiplied"]),
        )
        .param(ParamBuilder::text(
            "key_color",
            "",
            "The screen's colour (#rrggbb, green or blue); empty: found on the first frame's border",
        ))
        .param(ParamBuilder::number("similarity", 0.05, "How close to the screen's colour (a share of its chroma) is still wholly screen").range(0.0, 1.0))
        .param(ParamBuilder::number("smoothness", 0.8, "The ramp from screen to presenter, as a share of the screen's chroma").range(0.01, 1.0))
        .param(ParamBuilder::number("spill", 1.0, "How much of the screen's colour on the presenter is removed").range(0.0, 1.0))
        .param(ParamBuilder::boolean("plate", true, "Key each region against the screen colour around it (an unevenly lit screen)"));
        placement::params(keying, "bottom-right", 0.85)
            .param(
                ParamBuilder::integer(
                    "border",
                    4,
                    "presenter = pip: the frame round the picture, in output pixels (0: none)",
                )
                .range(0.0, 200.0),
            )
            .param(ParamBuilder::text(
                "border_color",
                "white",
                "presenter = pip: the frame's colour (#rrggbb, #rrggbbaa or a name)",
            ))
            .param(
                ParamBuilder::number(
                    "wrap",
                    0.0,
                    "Light wrap: how much of the programme's light spills round the presenter's edges (0: none)",
                )
                .range(0.0, 1.0),
            )
            .param(
                ParamBuilder::number(
                    "wrap_radius",
                    16.0,
                    "Light wrap: how far into the presenter it reaches, in output pixels",
                )
                .range(1.0, 64.0),
            )
            .param(
                ParamBuilder::number("shadow", 0.0, "Drop shadow opacity (0: none)")
                    .range(0.0, 1.0),
            )
            .param(
                ParamBuilder::integer(
                    "shadow_x",
                    12,
                    "Drop shadow offset across, in output pixels",
                )
                .range(-500.0, 500.0),
            )
            .param(
                ParamBuilder::integer("shadow_y", 8, "Drop shadow offset down, in output pixels")
                    .range(-500.0, 500.0),
            )
            .param(
                ParamBuilder::integer(
                    "shadow_softness",
                    12,
                    "Drop shadow softness (its mask is made this many times smaller)",
                )
                .range(1.0, 64.0),
            )
            .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        let s = Dhuman::settings(params)?;
        Ok(Dhuman {
            source: s.source,
            key_given: s.key.is_some(),
            key: s.key,
            keyer: s.keyer,
            placement: s.placement,
            shadow: s.shadow,
            wrap: s.wrap,
            border: s.border,
            frames: Scratch::default(),
        })
    }

    fn configure(&mut self, params: &Params) -> Result<(), StageError> {
        let s = Dhuman::settings(params)?;
        // A colour found on the border is kept unless the keying changes.
        if s.key.is_some() || self.key_given || s.source != self.source {
            self.key = s.key;
        }
        self.key_given = s.key.is_some();
        (
            self.source,
            self.keyer,
            self.placement,
            self.shadow,
            self.wrap,
            self.border,
        ) = (s.source, s.keyer, s.placement, s.shadow, s.wrap, s.border);
        Ok(())
    }

    fn mix(&mut self, inputs: Vec<MixerInput>, output: &Frame) -> Result<(), StageError> {
        let find = |name: &str| inputs.iter().find(|i| i.name == name).map(|i| &i.frame);
        let out = output.info();
        let programme =
            find("programme").ok_or_else(|| StageError::BadData("no programme".into()))?;
        Dhuman::fill(programme, output, &out)?;
        let t = out.pts_ns.unwrap_or(0) as f64 / 1e9;
        let presence = self.placement.presence(t);
        // The presenter's input may not have started yet.
        let Some(presenter) = find("presenter") else {
            return Ok(());
        };
        if presence <= 0.0 {
            return Ok(());
        }
        self.cut_out(presenter)?;
        let info = presenter.info();
        let (w, h) = self
            .placement
            .size((out.width, out.height), (info.width, info.height));
        // At its own size the cut-out is placed as it is.
        let same_size = (w, h) == (info.width, info.height);
        if !same_size {
            let rgba = &self.frames.rgba.as_ref().expect("cut out").2;
            let placed = kept(&mut self.frames.placed, w, h)?;
            kernels::resample(rgba, whole(&info), placed, None, ScaleFilter::Bilinear)?;
        }
        let (x, y) = self
            .placement
            .corner((out.width, out.height), (w, h), presence);
        let opacity = self.placement.opacity(presence);
        if let Some(wrap) = self.wrap {
            // The programme's own light, before the shadow darkens it.
            kernels::light_wrap(self.frames.placed(same_size), output, x, y, wrap)?;
        }
        if let Some(shadow) = self.shadow.clone() {
            self.shadow(&shadow, w, h, same_size)?;
            let frame = &self.frames.shadow.as_ref().expect("made").2;
            kernels::blend_layer(
                output,
                frame,
                x + shadow.offset.0,
                y + shadow.offset.1,
                opacity,
                BlendMode::Over,
                AlphaKind::Premultiplied,
            )?;
        }
        if let Some(border) = self.border {
            // The frame round the picture, fading with it.
            let b = border.width;
            let c = border.color;
            let colour = [c.r, c.g, c.b, c.a];
            let (fw, fh) = (w + 2 * b, h + 2 * b);
            // Painted when made or recoloured, not every frame.
            let fresh = !matches!(&self.frames.border, Some((bw, bh, _)) if (*bw, *bh) == (fw, fh));
            let frame = kept(&mut self.frames.border, fw, fh)?;
            if fresh || self.frames.border_colour != Some(colour) {
                kernels::fill_rect(frame, whole(&frame.info()), c)?;
                kernels::premultiply(frame)?;
                self.frames.border_colour = Some(colour);
            }
            kernels::blend_layer(
                output,
                frame,
                x - b as i32,
                y - b as i32,
                opacity,
                BlendMode::Over,
                AlphaKind::Premultiplied,
            )?;
        }
        let placed = self.frames.placed(same_size);
        kernels::blend_layer(
            output,
            placed,
            x,
            y,
            opacity,
            BlendMode::Over,
            AlphaKind::Premultiplied,
        )?;
        if let (Source::Key, Some(k)) = (self.source, self.key) {
            output.meta_set("dhuman.key", &format!("#{:02x}{:02x}{:02x}", k.r, k.g, k.b));
        }
        Ok(())
    }
}

export_plugin!(Dhuman);
