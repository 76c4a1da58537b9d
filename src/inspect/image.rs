//! Image dimensions and EXIF orientation from an image's first bytes, without decoding it, and the
//! limits a field puts on them.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

/// What an image's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Width in pixels, as stored (before EXIF orientation).
    pub width: u32,
    /// Height in pixels, as stored.
    pub height: u32,
    /// The EXIF orientation (1-8), when the image has one.
    pub orientation: Option<u16>,
}

impl ImageInfo {
    /// Its width and height as shown, EXIF orientation applied.
    #[must_use]
    pub const fn shown_size(&self) -> (u32, u32) {
        quarter_turned(self.width, self.height, self.orientation)
    }
}

/// `width` × `height` under EXIF `orientation`: 5 to 8 turn an image a quarter, swapping its
/// sides; the others keep them. The same swap takes a shown size back to the stored one.
#[must_use]
pub const fn quarter_turned(width: u32, height: u32, orientation: Option<u16>) -> (u32, u32) {
    match orientation {
        Some(5..=8) => (height, width),
        _ => (width, height),
    }
}

/// Reads `head` (an image's first bytes): `None` while the size is not in it yet (a JPEG's
/// frame header can follow large EXIF or ICC blocks) or the header is corrupt.
#[must_use]
pub fn read(head: &[u8]) -> Option<ImageInfo> {
    let size = imagesize::blob_size(head).ok()?;
    Some(ImageInfo {
        width: u32::try_from(size.width).ok()?,
        height: u32::try_from(size.height).ok()?,
        orientation: orientation(head),
    })
}

fn orientation(head: &[u8]) -> Option<u16> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(head))
        .ok()?;
    let value = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)?
        .value
        .get_uint(0)?;
    u16::try_from(value)
        .ok()
        .filter(|value| (1..=8).contains(value))
}

/// A field's limits on image dimensions, checked on the header alone: `max_pixels` stops a
/// decompression bomb (a small file that decodes to gigabytes) before anything decodes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageLimits {
    /// Smallest width and height.
    pub min: Option<(u32, u32)>,
    /// Largest width and height.
    pub max: Option<(u32, u32)>,
    /// Largest width × height.
    pub max_pixels: Option<u64>,
}

/// The limit an image broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the image is {actual} {unit}; this field takes {bound} {allowed} ({limit})")]
pub struct LimitBroken {
    /// The limit's name: `min_width`, `min_height`, `max_width`, `max_height` or `max_pixels`.
    pub limit: &'static str,
    /// The image's value.
    pub actual: u64,
    /// The limit's value.
    pub allowed: u64,
    unit: &'static str,
    bound: &'static str,
}

impl ImageLimits {
    /// Whether the field sets any limit.
    #[must_use]
    pub const fn any(&self) -> bool {
        self.min.is_some() || self.max.is_some() || self.max_pixels.is_some()
    }

    /// The first limit `image` breaks.
    ///
    /// # Errors
    /// That limit.
    pub fn check(&self, image: &ImageInfo) -> Result<(), LimitBroken> {
        let (width, height) = (u64::from(image.width), u64::from(image.height));
        let broken = |limit, actual, allowed, unit, bound| LimitBroken {
            limit,
            actual,
            allowed,
            unit,
            bound,
        };
        if let Some(max) = self.max_pixels
            && width * height > max
        {
            return Err(broken(
                "max_pixels",
                width * height,
                max,
                "pixels",
                "at most",
            ));
        }
        if let Some((max_width, max_height)) = self.max {
            if width > u64::from(max_width) {
                let allowed = u64::from(max_width);
                return Err(broken(
                    "max_width",
                    width,
                    allowed,
                    "pixels wide",
                    "at most",
                ));
            }
            if height > u64::from(max_height) {
                let allowed = u64::from(max_height);
                return Err(broken(
                    "max_height",
                    height,
                    allowed,
                    "pixels high",
                    "at most",
                ));
            }
        }
        if let Some((min_width, min_height)) = self.min {
            if width < u64::from(min_width) {
                let allowed = u64::from(min_width);
                return Err(broken(
                    "min_width",
                    width,
                    allowed,
                    "pixels wide",
                    "at least",
                ));
            }
            if height < u64::from(min_height) {
                let allowed = u64::from(min_height);
                return Err(broken(
                    "min_height",
                    height,
                    allowed,
                    "pixels high",
                    "at least",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG header claiming `width` × `height` (no pixel data: nothing here decodes it).
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(b"\x08\x02\0\0\0\0\0\0\0");
        png
    }

    #[test]
    fn reads_a_header_and_checks_limits() {
        let bomb = read(&png_header(20_000, 20_000)).unwrap();
        assert_eq!(
            (bomb.width, bomb.height, bomb.orientation),
            (20_000, 20_000, None)
        );
        let limits = ImageLimits {
            min: Some((10, 10)),
            max: Some((8000, 8000)),
            max_pixels: Some(40_000_000),
        };
        let broken = limits.check(&bomb).unwrap_err();
        assert_eq!((broken.limit, broken.actual), ("max_pixels", 400_000_000));
        assert_eq!(
            broken.to_string(),
            "the image is 400000000 pixels; this field takes at most 40000000 (max_pixels)"
        );
        let tiny = read(&png_header(4, 300)).unwrap();
        assert_eq!(limits.check(&tiny).unwrap_err().limit, "min_width");
        assert!(limits.check(&read(&png_header(800, 600)).unwrap()).is_ok());
    }

    /// A JPEG header: an APP1 EXIF block (little-endian TIFF, one IFD entry: Orientation) and a
    /// baseline frame header of `width` × `height`.
    fn jpeg_header(width: u16, height: u16, orientation: u16) -> Vec<u8> {
        let mut tiff = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(b"\0\0\0\0\0\0");
        let mut jpeg = b"\xff\xd8\xff\xe1".to_vec();
        jpeg.extend_from_slice(&u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
        jpeg.extend_from_slice(b"Exif\0\0");
        jpeg.extend_from_slice(&tiff);
        jpeg.extend_from_slice(b"\xff\xc0\0\x11\x08");
        jpeg.extend_from_slice(&height.to_be_bytes());
        jpeg.extend_from_slice(&width.to_be_bytes());
        jpeg.extend_from_slice(b"\x03\x01\x22\0\x02\x11\x01\x03\x11\x01\xff\xd9");
        jpeg
    }

    #[test]
    fn reads_a_jpegs_size_and_exif_orientation() {
        let rotated = read(&jpeg_header(4000, 3000, 6)).unwrap();
        assert_eq!(
            (rotated.width, rotated.height, rotated.orientation),
            (4000, 3000, Some(6))
        );
        // An orientation out of EXIF's 1-8 is not one.
        assert_eq!(read(&jpeg_header(10, 10, 42)).unwrap().orientation, None);
    }

    #[test]
    fn a_truncated_or_foreign_header_reads_as_nothing() {
        assert_eq!(read(&png_header(5, 5)[..12]), None);
        assert_eq!(read(b"%PDF-1.7"), None);
    }
}
