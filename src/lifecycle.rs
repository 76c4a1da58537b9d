//! Giving an upload up and deleting it, for the API, the admin and cleanup alike.
//!
//! Each is decided on the record first (a conditional state change, so a racing attach or a
//! second call resolves to one result) and carried out in the store after; a store call that
//! fails leaves the record saying what is still to do, and the same call can be repeated.

use loco_rs::app::AppContext;
use sea_orm::EntityTrait;

use crate::{
    Joist, Result,
    events::{self, UploadEventKind},
    models::{_entities::joist_uploads::Entity, Upload, UploadStatus, uploads::Changes},
};

/// Every status but `deleted`.
const NOT_DELETED: [UploadStatus; 8] = [
    UploadStatus::Prepared,
    UploadStatus::Uploading,
    UploadStatus::Checking,
    UploadStatus::Finalized,
    UploadStatus::Attached,
    UploadStatus::Aborted,
    UploadStatus::Failed,
    UploadStatus::Rejected,
];

/// What [`abort`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbortOutcome {
    /// This call aborted it (and raised its `finalized` event).
    Aborted,
    /// It was aborted before; the store was cleaned again.
    AlreadyAborted,
    /// It is attached to a record: left alone.
    Attached,
    /// Its status is not one the caller may abort: left alone.
    NotAbortable(UploadStatus),
}

/// Aborts `upload` if its status is one of `from`: records it `aborted` with `reason`, raises the
/// `finalized` event, aborts its multipart upload and deletes its object.
///
/// # Errors
/// When the database or the store fails; repeating the call finishes the job.
pub async fn abort(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    from: &[UploadStatus],
    reason: &str,
) -> Result<AbortOutcome> {
    let outcome = match upload.status {
        UploadStatus::Attached => AbortOutcome::Attached,
        UploadStatus::Aborted => AbortOutcome::AlreadyAborted,
        status if !from.contains(&status) => AbortOutcome::NotAbortable(status),
        _ => {
            let changes = Changes {
                error: Some(reason.into()),
                ..Changes::default()
            };
            let event = joist.listening(UploadEventKind::Finalized, &upload.field);
            let to = (from, UploadStatus::Aborted);
            match Upload::transition_raising(&ctx.db, upload.id, to, changes, event).await? {
                Some(aborted) => {
                    events::raise(ctx, joist, aborted.id, event).await;
                    AbortOutcome::Aborted
                }
                None => match Upload::find(&ctx.db, upload.id)
                    .await?
                    .map(|now| now.status)
                {
                    Some(UploadStatus::Aborted) => AbortOutcome::AlreadyAborted,
                    Some(UploadStatus::Attached) => AbortOutcome::Attached,
                    now => AbortOutcome::NotAbortable(now.unwrap_or(UploadStatus::Deleted)),
                },
            }
        }
    };
    if matches!(
        outcome,
        AbortOutcome::Aborted | AbortOutcome::AlreadyAborted
    ) {
        // Recorded as aborted first, so a file attached meanwhile is never deleted.
        if let Some(s3_upload_id) = &upload.s3_upload_id {
            joist.store().abort(upload.landing(), s3_upload_id).await?;
        }
        for key in upload.stored_keys() {
            joist.store().delete(&key).await?;
        }
    }
    Ok(outcome)
}

/// Deletes `upload` for good, whatever its status: records it `deleted`, aborts its multipart
/// upload, deletes its object, then its record. An attached file's record keeps a key that no
/// longer resolves. Returns `false` when the record was already gone.
///
/// # Errors
/// When the database or the store fails; the record stays `deleted` and the call can be repeated.
pub async fn delete(ctx: &AppContext, joist: &Joist, upload: &Upload) -> Result<bool> {
    let Some(current) = Upload::find(&ctx.db, upload.id).await? else {
        return Ok(false);
    };
    let changes = Changes {
        error: Some("deleted by an admin".into()),
        ..Changes::default()
    };
    Upload::transition(
        &ctx.db,
        current.id,
        &NOT_DELETED,
        UploadStatus::Deleted,
        changes,
    )
    .await?;
    if let Some(s3_upload_id) = &current.s3_upload_id
        && current.is_open()
    {
        joist.store().abort(current.landing(), s3_upload_id).await?;
    }
    for key in current.stored_keys() {
        joist.store().delete(&key).await?;
    }
    Entity::delete_by_id(current.id).exec(&ctx.db).await?;
    Ok(true)
}
