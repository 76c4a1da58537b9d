//! joist's HTTP controllers.

#[cfg(feature = "admin")]
pub mod admin;
pub mod api;
pub mod assets;
pub(crate) mod context;
