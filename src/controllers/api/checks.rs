//! What finalize checks in the stored object before it issues a field value: its size, its real
//! type and its image dimensions. A file that fails is recorded as such, deleted, and answered 422.

use loco_rs::app::AppContext;
use serde_json::json;

use super::error::ApiError;
use crate::{
    FileMetadata, Joist,
    events::{self, UploadEventKind},
    inspect::{self, Refusal},
    models::{Upload, UploadStatus, uploads::Changes},
};

/// The statuses finalize moves an upload from.
pub const OPEN: [UploadStatus; 2] = [UploadStatus::Prepared, UploadStatus::Uploading];

/// Records `upload` as `status` (`failed` or `rejected`) with `reason`, raising `event`, and
/// deletes what the store holds. Returns `answer`, or the error that kept it from being recorded.
async fn refuse(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    (status, reason): (UploadStatus, String),
    event: Option<UploadEventKind>,
    answer: ApiError,
) -> ApiError {
    let changes = Changes {
        error: Some(reason),
        ..Changes::default()
    };
    match Upload::transition_raising(&ctx.db, upload.id, (&OPEN[..], status), changes, event).await
    {
        Ok(Some(refused)) => events::raise(ctx, joist, refused.id).await,
        Ok(None) => {}
        Err(error) => return error.into(),
    }
    if let Err(error) = joist.store().delete(&upload.key).await {
        return error.into();
    }
    answer
}

/// Marks `upload` failed because the store holds `stored` bytes, not the declared size.
pub async fn size_mismatch(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    stored: u64,
    event: Option<UploadEventKind>,
) -> ApiError {
    let declared = u64::try_from(upload.size).unwrap_or_default();
    let reason = format!("the store holds {stored} bytes, {declared} were declared");
    let answer = ApiError::invalid(
        "size_mismatch",
        "the stored file's size differs from the declared size",
    )
    .with_details(json!({ "declared": declared, "stored": stored }));
    let failed = (UploadStatus::Failed, reason);
    refuse(ctx, joist, upload, failed, event, answer).await
}

fn answer(refusal: &Refusal) -> ApiError {
    let message = refusal.to_string();
    match refusal {
        Refusal::ContentMismatch { declared, detected }
        | Refusal::NotAccepted { declared, detected } => {
            ApiError::invalid("content_mismatch", message)
                .with_details(json!({ "declared": declared, "detected": detected }))
        }
        Refusal::UnreadableImage => ApiError::invalid("unreadable_image", message),
        Refusal::Image(broken) => ApiError::invalid("image_dimensions", message).with_details(
            json!({ "limit": broken.limit, "actual": broken.actual, "allowed": broken.allowed }),
        ),
    }
}

/// Inspects `upload`'s object for its field: its metadata, or (the upload rejected, the object
/// deleted, `event` raised) the 422 that says why it was refused.
///
/// # Errors
/// The refusal, or a store or database failure (503/500; nothing recorded, finalize may be
/// repeated).
pub async fn inspected(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    event: Option<UploadEventKind>,
) -> Result<FileMetadata, ApiError> {
    let Some(field) = joist.fields().get(&upload.field) else {
        return Ok(FileMetadata::default());
    };
    match inspect::inspect(joist.store(), field, upload).await? {
        Ok(metadata) => Ok(metadata),
        Err(refusal) => {
            tracing::info!(upload = %upload.id, field = %upload.field, %refusal, "upload rejected");
            let rejected = (UploadStatus::Rejected, refusal.to_string());
            Err(refuse(ctx, joist, upload, rejected, event, answer(&refusal)).await)
        }
    }
}
