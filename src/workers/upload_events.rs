//! The worker that delivers upload events to the host's handlers.

use async_trait::async_trait;
use loco_rs::{Result, app::AppContext, bgworker::BackgroundWorker};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{self, UploadEventKind};

/// The job: which event, for which upload (the handlers load the record when they run).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadEventJob {
    /// The upload's id.
    pub upload: Uuid,
    /// Which event.
    pub kind: UploadEventKind,
    /// The event's outbox record (absent in jobs enqueued before the outbox existed).
    #[serde(default)]
    pub event: Option<Uuid>,
}

/// Delivers [`UploadEventJob`]s; its distinct name keys its jobs in the queue.
#[derive(Clone)]
pub struct JoistUploadEventWorker {
    ctx: AppContext,
}

impl std::fmt::Debug for JoistUploadEventWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoistUploadEventWorker")
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl BackgroundWorker<UploadEventJob> for JoistUploadEventWorker {
    fn build(ctx: &AppContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    fn class_name() -> String {
        "JoistUploadEventWorker".to_string()
    }

    async fn perform(&self, job: UploadEventJob) -> Result<()> {
        events::deliver(&self.ctx, &job).await?;
        Ok(())
    }
}
