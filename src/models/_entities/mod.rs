//! sea-orm entities.

pub mod joist_uploads;
