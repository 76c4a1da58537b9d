//! What an upload really is: at finalize the engine reads the object's first bytes from the store
//! (bounded range GETs), detects its type from its magic, reads image dimensions and orientation
//! from the header, and checks them against the field. Nothing is decoded.

pub mod detect;
pub mod image;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use detect::{Detected, SVG};
pub use image::{ImageInfo, ImageLimits, LimitBroken};

use crate::{Field, models::Upload, s3::Store, s3::StoreError, variants::VariantRecord};

/// The first read: enough for every type's magic and most image headers.
pub const HEAD_BYTES: u64 = 64 * 1024;

/// The most read to find an image's size (a JPEG's frame header can follow large EXIF or ICC
/// blocks).
pub const MAX_HEADER_BYTES: u64 = 1 << 20;

/// What the engine found in an upload: on the record (`metadata`), in the finalize response and
/// on [`crate::S3File`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMetadata {
    /// The type its bytes show (`None` when the field skips inspection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_type: Option<String>,
    /// Width, height and orientation, for images.
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
    /// The field's image variants, by name: pending until the background job made them (see
    /// [`crate::variants`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, VariantRecord>,
}

impl FileMetadata {
    /// The engine's part of an upload's `metadata` column (the keys host handlers add are left out).
    #[must_use]
    pub fn of(upload: &Upload) -> Self {
        upload
            .metadata
            .clone()
            .and_then(|metadata| serde_json::from_value(metadata).ok())
            .unwrap_or_default()
    }

    /// As the JSON object merged into the `metadata` column.
    #[must_use]
    pub fn to_map(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The bytes show another type than the one declared.
    #[error("the file is {detected}, not {declared} as declared")]
    ContentMismatch {
        /// What the client said.
        declared: String,
        /// What the bytes show.
        detected: String,
    },
    /// The bytes show a type the field does not take.
    #[error("the file is {detected}, which this field does not take")]
    NotAccepted {
        /// What the client said.
        declared: String,
        /// What the bytes show.
        detected: String,
    },
    /// The field limits image dimensions and this image's header cannot be read.
    #[error("the image's dimensions cannot be read from its header (truncated or corrupt)")]
    UnreadableImage,
    /// The image breaks one of the field's dimension limits.
    #[error(transparent)]
    Image(#[from] LimitBroken),
}

/// Inspects `upload`'s object, at `key` in the store, for `field`: `Ok(Err(_))` when the field
/// refuses what is there.
///
/// # Errors
/// When the store cannot be read.
pub async fn inspect(
    store: &Store,
    field: &Field,
    upload: &Upload,
    key: &str,
) -> Result<Result<FileMetadata, Refusal>, StoreError> {
    if !field.inspects() {
        return Ok(Ok(FileMetadata::default()));
    }
    let size = upload.byte_size();
    let mut head = store.read_head(key, size.min(HEAD_BYTES)).await?;
    let complete = head.len() as u64 >= size;
    let detected = detect::detect(&head, complete);
    let declared = upload.content_type.as_str();
    let kind = match detect::reconcile(declared, &detected) {
        Ok(kind) => kind,
        Err(detected) if !field.accepted_types().is_empty() => {
            let declared = declared.to_string();
            return Ok(Err(Refusal::ContentMismatch { declared, detected }));
        }
        // A field that takes every type records what the bytes show.
        Err(detected) => detected,
    };
    if !field.accepts(&kind) {
        let (declared, detected) = (declared.to_string(), kind);
        return Ok(Err(Refusal::NotAccepted { declared, detected }));
    }
    let is_image = kind.starts_with("image/") && kind != SVG;
    let mut image = is_image.then(|| image::read(&head)).flatten();
    if is_image && image.is_none() && !complete {
        head = store.read_head(key, size.min(MAX_HEADER_BYTES)).await?;
        image = image::read(&head);
    }
    let limits = field.image_limits();
    if is_image && limits.any() {
        match &image {
            Some(info) => {
                if let Err(broken) = limits.check(info) {
                    return Ok(Err(broken.into()));
                }
            }
            None => return Ok(Err(Refusal::UnreadableImage)),
        }
    }
    let variants = if is_image {
        field
            .variants()
            .map(|(name, _)| (name.to_string(), VariantRecord::pending()))
            .collect()
    } else {
        BTreeMap::new()
    };
    Ok(Ok(FileMetadata {
        detected_type: Some(kind),
        image,
        variants,
    }))
}
