//! The value a host's model stores for an attached upload.

use std::{convert::Infallible, str::FromStr};

use sea_orm::DeriveValueType;
use serde::{Deserialize, Serialize};

use crate::{FileMetadata, models::Upload};

/// An attached upload: the object key, stored in a text column of the host's model.
///
/// ```
/// use joist::S3File;
/// use sea_orm::entity::prelude::*;
///
/// #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
/// #[sea_orm(table_name = "cars")]
/// pub struct Model {
///     #[sea_orm(primary_key)]
///     pub id: i32,
///     #[sea_orm(column_type = "Text", nullable)]
///     pub owners_manual: Option<S3File>,
/// }
/// # #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// # pub enum Relation {}
/// # impl ActiveModelBehavior for ActiveModel {}
/// ```
///
/// Get one from a submitted field value with [`crate::Joist::attach`], or with what its record
/// says from one loaded from a column with [`crate::Joist::load`]: it then carries the file's
/// original filename, content type and [`FileMetadata`] (its variants among them). Get a
/// download link with [`crate::Joist::download_url`] (or [`crate::Joist::download`] for
/// attachment, a filename, a lifetime), a variant's with [`Self::variant_url`]. Two `S3File`s
/// are equal when their keys are.
#[derive(Debug, Clone, Serialize, Deserialize, DeriveValueType)]
#[sea_orm(value_type = "String")]
#[serde(from = "String", into = "String")]
pub struct S3File {
    key: String,
    metadata: Option<FileMetadata>,
    original_filename: Option<String>,
    content_type: Option<String>,
}

impl S3File {
    /// Wraps an object key joist made.
    #[must_use]
    pub const fn from_key(key: String) -> Self {
        Self {
            key,
            metadata: None,
            original_filename: None,
            content_type: None,
        }
    }

    /// The file `upload` recorded, with its filename, content type and metadata.
    #[must_use]
    pub fn from_upload(upload: &Upload) -> Self {
        let metadata = FileMetadata::of(upload);
        Self {
            key: upload.key.clone(),
            content_type: Some(
                metadata
                    .detected_type
                    .clone()
                    .unwrap_or_else(|| upload.content_type.clone()),
            ),
            metadata: Some(metadata),
            original_filename: Some(upload.filename.clone()),
        }
    }

    /// A file of `key` with a known filename and content type (such as a variant's).
    #[must_use]
    pub(crate) fn described(key: String, filename: String, content_type: &str) -> Self {
        Self {
            original_filename: Some(filename),
            content_type: Some(content_type.to_string()),
            ..Self::from_key(key)
        }
    }

    /// With what the engine found in the file.
    #[must_use]
    pub fn with_metadata(mut self, metadata: FileMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The object key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key-safe filename (the key's last segment).
    #[must_use]
    pub fn filename(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or(&self.key)
    }

    /// What the engine found in the file (its detected type; for images width, height,
    /// orientation and variants), when this value came from [`crate::Joist::attach`] or
    /// [`crate::Joist::load`]; the model's column keeps only the key.
    #[must_use]
    pub const fn metadata(&self) -> Option<&FileMetadata> {
        self.metadata.as_ref()
    }

    /// The filename as the user's browser sent it (cleaned), when known (see
    /// [`Self::metadata`]); downloads are named after it.
    #[must_use]
    pub fn original_filename(&self) -> Option<&str> {
        self.original_filename.as_deref()
    }

    /// Its content type (the detected one, else the declared one), when known.
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// A presigned URL of its variant `name` (inline, typed), or `None` when its field
    /// declares no such variant. The URL resolves once the variant is ready: see
    /// [`Self::metadata`]'s `variants` for which are, or let `joist_image` choose.
    ///
    /// ```no_run
    /// # async fn show(joist: &joist::Joist, db: &sea_orm::DatabaseConnection, photo: joist::S3File) -> Result<(), sea_orm::DbErr> {
    /// let photo = joist.load(db, photo).await?;
    /// let thumb = photo.variant_url(joist, "thumb");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn variant_url(&self, joist: &crate::Joist, name: &str) -> Option<String> {
        self.variant(joist, name)
            .map(|variant| joist.download(&variant).url())
    }

    /// Its variant `name` as a file of its own (its key, a filename such as `cat-thumb.webp`,
    /// its content type), when its field declares it.
    #[must_use]
    pub fn variant(&self, joist: &crate::Joist, name: &str) -> Option<Self> {
        let field = joist
            .fields()
            .for_key(&self.key, &joist.config().upload_prefix)?;
        Some(self.variant_file(name, field.variant_named(name)?))
    }

    /// Its variant `name`, made as `variant` says, as a file of its own.
    pub(crate) fn variant_file(&self, name: &str, variant: &crate::variants::Variant) -> Self {
        let format = variant.format();
        let original = self.original_filename().unwrap_or_else(|| self.filename());
        let stem = original.rsplit_once('.').map_or(original, |(stem, _)| stem);
        Self::described(
            crate::variants::key(&self.key, name),
            format!("{stem}-{name}.{}", format.extension()),
            format.content_type(),
        )
    }
}

impl PartialEq for S3File {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for S3File {}

impl std::hash::Hash for S3File {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl From<String> for S3File {
    fn from(key: String) -> Self {
        Self::from_key(key)
    }
}

impl From<S3File> for String {
    fn from(file: S3File) -> Self {
        file.key
    }
}

impl FromStr for S3File {
    type Err = Infallible;

    fn from_str(key: &str) -> Result<Self, Infallible> {
        Ok(Self::from_key(key.to_string()))
    }
}

impl std::fmt::Display for S3File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key)
    }
}
