//! The store: joist's own signed calls on a request's path, the SDK client for the other calls
//! the server makes, and the presigner for the URLs browsers use.

mod client;
pub mod copy;
pub mod cors;
pub mod credentials;
pub mod endpoint;
mod multipart;
pub mod plan;
pub mod presign;
mod signed;
pub(crate) mod store;
pub mod sts;
pub mod tls;

pub use client::{Connection, StoreSettings};
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

/// What to do when the store's TLS certificate is not trusted.
pub const CA_FILE_FIX: &str = "set `ca_file` in initializers.joist to the PEM bundle of the CA that signed the store's certificate";

/// Whether a transport error says the peer's TLS certificate is not trusted.
#[must_use]
pub fn untrusted_certificate(detail: &str) -> bool {
    detail.contains("invalid peer certificate") || detail.contains("UnknownIssuer")
}

/// A store that cannot be reached, saying so when its certificate is the reason.
pub(crate) fn unreachable(detail: String) -> StoreError {
    if untrusted_certificate(&detail) {
        StoreError::Unavailable(format!("{detail}; {CA_FILE_FIX}"))
    } else {
        StoreError::Unavailable(detail)
    }
}
