//! The demo's models.

pub mod _entities;
pub mod cars;
pub mod photos;
