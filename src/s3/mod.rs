//! The store: the SDK client for the calls the server makes, and the presigner for the URLs
//! browsers use.

mod client;
pub mod cors;
pub mod endpoint;
mod multipart;
pub mod plan;
pub mod presign;
pub(crate) mod store;
pub mod sts;

pub use client::StoreSettings;
pub use multipart::{ListedUpload, StoredPart};
pub use store::{ObjectInfo, Store};

/// A failed call to the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or failed on its side (network, timeout, 5xx, refused
    /// credentials): retry later.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The object or multipart upload does not exist.
    #[error("not found in the store")]
    NotFound,
    /// The store refused the parts it was asked to assemble.
    #[error("the store refused the parts: {0}")]
    InvalidParts(String),
}
