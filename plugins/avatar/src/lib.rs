//! `avatar`: a presenter with no studio, over the programme, talking when
//! the programme talks (contract 0.1.6: it follows the programme's sound).
//!
//! - `look = "portrait"`: one photograph (`portrait`, a PNG or JPEG in the
//!   stage's assets) and its rig (`rig`, a TOML file beside it naming the
//!   eyes and mouth), animated by warping the picture: the jaw drops and
//!   the lips part over a dark mouth, the mouth widens for "ee" and rounds
//!   for "oo", the lids slide down to blink at random intervals, the head
//!   sways and nods.
//! - `look = "procedural"`: head and shoulders drawn by the plugin, with
//!   the same animation, so a demo needs no assets.
//!
//! Each frame gets `avatar.mouth_open`, `avatar.mouth_width`,
//! `avatar.shape` and `avatar.blink` as metadata. With no sound to follow
//! the stage fails, naming why.

mod blink;
mod face;
mod lipsync;
mod procedural;
mod rig;

use face::{Face, Pose};
use placement::Placement;
use reel_sdk::kernels::{self, AlphaKind, BlendMode, Rect, ScaleFilter};
use reel_sdk::{ParamBuilder, create_frame, prelude::*};

struct Avatar {
    face: Face,
    placement: Placement,
    lips: lipsync::LipSync,
    blinks: blink::Blinks,
    /// Head motion's phases, from the seed.
    phases: [f32; 3],
    /// The picture as animated (host frame, RGBA premultiplied), and the
    /// warped region's pixels between frames.
    work: Option<Frame>,
    region: Vec<u8>,
    /// The animated picture at its size on the output.
    placed: Option<(u32, u32, Frame)>,
}

fn invalid(message: String) -> StageError {
    StageError::InvalidParam(message)
}

/// A portrait from the assets, premultiplied, with a soft oval edge when
/// `oval`.
fn portrait(name: &str, rig_name: &str, oval: bool) -> Result<Face, StageError> {
    let bytes = reel_sdk::assets::read(name)?;
    let picture = image::load_from_memory(&bytes)
        .map_err(|e| invalid(format!("portrait {name}: {e}")))?
        .to_rgba8();
    let (w, h) = (picture.width() as usize, picture.height() as usize);
    if w < 32 || h < 32 || w > 4096 || h > 4096 {
        return Err(invalid(format!(
            "portrait {name}: {w}x{h}; a portrait is 32x32 to 4096x4096"
        )));
    }
    let rig_text = reel_sdk::assets::read(rig_name)?;
    let rig_text = String::from_utf8(rig_text)
        .map_err(|_| invalid(format!("rig {rig_name}: not UTF-8 text")))?;
    let rig = rig::parse(rig_name, &rig_text, w, h).map_err(invalid)?;
    let mut pixels = picture.into_raw();
    for (i, p) in pixels.chunks_exact_mut(4).enumerate() {
        let mut a = p[3] as f32 / 255.0;
        if oval {
            let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
            let k =
                ((2.0 * x / w as f32 - 1.0).powi(2) + (2.0 * y / h as f32 - 1.0).powi(2)).sqrt();
            a *= ((1.0 - k) / 0.04).clamp(0.0, 1.0);
        }
        for c in &mut p[..3] {
            *c = (*c as f32 * a + 0.5) as u8;
        }
        p[3] = (a * 255.0 + 0.5) as u8;
    }
    Ok(Face::new(w, h, pixels, rig))
}

/// The rig's default name: the portrait's, `.rig.toml` for its extension.
fn rig_name(portrait: &str) -> String {
    let stem = portrait.rsplit_once('.').map_or(portrait, |(s, _)| s);
    format!("{stem}.rig.toml")
}

fn whole(w: u32, h: u32) -> Rect {
    Rect {
        x: 0,
        y: 0,
        width: w,
        height: h,
    }
}

impl Avatar {
    /// The host frame holding the animated picture, made on first use.
    fn work(&mut self) -> Result<&Frame, StageError> {
        if self.work.is_none() {
            let (w, h) = (self.face.width as u32, self.face.height as u32);
            let frame = create_frame(PixelFormat::Rgba, w, h)?;
            frame.write_rows(0, 0, &self.face.pixels)?;
            self.work = Some(frame);
        }
        Ok(self.work.as_ref().expect("made above"))
    }

    fn pose(&mut self, t: f64) -> Result<Pose, StageError> {
        let measures = audio::frame_measures().ok_or_else(|| {
            StageError::Failed(
                "no sound to follow: the avatar's mouth follows the programme's sound, and none reaches this stage (give its source a sound track)".into(),
            )
        })?;
        let mouth = self
            .lips
            .step(measures.level_db, measures.voice, &measures.bands);
        let blink = self.blinks.closure(t);
        let tau = std::f32::consts::TAU;
        let t = t as f32;
        let [a, b, c] = self.phases;
        let unit = face::eye_distance(&self.face.rig);
        Ok(Pose {
            mouth,
            blink,
            tilt: 0.025 * (0.6 * (tau * t / 5.3 + a).sin() + 0.4 * (tau * t / 3.1 + b).sin()),
            nod: unit * (0.03 * (tau * t / 4.2 + c).sin() + 0.04 * mouth.open),
        })
    }
}

