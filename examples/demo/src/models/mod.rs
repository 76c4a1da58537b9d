//! The demo's models.

pub mod _entities;
pub mod cars;
