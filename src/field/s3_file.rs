//! The value a host's model stores for an attached upload.

use sea_orm::DeriveValueType;
use serde::{Deserialize, Serialize};

/// An attached upload: the object key, stored in a text column of the host's model.
///
/// ```rust,ignore
/// #[sea_orm(column_type = "Text", nullable)]
/// pub owners_manual: Option<joist::S3File>,
/// ```
///
/// Get one from a submitted field value with [`crate::Joist::attach`]; get a download link with
/// [`crate::Joist::download_url`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, DeriveValueType)]
#[serde(transparent)]
pub struct S3File(String);

impl S3File {
    /// Wraps an object key joist made.
    #[must_use]
    pub const fn from_key(key: String) -> Self {
        Self(key)
    }

    /// The object key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.0
    }

    /// The key-safe filename (the key's last segment).
    #[must_use]
    pub fn filename(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl std::fmt::Display for S3File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
