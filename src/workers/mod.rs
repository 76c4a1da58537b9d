//! joist's background workers; register them in `Hooks::connect_workers`:
//!
//! ```rust,ignore
//! async fn connect_workers(ctx: &AppContext, queue: &Queue) -> Result<()> {
//!     queue.register(joist::workers::JoistUploadEventWorker::build(ctx)).await?;
//!     Ok(())
//! }
//! ```

mod upload_events;

pub use upload_events::{JoistUploadEventWorker, UploadEventJob};
