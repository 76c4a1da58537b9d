//! `POST /abort`: give an upload up; the multipart upload is aborted, the object deleted.

use axum::{
    extract::State,
    http::{StatusCode, request::Parts},
};
use loco_rs::app::AppContext;
use serde::Deserialize;

use super::{access, error::ApiError, json::ApiJson};
use crate::{
    events::{self, UploadEventKind},
    models::{Upload, UploadStatus, uploads::Changes},
};

/// The request.
#[derive(Debug, Deserialize)]
pub struct AbortRequest {
    /// The upload token.
    pub token: String,
}

const ABORTABLE: [UploadStatus; 4] = [
    UploadStatus::Prepared,
    UploadStatus::Uploading,
    UploadStatus::Finalized,
    UploadStatus::Failed,
];

async fn abort(
    State(ctx): State<AppContext>,
    request: Parts,
    ApiJson(body): ApiJson<AbortRequest>,
) -> Result<StatusCode, ApiError> {
    let access::Opened { joist, upload, .. } = access::open(&ctx, &request, &body.token).await?;
    let attached = || {
        ApiError::conflict(
            "upload_attached",
            "this upload is attached to a record; remove it there instead",
        )
    };
    match upload.status {
        UploadStatus::Deleted => return Ok(StatusCode::NO_CONTENT),
        UploadStatus::Attached => return Err(attached()),
        UploadStatus::Aborted => {}
        _ => {
            let changes = Changes {
                error: Some("aborted by the client".into()),
                ..Changes::default()
            };
            match Upload::transition(
                &ctx.db,
                upload.id,
                &ABORTABLE,
                UploadStatus::Aborted,
                changes,
            )
            .await?
            {
                Some(aborted) => {
                    events::raise(&ctx, &joist, &aborted, UploadEventKind::Finalized).await;
                }
                None if Upload::find(&ctx.db, upload.id)
                    .await?
                    .map(|now| now.status)
                    == Some(UploadStatus::Attached) =>
                {
                    return Err(attached());
                }
                None => {}
            }
        }
    }
    // Recorded as aborted first, so a file attached meanwhile is never deleted; the store is
    // cleaned after, and again on a repeated abort if it was unreachable now.
    if let Some(s3_upload_id) = &upload.s3_upload_id {
        joist.store().abort(&upload.key, s3_upload_id).await?;
    }
    joist.store().delete(&upload.key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The route.
pub fn route() -> axum::routing::MethodRouter<AppContext> {
    axum::routing::post(abort)
}
