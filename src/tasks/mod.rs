//! joist's Loco tasks; register them in `Hooks::register_tasks`:
//!
//! ```rust,ignore
//! fn register_tasks(tasks: &mut Tasks) {
//!     tasks.register(joist::tasks::Cors);
//! }
//! ```

mod cors;

pub use cors::Cors;
