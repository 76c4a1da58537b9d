//! The value a host's model stores for an attached upload.

use std::{convert::Infallible, str::FromStr};

use sea_orm::DeriveValueType;
use serde::{Deserialize, Serialize};

use crate::FileMetadata;

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
/// Get one from a submitted field value with [`crate::Joist::attach`] (it then carries the
/// file's [`FileMetadata`] too); get a download link with [`crate::Joist::download_url`]. Two
/// `S3File`s are equal when their keys are.
#[derive(Debug, Clone, Serialize, Deserialize, DeriveValueType)]
#[sea_orm(value_type = "String")]
#[serde(from = "String", into = "String")]
pub struct S3File {
    key: String,
    metadata: Option<FileMetadata>,
}

impl S3File {
    /// Wraps an object key joist made.
    #[must_use]
    pub const fn from_key(key: String) -> Self {
        Self {
            key,
            metadata: None,
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

    /// What the engine found in the file (its detected type; for images width, height and
    /// orientation), when this value came from [`crate::Joist::attach`]; the model's column
    /// keeps only the key (for one loaded from it, see [`crate::Joist::file_metadata`]).
    #[must_use]
    pub const fn metadata(&self) -> Option<&FileMetadata> {
        self.metadata.as_ref()
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
