//! The dummy host's event handlers: one records what it saw, two fail on purpose.

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
};

use async_trait::async_trait;
use joist::{
    events::{HandlerError, UploadEvent, UploadEventKind, UploadHandler},
    models::{Upload, UploadStatus},
};
use loco_rs::app::AppContext;
use uuid::Uuid;

/// An event as the recorder saw it, with the status the database held when the handler ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub kind: UploadEventKind,
    pub status_in_database: UploadStatus,
}

static SEEN: LazyLock<Mutex<HashMap<Uuid, Vec<Seen>>>> = LazyLock::new(Mutex::default);
static FAILURES: LazyLock<Mutex<HashMap<Uuid, u32>>> = LazyLock::new(Mutex::default);

/// What the recorder saw for `upload`, in order.
pub fn seen(upload: Uuid) -> Vec<Seen> {
    SEEN.lock()
        .unwrap()
        .get(&upload)
        .cloned()
        .unwrap_or_default()
}

/// Records every event with the status committed in the database when it runs.
pub struct Recorder;

#[async_trait]
impl UploadHandler for Recorder {
    async fn handle(&self, ctx: &AppContext, event: &UploadEvent) -> Result<(), HandlerError> {
        let committed = Upload::find(&ctx.db, event.upload.id)
            .await?
            .ok_or("the upload is not committed")?;
        SEEN.lock()
            .unwrap()
            .entry(event.upload.id)
            .or_default()
            .push(Seen {
                kind: event.kind,
                status_in_database: committed.status,
            });
        Ok(())
    }
}

/// Fails the first `0` times for each upload, then succeeds.
pub struct FailsFirst(pub u32);

#[async_trait]
impl UploadHandler for FailsFirst {
    async fn handle(&self, _ctx: &AppContext, event: &UploadEvent) -> Result<(), HandlerError> {
        let mut failures = FAILURES.lock().unwrap();
        let count = failures.entry(event.upload.id).or_default();
        if *count < self.0 {
            *count += 1;
            return Err(format!("scan service unavailable (failure {count})").into());
        }
        Ok(())
    }
}
