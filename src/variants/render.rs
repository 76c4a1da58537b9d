//! Making one variant from an original's bytes: decode within a pixel bound, resize (SIMD, with
//! `fast_image_resize`), turn upright by the EXIF orientation, encode.

use std::io::Cursor;

use fast_image_resize::{ResizeOptions, Resizer};
use image::{
    DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageReader, Limits, RgbImage,
    codecs::jpeg::JpegEncoder, codecs::png::PngEncoder, metadata::Orientation,
};

use super::{Format, Resize, Variant};

/// The most bytes a decoded pixel takes (16-bit RGBA); the decoder's allocations are capped at
/// this times the pixel bound.
const MAX_BYTES_PER_PIXEL: u64 = 8;

/// A variant, made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// Width in pixels, as shown.
    pub width: u32,
    /// Height in pixels, as shown.
    pub height: u32,
    /// Its content type.
    pub content_type: &'static str,
}

/// Why a variant could not be made from an image (recorded on the variant; the upload stands).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The image has more pixels than the field lets anything decode.
    #[error("the image has {actual} pixels; variants are made of images of at most {allowed}")]
    TooManyPixels {
        /// Its width × height.
        actual: u64,
        /// The bound.
        allowed: u64,
    },
    /// The bytes are not an image the decoders read (corrupt, truncated, an unknown format).
    #[error("the image cannot be decoded: {0}")]
    Decode(String),
    /// The resizer refused the image.
    #[error("the image cannot be resized: {0}")]
    Resize(String),
    /// The encoder refused the variant.
    #[error("the variant cannot be encoded: {0}")]
    Encode(String),
}

fn decode_error(error: impl std::fmt::Display) -> RenderError {
    RenderError::Decode(error.to_string())
}

/// Makes `variant` of the image in `source`, decoding nothing of more than `max_pixels` pixels
/// (several variants of one image: [`Decoded`], which decodes once).
///
/// # Errors
/// [`RenderError`]: too many pixels, undecodable bytes, or a resizer or encoder failure.
pub fn render(source: &[u8], variant: &Variant, max_pixels: u64) -> Result<Rendered, RenderError> {
    Decoded::new(source, max_pixels)?.render(variant)
}

/// An original, decoded once, in 8-bit RGB (RGBA when it has transparency).
pub struct Decoded {
    image: DynamicImage,
    orientation: Orientation,
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("width", &self.image.width())
            .field("height", &self.image.height())
            .field("orientation", &self.orientation)
            .finish()
    }
}

impl Decoded {
    /// Decodes the image in `source` unless it has more than `max_pixels` pixels (read from its
    /// header first; the decoder's allocations are capped to match).
    ///
    /// # Errors
    /// [`RenderError::TooManyPixels`] or [`RenderError::Decode`].
    pub fn new(source: &[u8], max_pixels: u64) -> Result<Self, RenderError> {
        let mut reader = ImageReader::new(Cursor::new(source))
            .with_guessed_format()
            .map_err(decode_error)?;
        let mut limits = Limits::default();
        limits.max_alloc = Some(max_pixels.saturating_mul(MAX_BYTES_PER_PIXEL));
        reader.limits(limits);
        let mut decoder = reader.into_decoder().map_err(decode_error)?;
        let (width, height) = decoder.dimensions();
        let actual = u64::from(width) * u64::from(height);
        if actual > max_pixels {
            return Err(RenderError::TooManyPixels {
                actual,
                allowed: max_pixels,
            });
        }
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
        let image = if image.color().has_alpha() {
            DynamicImage::ImageRgba8(image.into_rgba8())
        } else {
            DynamicImage::ImageRgb8(image.into_rgb8())
        };
        Ok(Self { image, orientation })
    }

    /// Makes `variant` of it.
    ///
    /// # Errors
    /// [`RenderError::Resize`] or [`RenderError::Encode`].
    pub fn render(&self, variant: &Variant) -> Result<Rendered, RenderError> {
        let (width, height) = (self.image.width(), self.image.height());
        let orientation = Some(u16::from(self.orientation.to_exif()));
        let (shown_width, shown_height) = variant.output_size(width, height, orientation);
        // Resize to the stored sides; turning upright comes after.
        let (stored_width, stored_height) =
            crate::inspect::image::quarter_turned(shown_width, shown_height, orientation);
        let mut resized = if (stored_width, stored_height) == (width, height) {
            self.image.clone()
        } else {
            let mut target = DynamicImage::new(stored_width, stored_height, self.image.color());
            let options = match variant.resize() {
                Resize::Fill => ResizeOptions::new().fit_into_destination(Some((0.5, 0.5))),
                Resize::Fit => ResizeOptions::new(),
            };
            Resizer::new()
                .resize(&self.image, &mut target, &options)
                .map_err(|error| RenderError::Resize(error.to_string()))?;
            target
        };
        resized.apply_orientation(self.orientation);
        let bytes = encode(&resized, variant)?;
        Ok(Rendered {
            bytes,
            width: resized.width(),
            height: resized.height(),
            content_type: variant.format().content_type(),
        })
    }
}

