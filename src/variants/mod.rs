//! Image variants (thumbnails and other renditions) a field declares, made in the background once
//! an upload is finalized and stored next to the original.
//!
//! ```
//! use joist::{Field, variants::Variant};
//!
//! let field = Field::new("photo.image")
//!     .accept(["image/*"])
//!     .variant("thumb", Variant::fill(200, 200).webp())
//!     .variant("large", Variant::fit(1600, 1600).jpeg().quality(82));
//! assert_eq!(field.variants().count(), 2);
//! ```
//!
//! **When.** Variants are made eagerly, by the field's `finalized` event (a Loco job, delivered
//! at least once through the outbox like the host's handlers), not lazily on the first request:
//! the bytes are served by the store (or a CDN) through plain URLs, never decoded by the app
//! server on a page view, and a page full of new thumbnails costs no decoding burst.
//! Until a variant is ready, [`crate::views`]' `joist_image` shows the original at the
//! variant's size.
//!
//! **Safety.** The header was read at finalize; nothing larger than the field's
//! [`crate::Field::max_pixels`] (or [`DEFAULT_MAX_PIXELS`]) is decoded, and the decoder's
//! allocations are capped to match. EXIF orientation is applied, then dropped with the rest
//! of the metadata (the variant carries no EXIF, so no GPS position leaks).
//!
//! **Where.** The variant `thumb` of `uploads/photos/{id}/cat.jpg` is
//! `uploads/photos/{id}/variants/thumb`: one name per variant, next to its original, deleted with
//! it (admin delete, cleanup). Each outcome is recorded under the upload's
//! `metadata.variants` ([`VariantRecord`]): the finalize answer and `/status` show it.

#[cfg(feature = "variants")]
mod generate;
#[cfg(feature = "variants")]
mod render;
mod spec;

use serde::{Deserialize, Serialize};

#[cfg(feature = "variants")]
pub use generate::{GenerateVariants, Generated, generate};
#[cfg(feature = "variants")]
pub use render::{Decoded, RenderError, Rendered, render};
pub use spec::{Format, Resize, Variant};

/// The pixel limit of fields without [`crate::Field::max_pixels`]: 50 megapixels.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;

/// The object key of `original`'s variant `name`.
///
/// ```
/// assert_eq!(
///     joist::variants::key("uploads/photos/7f3a/cat.jpg", "thumb"),
///     "uploads/photos/7f3a/variants/thumb"
/// );
/// ```
#[must_use]
pub fn key(original: &str, name: &str) -> String {
    match original.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/variants/{name}"),
        None => format!("variants/{name}"),
    }
}

/// Where a variant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantStatus {
    /// Declared; its job has not made it yet.
    Pending,
    /// In the store.
    Ready,
    /// Its job could not make it (a corrupt image, too many pixels): see `error`.
    Failed,
}

/// One variant of an upload, as recorded in the upload's `metadata.variants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantRecord {
    /// Pending, ready or failed.
    pub status: VariantStatus,
    /// Width in pixels, once ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels, once ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Size in bytes, once ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its content type, once ready (`image/webp`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl VariantRecord {
    /// Declared, not made yet.
    #[must_use]
    pub const fn pending() -> Self {
        Self {
            status: VariantStatus::Pending,
            width: None,
            height: None,
            size: None,
            content_type: None,
            error: None,
        }
    }

    /// Made: `width` × `height`, `size` bytes of `content_type`.
    #[must_use]
    pub fn ready(width: u32, height: u32, size: u64, content_type: &str) -> Self {
        Self {
            status: VariantStatus::Ready,
            width: Some(width),
            height: Some(height),
            size: Some(size),
            content_type: Some(content_type.to_string()),
            error: None,
        }
    }

    /// Could not be made, for `error`.
    #[must_use]
    pub fn failed(error: impl Into<String>) -> Self {
        Self {
            status: VariantStatus::Failed,
            error: Some(error.into()),
            ..Self::pending()
        }
    }

    /// Whether it is in the store.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.status == VariantStatus::Ready
    }
}
