//! Raising an event (enqueueing its job) and delivering it (running the handlers, with retries).

use std::time::Duration;

use loco_rs::{app::AppContext, bgworker::BackgroundWorker};

use super::{UploadEvent, UploadEventKind};
use crate::{
    Joist,
    models::Upload,
    workers::{JoistUploadEventWorker, UploadEventJob},
};

/// Raises `kind` for `upload`, whose state change is already committed: enqueues (or, in the
/// foreground modes, runs) the event job when a handler listens. A queue that refuses the job is
/// recorded on the upload as its event error, so the event can be re-run, never silently lost.
pub async fn raise(ctx: &AppContext, joist: &Joist, upload: &Upload, kind: UploadEventKind) {
    if !joist.handlers().any(kind, &upload.field) {
        return;
    }
    let job = UploadEventJob {
        upload: upload.id,
        kind,
    };
    if let Err(error) = JoistUploadEventWorker::perform_later(ctx, job).await {
        tracing::error!(upload = %upload.id, %error, "could not enqueue the joist upload event");
        let message = format!("the {kind:?} event could not be enqueued: {error}");
        if let Err(error) = Upload::record_event_attempt(&ctx.db, upload.id, Some(message)).await {
            tracing::error!(upload = %upload.id, %error, "could not record the enqueue failure");
        }
    }
}

/// Runs the handlers of `job`, each retried with exponential backoff up to `event_retries` times;
/// records every attempt on the upload. Handler failures are recorded, not returned: the job
/// itself succeeds, so a foreground worker never fails the request that raised it.
///
/// # Errors
/// When joist is not set up or the database fails.
pub async fn deliver(ctx: &AppContext, job: &UploadEventJob) -> crate::Result<()> {
    let joist = Joist::from_context(ctx)?;
    let Some(upload) = Upload::find(&ctx.db, job.upload).await? else {
        tracing::warn!(upload = %job.upload, "joist upload event for an upload that no longer exists");
        return Ok(());
    };
    let event = UploadEvent {
        kind: job.kind,
        upload,
    };
    let config = joist.config();
    for handler in joist.handlers().matching(job.kind, &event.upload.field) {
        for attempt in 0..=config.event_retries {
            let outcome = handler.handle(ctx, &event).await;
            let error = outcome.as_ref().err().map(ToString::to_string);
            Upload::record_event_attempt(&ctx.db, event.upload.id, error.clone()).await?;
            match error {
                None => break,
                Some(error) if attempt < config.event_retries => {
                    let delay = Duration::from_millis(
                        config.event_backoff.saturating_mul(1 << attempt.min(16)),
                    );
                    tracing::warn!(upload = %event.upload.id, attempt, %error, ?delay, "joist upload handler failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Some(error) => {
                    tracing::error!(upload = %event.upload.id, attempts = attempt + 1, %error, "joist upload handler failed for good");
                }
            }
        }
    }
    Ok(())
}
