//! joist's HTTP controllers.

pub mod admin;
pub mod api;
pub mod assets;
