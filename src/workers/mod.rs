//! joist's background workers; register them in `Hooks::connect_workers`:
//!
//! ```no_run
//! # use loco_rs::{Result, app::AppContext, bgworker::{BackgroundWorker, Queue}};
//! async fn connect_workers(ctx: &AppContext, queue: &Queue) -> Result<()> {
//!     queue.register(joist::workers::JoistUploadEventWorker::build(ctx)).await?;
//!     queue.register(joist::workers::JoistCleanupWorker::build(ctx)).await?;
//!     Ok(())
//! }
//! ```

mod cleanup;
mod upload_events;

pub use cleanup::{CleanupJob, JoistCleanupWorker};
pub use upload_events::{JoistUploadEventWorker, UploadEventJob};
