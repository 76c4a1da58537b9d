//! Upload events, delivered to the host's handlers as Loco background jobs.
//!
//! `prepared` fires once an upload is recorded; `finalized` once it settled as `finalized`,
//! `failed` or `aborted` (see [`UploadEvent::upload`]'s status). Each fires after its state change
//! is committed, never before, through [`crate::workers::JoistUploadEventWorker`], so handlers run
//! in whatever worker mode the host configured. A failing handler is retried with backoff
//! (`event_retries`, `event_backoff`); every attempt and the last error are recorded on the upload.

mod deliver;
mod handlers;

pub use deliver::{deliver, raise};
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
