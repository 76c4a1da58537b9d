//! Real images for the variant tests, made with the `image` crate.

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb, RgbImage, codecs::jpeg::JpegEncoder};
use joist::{models::Upload, variants::VariantStatus};
use loco_rs::app::AppContext;

/// `width` × `height`, red on the left half, blue on the right.
pub fn halves(width: u32, height: u32) -> RgbImage {
    ImageBuffer::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

pub fn encoded(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(image.clone())
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(image)
        .unwrap();
    out
}

/// The record of the upload at `key` once its variant job ran: the test config's sweeper may
/// deliver the finalize event a moment after finalize answered.
pub async fn with_variants_made(ctx: &AppContext, key: &str) -> Upload {
    for _ in 0..300 {
        let upload = Upload::find_by_key(&ctx.db, key).await.unwrap().unwrap();
        let pending = joist::FileMetadata::of(&upload)
            .variants
            .values()
            .any(|variant| variant.status == VariantStatus::Pending);
        if !pending {
            return upload;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the variants of {key} are still pending after 30 s");
}
