//! Upload events, delivered to the host's handlers as Loco background jobs.
//!
//! `prepared` fires once an upload is recorded; `finalized` once it settled as `finalized`,
//! `failed` or `aborted` (see [`UploadEvent::upload`]'s status). Each event is recorded in the
//! transaction of its state change (the [`outbox`]), and delivered after that commit, never
//! before, through [`crate::workers::JoistUploadEventWorker`], so handlers run in whatever
//! worker mode the host configured. Delivery is at least once, across crashes: an event whose
//! delivery never settled (a crash, a lost job) or whose handler failed (retried after
//! `event_backoff`, doubled each time, up to `event_retries` times) is enqueued again by the
//! sweeper every instance runs. Every attempt and the last error are recorded on the upload.

mod deliver;
mod handlers;
pub mod outbox;

pub use deliver::{deliver, raise, spawn_sweeper, sweep};
pub use handlers::{HandlerError, Handlers, UploadHandler};
use serde::{Deserialize, Serialize};

use crate::models::Upload;

/// Which event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadEventKind {
    /// The upload was recorded and its URLs signed (the old `joist_upload_prepare` signal).
    Prepared,
    /// The upload settled: finalized, failed or aborted (the old `joist_upload_finalize` signal).
    Finalized,
}

/// What a handler receives.
#[derive(Debug, Clone)]
pub struct UploadEvent {
    /// Which event.
    pub kind: UploadEventKind,
    /// The upload as recorded when the handler runs: its `field`, `key` and `status`.
    pub upload: Upload,
}
