//! The demo's initializers.

pub mod view_engine;
