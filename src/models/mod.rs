//! joist's records: uploads and the admin's action log.

pub mod _entities;
pub mod admin_actions;
pub mod insert_queue;
pub mod listing;
pub mod uploads;

pub use _entities::{
    joist_admin_actions::Model as AdminActionRecord,
    joist_uploads::{Mode as UploadMode, Model as Upload, Status as UploadStatus},
};
