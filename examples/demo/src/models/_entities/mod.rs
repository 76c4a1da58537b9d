//! sea-orm entities.

pub mod cars;
