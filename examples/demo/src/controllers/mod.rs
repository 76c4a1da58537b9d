//! The demo's controllers.

pub mod cars;
