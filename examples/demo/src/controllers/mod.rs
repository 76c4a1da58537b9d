//! The demo's controllers.

pub mod backups;
pub mod car_pages;
pub mod cars;
pub mod photos;
pub mod spa;
pub mod uppy;
