//! The demo's controllers.

pub mod car_pages;
pub mod cars;
pub mod pages;
pub mod photos;
pub mod uppy;
