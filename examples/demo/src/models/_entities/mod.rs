//! sea-orm entities.

pub mod cars;
pub mod photos;