impl Plugin for Avatar {
    fn describe() -> Description {
        let avatar = DescriptionBuilder::filter(
            "avatar",
            "A talking presenter over the programme: a portrait animated by warping, or a drawn one, following the programme's sound",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .formats(&[PixelFormat::I420, PixelFormat::Nv12, PixelFormat::Rgba])
        .param(
            ParamBuilder::text("look", "procedural", "portrait: a photograph and its rig; procedural: drawn by the plugin")
                .choices(&["procedural", "portrait"]),
        )
        .param(ParamBuilder::text("portrait", "", "look = portrait: the photograph (PNG or JPEG) in the stage's assets"))
        .param(ParamBuilder::text("rig", "", "look = portrait: the rig (TOML) in the assets; empty: the portrait's name with .rig.toml"))
        .param(
            ParamBuilder::text("shape", "oval", "The portrait's outline: a soft oval, or the whole rectangle")
                .choices(&["oval", "rectangle"]),
        )
        .param(ParamBuilder::integer("seed", 1, "Seeds the blinks and head motion (the same seed moves the same way)").range(0.0, 1e15));
        placement::params(avatar, "bottom-right", 0.6).build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        let face = match params.text("look") {
            "portrait" => {
                let name = params.text("portrait");
                if name.is_empty() {
                    return Err(invalid(
                        "look = portrait needs `portrait`: a PNG or JPEG in the stage's assets"
                            .into(),
                    ));
                }
                let rig = match params.text("rig") {
                    "" => rig_name(name),
                    r => r.to_string(),
                };
                portrait(name, &rig, params.text("shape") == "oval")?
            }
            _ => {
                let (pixels, rig) = procedural::draw();
                Face::new(procedural::WIDTH, procedural::HEIGHT, pixels, rig)
            }
        };
        let seed = params.integer("seed") as u64;
        let mut draws = blink::Blinks::new(seed ^ 0x5EED);
        let mut phase = || std::f32::consts::TAU * draws.uniform() as f32;
        Ok(Avatar {
            placement: Placement::from_params(params)?,
            lips: lipsync::LipSync::default(),
            blinks: blink::Blinks::new(seed),
            phases: [phase(), phase(), phase()],
            face,
            work: None,
            region: Vec::new(),
            placed: None,
        })
    }

    fn filter(&mut self, frame: &Frame) -> Result<(), StageError> {
        let info = frame.info();
        let t = info.pts_ns.unwrap_or(0) as f64 / 1e9;
        // The pose follows every frame, on air or not, so the mouth and
        // blinks carry on smoothly.
        let pose = self.pose(t)?;
        frame.meta_set("avatar.mouth_open", &format!("{:.3}", pose.mouth.open));
        frame.meta_set("avatar.mouth_width", &format!("{:.3}", pose.mouth.width));
        frame.meta_set("avatar.shape", pose.mouth.shape.name());
        frame.meta_set("avatar.blink", &format!("{:.2}", pose.blink));
        let presence = self.placement.presence(t);
        if presence <= 0.0 {
            return Ok(());
        }
        let mut region = std::mem::take(&mut self.region);
        self.face.render(&pose, &mut region);
        let (x0, y0, x1, _) = self.face.region;
        let picture = (self.face.width as u32, self.face.height as u32);
        self.work()?;
        // The region's rows, whole rows of the picture: the unchanged
        // parts of each row from the picture itself.
        let row_bytes = picture.0 as usize * 4;
        let rows = region.len() / ((x1 - x0) * 4).max(1);
        let mut rows_out = Vec::with_capacity(rows * row_bytes);
        for (r, warped) in region.chunks_exact((x1 - x0) * 4).enumerate() {
            let source = &self.face.pixels[(y0 + r) * row_bytes..][..row_bytes];
            rows_out.extend_from_slice(&source[..x0 * 4]);
            rows_out.extend_from_slice(warped);
            rows_out.extend_from_slice(&source[x1 * 4..]);
        }
        let work = self.work.as_ref().expect("made above");
        work.write_rows(0, y0 as u32, &rows_out)?;
        self.region = region;
        let out = (info.width, info.height);
        let (w, h) = self.placement.size(out, picture);
        if self.placed.as_ref().is_none_or(|p| (p.0, p.1) != (w, h)) {
            self.placed = Some((w, h, create_frame(PixelFormat::Rgba, w, h)?));
        }
        let placed = &self.placed.as_ref().expect("made above").2;
        kernels::resample(
            work,
            whole(picture.0, picture.1),
            placed,
            None,
            ScaleFilter::Bilinear,
        )?;
        let (x, y) = self.placement.corner(out, (w, h), presence);
        kernels::blend_layer(
            frame,
            placed,
            x,
            y,
            self.placement.opacity(presence),
            BlendMode::Over,
            AlphaKind::Premultiplied,
        )?;
        Ok(())
    }
}

export_plugin!(Avatar);
