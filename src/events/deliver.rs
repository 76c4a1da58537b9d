//! Raising an event (enqueueing the job of an event its state change recorded), sweeping for
//! events whose delivery is due again, and delivering one (running its handlers once).

use std::time::Duration;

use loco_rs::{app::AppContext, bgworker::BackgroundWorker};
use uuid::Uuid;

use super::{
    UploadEvent, UploadEventKind,
    outbox::{self, Delivery, FAILED, PENDING},
};
use crate::{
    Joist,
    models::{_entities::joist_events, Upload},
    workers::{JoistUploadEventWorker, UploadEventJob},
};

/// How many due events one sweep claims at a time.
const SWEEP_BATCH: u64 = 100;

/// Enqueues (or, in the foreground modes, delivers) the due events of `upload`, recorded with
/// its state change, which is already committed: `recorded` is the event that change recorded,
/// `None` when no handler listens, and then there is nothing to raise (no query is made). A
/// queue that refuses a job leaves the event pending: the sweeper enqueues it again once its
/// lease runs out.
pub async fn raise(
    ctx: &AppContext,
    joist: &Joist,
    upload: Uuid,
    recorded: Option<UploadEventKind>,
) {
    if recorded.is_none() {
        return;
    }
    match outbox::claim_due(
        &ctx.db,
        Some(upload),
        joist.config().event_lease(),
        SWEEP_BATCH,
    )
    .await
    {
        Ok(claimed) => enqueue(ctx, claimed).await,
        Err(error) => {
            tracing::error!(%upload, %error, "could not claim the joist upload events; the sweeper will deliver them");
        }
    }
}

/// Enqueues every pending event that is due (never enqueued after a crash, or waiting for a
/// retry), and answers how many. Every app instance runs this every `event_sweep_interval`.
///
/// # Errors
/// When the database fails.
pub async fn sweep(ctx: &AppContext, joist: &Joist) -> crate::Result<usize> {
    let mut total = 0;
    loop {
        let claimed =
            outbox::claim_due(&ctx.db, None, joist.config().event_lease(), SWEEP_BATCH).await?;
        let count = claimed.len();
        total += count;
        enqueue(ctx, claimed).await;
        if (count as u64) < SWEEP_BATCH {
            return Ok(total);
        }
    }
}

/// Sweeps every `event_sweep_interval` for as long as the process runs: due upload events, and
/// background checks whose process died.
pub fn spawn_sweeper(ctx: &AppContext, joist: &Joist) {
    let interval = joist.config().event_sweep_interval();
    let (ctx, joist) = (ctx.clone(), joist.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            match sweep(&ctx, &joist).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "joist sweeper enqueued due upload events"),
                Err(error) => tracing::error!(%error, "joist sweeper could not read the events"),
            }
            match crate::controllers::api::background::resume_stale(&ctx, &joist).await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "joist sweeper resumed stale background checks"),
                Err(error) => tracing::error!(%error, "joist sweeper could not read the checks"),
            }
        }
    });
}

async fn enqueue(ctx: &AppContext, events: Vec<joist_events::Model>) {
    for event in events {
        let Some(kind) = UploadEventKind::from_name(&event.kind) else {
            tracing::error!(event = %event.id, kind = event.kind, "unknown joist event kind");
            continue;
        };
        let job = UploadEventJob {
            upload: event.upload_id,
            kind,
            event: Some(event.id),
        };
        if let Err(error) = JoistUploadEventWorker::perform_later(ctx, job).await {
            tracing::error!(upload = %event.upload_id, %error, "could not enqueue the joist upload event; it stays pending");
            let message = format!(
                "the {} event could not be enqueued (it stays pending): {error}",
                kind.name()
            );
            if let Err(error) =
                Upload::record_event_attempt(&ctx.db, event.upload_id, Some(message)).await
            {
                tracing::error!(upload = %event.upload_id, %error, "could not record the enqueue failure");
            }
        }
    }
}

/// Delivers the event of `job` once: runs each of its handlers that has not succeeded yet,
/// records every attempt on the upload, and settles the event (delivered; due again after the
/// backoff; or failed for good past `event_retries`). Handler failures are recorded, not
/// returned: the job itself succeeds, so a foreground worker never fails the request that
/// raised it. An event already settled (a duplicate job) runs nothing.
///
/// # Errors
/// When joist is not set up or the database fails.
pub async fn deliver(ctx: &AppContext, job: &UploadEventJob) -> crate::Result<()> {
    let joist = Joist::from_context(ctx)?;
    let event_id = match job.event {
        Some(id) => id,
        // a job enqueued before the outbox existed
        None => outbox::record(&ctx.db, job.upload, job.kind).await?,
    };
    let Some(event) = outbox::find(&ctx.db, event_id).await? else {
        tracing::warn!(event = %event_id, "joist upload event that no longer exists");
        return Ok(());
    };
    if event.status != PENDING {
        return Ok(());
    }
    let config = joist.config();
    let backoff = Duration::from_millis(config.event_backoff);
    let Some(upload) = Upload::find(&ctx.db, job.upload).await? else {
        tracing::warn!(upload = %job.upload, "joist upload event for an upload that no longer exists");
        let gone = Delivery {
            handled: Vec::new(),
            error: Some("the upload no longer exists".into()),
        };
        outbox::settle(&ctx.db, &event, gone, 0, backoff).await?;
        return Ok(());
    };
    let event_for_handlers = UploadEvent {
        kind: job.kind,
        upload,
    };
    let mut delivery = Delivery {
        handled: outbox::handled(&event),
        error: None,
    };
    let handlers = joist
        .handlers()
        .matching(job.kind, &event_for_handlers.upload.field);
    for (position, handler) in handlers.enumerate() {
        if delivery.handled.contains(&position) {
            continue;
        }
        let outcome = handler.handle(ctx, &event_for_handlers).await;
        let error = outcome.as_ref().err().map(ToString::to_string);
        Upload::record_event_attempt(&ctx.db, job.upload, error.clone()).await?;
        match error {
            None => delivery.handled.push(position),
            Some(error) => {
                tracing::warn!(upload = %job.upload, attempt = event.attempts + 1, %error, "joist upload handler failed");
                delivery.error.get_or_insert(error);
            }
        }
    }
    let status = outbox::settle(&ctx.db, &event, delivery, config.event_retries, backoff).await?;
    if status == FAILED {
        tracing::error!(upload = %job.upload, attempts = event.attempts + 1, "joist upload event failed for good");
    }
    Ok(())
}
