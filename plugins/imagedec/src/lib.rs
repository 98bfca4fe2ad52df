//! Decodes PNG and JPEG stills inside the sandbox into RGBA frames, so
//! untrusted logos, lower-thirds and sprites are never parsed by native
//! code. A numbered image sequence is decoded one file per call, in order.

use reel_sdk::{ParamBuilder, prelude::*};

struct ImageDec {
    max_pixels: u64,
}

impl Plugin for ImageDec {
    fn describe() -> Description {
        DescriptionBuilder::decoder("imagedec", "Decodes PNG and JPEG images into RGBA frames")
            .version(env!("CARGO_PKG_VERSION"))
            .formats(&[PixelFormat::Rgba])
            .param(
                ParamBuilder::integer(
                    "max_pixels",
                    8192 * 8192,
                    "Refuse images with more pixels than this",
                )
                .range(1.0, (16384.0f64) * 16384.0),
            )
            .build()
    }

    fn new(params: &Params) -> Result<Self, StageError> {
        Ok(ImageDec {
            max_pixels: params.integer("max_pixels") as u64,
        })
    }

    fn decode(&mut self, data: &[u8]) -> Result<Vec<Frame>, StageError> {
        let format = image::guess_format(data)
            .map_err(|e| StageError::BadData(format!("not a PNG or JPEG image: {e}")))?;
        if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
            return Err(StageError::BadData(format!(
                "{format:?} images are not supported"
            )));
        }
        let mut reader = image::ImageReader::with_format(std::io::Cursor::new(data), format);
        // Limits stop a decompression bomb before it allocates.
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(self.max_pixels * 4 + (1 << 20));
        reader.limits(limits.clone());
        let (w, h) = reader
            .into_dimensions()
            .map_err(|e| StageError::BadData(format!("unreadable image header: {e}")))?;
        if (w as u64) * (h as u64) > self.max_pixels {
            return Err(StageError::BadData(format!(
                "{w}x{h} has more than the allowed {} pixels",
                self.max_pixels
            )));
        }
        let mut reader = image::ImageReader::with_format(std::io::Cursor::new(data), format);
        reader.limits(limits);
        let decoded = reader
            .decode()
            .map_err(|e| StageError::BadData(format!("cannot decode the image: {e}")))?;
        let rgba = decoded.to_rgba8();
        let frame = reel_sdk::create_frame(PixelFormat::Rgba, w, h)?;
        // Colour is premultiplied by alpha, as the blend kernel expects.
        let mut pixels = rgba.into_raw();
        for px in pixels.chunks_exact_mut(4) {
            let a = px[3] as u32;
            for c in &mut px[..3] {
                *c = ((*c as u32 * a + 127) / 255) as u8;
            }
        }
        frame.write_rows(0, 0, &pixels)?;
        Ok(vec![frame])
    }
}

export_plugin!(ImageDec);
