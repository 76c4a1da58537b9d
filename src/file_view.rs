//! A file as a page or a JSON API shows it: its URL, filename, size in pixels and variants,
//! each with its URL and status. What `joist_image` renders.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    Joist, S3File,
    variants::{VariantRecord, VariantStatus},
};

/// One variant of a [`FileView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantView {
    /// Its URL (it resolves once `status` is `ready`).
    pub url: String,
    /// Pending, ready or failed (pending when the file was not [`Joist::load`]ed).
    pub status: VariantStatus,
    /// Its width in pixels: as made once ready, as it will be while pending (when the
    /// original's size is known).
    pub width: Option<u32>,
    /// Its height in pixels, likewise.
    pub height: Option<u32>,
}

/// A file, ready for a template or a JSON response: see [`Joist::view`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileView {
    /// The object key.
    pub key: String,
    /// The original filename (the key's last segment when unknown).
    pub filename: String,
    /// A download URL, inline when its type allows.
    pub url: String,
    /// Its content type, when known.
    pub content_type: Option<String>,
    /// Its width in pixels as shown (EXIF orientation applied), for images.
    pub width: Option<u32>,
    /// Its height in pixels as shown, for images.
    pub height: Option<u32>,
    /// Its field's variants, by name (none for files that are not images).
    pub variants: BTreeMap<String, VariantView>,
}

impl Joist {
    /// `file` as a page shows it. Load it first ([`Self::load`] or [`Self::load_all`]) for its
    /// filename, size and the variants' status; a bare column value knows none of them.
    ///
    /// ```no_run
    /// # async fn page(joist: &joist::Joist, db: &sea_orm::DatabaseConnection, photo: joist::S3File) -> Result<(), sea_orm::DbErr> {
    /// let photo = joist.view(&joist.load(db, photo).await?);
    /// let context = serde_json::json!({ "photo": photo });
    /// // in the template: {{ joist_image(value=photo, variant="thumb", alt="A photo") }}
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn view(&self, file: &S3File) -> FileView {
        let metadata = file.metadata();
        let image = metadata.and_then(|metadata| metadata.image);
        let shown = image.map(|image| image.shown_size());
        let is_image = file
            .content_type()
            .is_none_or(|kind| kind.starts_with("image/") && kind != crate::inspect::SVG);
        let field = self
            .fields()
            .for_key(file.key(), &self.config().upload_prefix);
        let variants = field
            .filter(|_| is_image)
            .into_iter()
            .flat_map(crate::Field::variants)
            .map(|(name, variant)| {
                let url = self.download(&file.variant_file(name, variant)).url();
                let record = metadata
                    .and_then(|metadata| metadata.variants.get(name))
                    .cloned()
                    .unwrap_or_else(VariantRecord::pending);
                let planned = image
                    .map(|image| variant.output_size(image.width, image.height, image.orientation));
                let (width, height) = match record.width.zip(record.height).or(planned) {
                    Some((width, height)) => (Some(width), Some(height)),
                    None => (None, None),
                };
                (
                    name.to_string(),
                    VariantView {
                        url,
                        status: record.status,
                        width,
                        height,
                    },
                )
            })
            .collect();
        FileView {
            key: file.key().to_string(),
            filename: file
                .original_filename()
                .unwrap_or_else(|| file.filename())
                .to_string(),
            url: self.download_url(file),
            content_type: file.content_type().map(str::to_string),
            width: shown.map(|(width, _)| width),
            height: shown.map(|(_, height)| height),
            variants,
        }
    }
}
