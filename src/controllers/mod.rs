//! joist's HTTP controllers.

pub mod api;
pub mod assets;
