//! joist's HTTP controllers.

pub mod api;
