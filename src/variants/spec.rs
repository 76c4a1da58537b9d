//! What a variant is: how it is resized, into which format, at which quality.

/// How the image is brought to the variant's box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resize {
    /// Scaled down to fit inside the box, keeping its proportions; never enlarged (Active
    /// Storage's `resize_to_limit`).
    Fit,
    /// Scaled to cover the box and cropped around its center: exactly the box's size.
    Fill,
}

/// The variant's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Lossy WebP at the variant's quality.
    WebP,
    /// Baseline JPEG at the variant's quality (transparency is flattened onto white).
    Jpeg,
    /// Lossless PNG (the quality is ignored).
    Png,
}

impl Format {
    /// Its content type.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::WebP => "image/webp",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// Its usual filename extension.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            Self::WebP => "webp",
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }
}

/// One variant: a box, how to bring the image to it, a format and a quality.
///
/// ```
/// use joist::variants::{Format, Variant};
///
/// let thumb = Variant::fit(200, 200).webp().quality(75);
/// assert_eq!(thumb.format(), Format::WebP);
/// // A 4000 × 3000 photo, stored rotated (EXIF orientation 6), is shown 3000 × 4000.
/// assert_eq!(thumb.output_size(4000, 3000, Some(6)), (150, 200));
/// // Fit never enlarges; fill is always the box.
/// assert_eq!(thumb.output_size(120, 80, None), (120, 80));
/// assert_eq!(Variant::fill(64, 64).output_size(4000, 3000, None), (64, 64));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    resize: Resize,
    width: u32,
    height: u32,
    format: Format,
    quality: u8,
}

impl Variant {
    /// At most `width` × `height`, proportions kept, never enlarged; WebP at quality 80.
    ///
    /// # Panics
    /// When a side is 0.
    #[must_use]
    pub const fn fit(width: u32, height: u32) -> Self {
        Self::new(Resize::Fit, width, height)
    }

    /// Exactly `width` × `height`, scaled to cover it and cropped around the center; WebP at
    /// quality 80.
    ///
    /// # Panics
    /// When a side is 0.
    #[must_use]
    pub const fn fill(width: u32, height: u32) -> Self {
        Self::new(Resize::Fill, width, height)
    }

    const fn new(resize: Resize, width: u32, height: u32) -> Self {
        assert!(width > 0 && height > 0, "a variant's box has two sides");
        Self {
            resize,
            width,
            height,
            format: Format::WebP,
            quality: 80,
        }
    }

    /// As lossy WebP (the default).
    #[must_use]
    pub const fn webp(mut self) -> Self {
        self.format = Format::WebP;
        self
    }

    /// As JPEG.
    #[must_use]
    pub const fn jpeg(mut self) -> Self {
        self.format = Format::Jpeg;
        self
    }

    /// As PNG.
    #[must_use]
    pub const fn png(mut self) -> Self {
        self.format = Format::Png;
        self
    }

    /// The encoder's quality, 1 to 100 (default 80; PNG ignores it).
    ///
    /// # Panics
    /// Outside 1 to 100.
    #[must_use]
    pub const fn quality(mut self, quality: u8) -> Self {
        assert!(quality >= 1 && quality <= 100, "a quality is 1 to 100");
        self.quality = quality;
        self
    }

    /// How it resizes.
    #[must_use]
    pub const fn resize(&self) -> Resize {
        self.resize
    }

    /// Its box: width and height.
    #[must_use]
    pub const fn bounds(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Its format.
    #[must_use]
    pub const fn format(&self) -> Format {
        self.format
    }

    /// Its encoder quality.
    #[must_use]
    pub const fn encoder_quality(&self) -> u8 {
        self.quality
    }

    /// The variant's size, as shown, of an image stored `width` × `height` with EXIF
    /// `orientation` (5 to 8 turn it a quarter, swapping its sides).
    #[must_use]
    pub fn output_size(&self, width: u32, height: u32, orientation: Option<u16>) -> (u32, u32) {
        let (width, height) = crate::inspect::image::quarter_turned(width, height, orientation);
        match self.resize {
            Resize::Fill => (self.width, self.height),
            Resize::Fit => {
                let scale = (f64::from(self.width) / f64::from(width.max(1)))
                    .min(f64::from(self.height) / f64::from(height.max(1)))
                    .min(1.0);
                (scaled(width, scale), scaled(height, scale))
            }
        }
    }
}

/// `side` × `scale`, rounded, at least 1.
fn scaled(side: u32, scale: f64) -> u32 {
    // The product is at most `side` (scale ≤ 1), so it fits.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let scaled = (f64::from(side) * scale).round() as u32;
    scaled.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_proportions_within_the_box() {
        let fit = Variant::fit(200, 100);
        assert_eq!(fit.output_size(4000, 3000, None), (133, 100));
        assert_eq!(fit.output_size(4000, 1000, None), (200, 50));
        assert_eq!(fit.output_size(100_000, 1, None), (200, 1), "never 0");
        assert_eq!(
            fit.output_size(4000, 3000, Some(3)),
            (133, 100),
            "half turn"
        );
        assert_eq!(
            fit.output_size(4000, 3000, Some(8)),
            (75, 100),
            "quarter turn"
        );
    }
}
