//! joist's Loco tasks. Loco runs tasks without initializers, so each task takes the app's
//! [`crate::JoistInitializer`] and sets joist up from it; register them in `Hooks::register_tasks`:
//!
//! ```no_run
//! # use loco_rs::task::Tasks;
//! # mod uploads {
//! #     pub fn joist() -> joist::JoistInitializer { joist::JoistInitializer::new(joist::Fields::new()) }
//! # }
//! fn register_tasks(tasks: &mut Tasks) {
//!     tasks.register(joist::tasks::Cors::new(uploads::joist()));
//!     tasks.register(joist::tasks::Cleanup::new(uploads::joist()));
//!     tasks.register(joist::tasks::Doctor::new(uploads::joist()));
//! }
//! ```

mod cleanup;
mod cors;
mod doctor;

pub use cleanup::Cleanup;
pub use cors::Cors;
pub use doctor::Doctor;
use loco_rs::{app::AppContext, task::Vars};

use crate::JoistConfig;

/// The origins browsers upload from: the `origins:a,b` argument, else `cors_origins`, else the
/// app's `server.host`.
pub(crate) fn origins(ctx: &AppContext, config: &JoistConfig, vars: Option<&Vars>) -> Vec<String> {
    if let Some(listed) = vars.and_then(|vars| vars.cli_arg("origins").ok()) {
        return listed
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(str::to_string)
            .collect();
    }
    if !config.cors_origins.is_empty() {
        return config.cors_origins.clone();
    }
    vec![ctx.config.server.host.trim_end_matches('/').to_string()]
}
