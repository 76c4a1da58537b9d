//! sea-orm entities.

pub mod joist_admin_actions;
pub mod joist_events;
pub mod joist_uploads;
