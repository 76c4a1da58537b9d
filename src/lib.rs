//! joist: uploads straight from the browser to S3 (or any S3-compatible store) for Loco apps.
//!
//! The server prepares uploads (records them, signs URLs) and finalizes them (verifies what
//! landed, records it); the bytes never pass through it. See the README for the quickstart, the
//! config reference and the wire protocol.

pub mod admin;
mod attach;
pub mod cleanup;
pub mod client_address;
pub mod config;
pub mod controllers;
pub mod database;
pub mod delivery;
#[cfg(feature = "dev-endpoint")]
pub mod dev_endpoint;
pub mod doctor;
mod error;
pub mod events;
pub mod field;
pub mod file_view;
pub mod form;
mod hex;
mod initializer;
pub mod inspect;
#[cfg(feature = "installer")]
pub mod install;
mod joist;
pub mod lifecycle;
pub mod limits;
mod markup;
pub mod models;
pub mod s3;
pub mod scan;
pub mod signing;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
pub mod variants;
#[cfg(feature = "views")]
pub mod views;
pub mod workers;

pub use attach::AttachError;
pub use config::JoistConfig;
#[cfg(feature = "admin")]
pub use controllers::admin::routes as admin_routes;
pub use controllers::api::routes;
pub use error::{Error, Result};
pub use field::{Authorize, Denied, Field, Fields, JwtUser, Owner, Public, S3File};
pub use file_view::{FileView, VariantView};
pub use form::FormValue;
pub use initializer::JoistInitializer;
pub use inspect::{FileMetadata, ImageLimits};
pub use joist::Joist;
