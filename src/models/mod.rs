//! The `joist_uploads` records.

pub mod _entities;
pub mod uploads;

pub use _entities::joist_uploads::{Mode as UploadMode, Model as Upload, Status as UploadStatus};