fn encode(image: &DynamicImage, variant: &Variant) -> Result<Vec<u8>, RenderError> {
    let encode_error = |error: image::ImageError| RenderError::Encode(error.to_string());
    let (width, height) = (image.width(), image.height());
    let quality = variant.encoder_quality();
    let mut out = Vec::new();
    match variant.format() {
        Format::WebP => {
            let encoder = match image {
                DynamicImage::ImageRgba8(_) => {
                    webp::Encoder::from_rgba(image.as_bytes(), width, height)
                }
                _ => webp::Encoder::from_rgb(image.as_bytes(), width, height),
            };
            out.extend_from_slice(&encoder.encode(f32::from(quality)));
        }
        Format::Jpeg => JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&on_white(image))
            .map_err(encode_error)?,
        Format::Png => {
            let color = match image {
                DynamicImage::ImageRgba8(_) => ExtendedColorType::Rgba8,
                _ => ExtendedColorType::Rgb8,
            };
            PngEncoder::new(&mut out)
                .write_image(image.as_bytes(), width, height, color)
                .map_err(encode_error)?;
        }
    }
    Ok(out)
}

/// The image without transparency: translucent pixels blended onto white (JPEG has no alpha).
fn on_white(image: &DynamicImage) -> RgbImage {
    match image {
        DynamicImage::ImageRgba8(pixels) => {
            let mut flat = RgbImage::new(pixels.width(), pixels.height());
            for (to, from) in flat.pixels_mut().zip(pixels.pixels()) {
                let alpha = u16::from(from[3]);
                for channel in 0..3 {
                    let blended = (u16::from(from[channel]) * alpha + 255 * (255 - alpha)) / 255;
                    to[channel] = u8::try_from(blended).unwrap_or(u8::MAX);
                }
            }
            flat
        }
        _ => image.to_rgb8(),
    }
}

#[cfg(test)]
mod tests {
    use image::{ImageBuffer, Rgb, Rgba};

    use super::*;

    /// A `width` × `height` image, red on its left half, blue on its right.
    fn halves(width: u32, height: u32) -> RgbImage {
        ImageBuffer::from_fn(width, height, |x, _| {
            if x < width / 2 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        })
    }

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    fn decoded(rendered: &Rendered) -> DynamicImage {
        image::load_from_memory(&rendered.bytes).unwrap()
    }

    #[test]
    fn fits_fills_and_encodes_each_format() {
        let source = png(&DynamicImage::ImageRgb8(halves(400, 200)));
        let fit = render(&source, &Variant::fit(100, 100).png(), 1 << 20).unwrap();
        assert_eq!(
            (fit.width, fit.height, fit.content_type),
            (100, 50, "image/png")
        );
        let pixels = decoded(&fit).to_rgb8();
        assert!(pixels.get_pixel(5, 25)[0] > 200, "the left stays red");
        assert!(pixels.get_pixel(95, 25)[2] > 200, "the right stays blue");

        let fill = render(&source, &Variant::fill(50, 50).jpeg(), 1 << 20).unwrap();
        assert_eq!((fill.width, fill.height), (50, 50));
        assert_eq!(
            image::guess_format(&fill.bytes).unwrap(),
            image::ImageFormat::Jpeg
        );

        let webp = render(&source, &Variant::fit(80, 80), 1 << 20).unwrap();
        assert_eq!(
            (webp.width, webp.height, webp.content_type),
            (80, 40, "image/webp")
        );
        assert_eq!(decoded(&webp).width(), 80);
    }

    #[test]
    fn jpeg_flattens_transparency_onto_white() {
        let clear = ImageBuffer::from_pixel(20, 20, Rgba([0u8, 0, 0, 0]));
        let source = png(&DynamicImage::ImageRgba8(clear));
        let jpeg = render(&source, &Variant::fit(10, 10).jpeg(), 1 << 20).unwrap();
        let pixel = *decoded(&jpeg).to_rgb8().get_pixel(5, 5);
        assert!(pixel.0.iter().all(|channel| *channel > 240), "{pixel:?}");
    }

    #[test]
    fn refuses_too_many_pixels_and_corrupt_bytes() {
        let source = png(&DynamicImage::ImageRgb8(halves(100, 100)));
        assert_eq!(
            render(&source, &Variant::fit(10, 10), 9_999),
            Err(RenderError::TooManyPixels {
                actual: 10_000,
                allowed: 9_999
            })
        );
        let cut = &source[..source.len() / 2];
        assert!(matches!(
            render(cut, &Variant::fit(10, 10), 1 << 20),
            Err(RenderError::Decode(_))
        ));
    }
}
