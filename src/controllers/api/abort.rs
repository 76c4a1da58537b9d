//! `POST /abort`: give an upload up; the multipart upload is aborted, the object deleted.

use axum::{
    extract::State,
    http::{StatusCode, request::Parts},
};
use loco_rs::app::AppContext;
use serde::Deserialize;

use super::{access, error::ApiError, json::ApiJson};
use crate::{
    controllers::context::SharedContext,
    lifecycle::{self, AbortOutcome},
    models::UploadStatus,
};

/// The request.
#[derive(Debug, Deserialize)]
pub struct AbortRequest {
    /// The upload token.
    pub token: String,
}

const ABORTABLE: [UploadStatus; 5] = [
    UploadStatus::Prepared,
    UploadStatus::Uploading,
    UploadStatus::Finalized,
    UploadStatus::Failed,
    UploadStatus::Rejected,
];

async fn abort(
    State(ctx): State<SharedContext>,
    request: Parts,
    ApiJson(body): ApiJson<AbortRequest>,
) -> Result<StatusCode, ApiError> {
    run(&ctx, &request, &body.token).await
}

/// Aborts the upload of `token` for the caller of `request` (what `POST /abort` does): 204,
/// also on a repeat.
///
/// # Errors
/// The API's errors: a bad token or caller, an upload attached to a record.
pub async fn run(ctx: &AppContext, request: &Parts, token: &str) -> Result<StatusCode, ApiError> {
    let access::Opened { joist, upload, .. } = access::open(ctx, request, token).await?;
    if upload.status == UploadStatus::Deleted {
        return Ok(StatusCode::NO_CONTENT);
    }
    match lifecycle::abort(ctx, &joist, &upload, &ABORTABLE, "aborted by the client").await? {
        AbortOutcome::Attached => Err(ApiError::conflict(
            "upload_attached",
            "this upload is attached to a record; remove it there instead",
        )),
        AbortOutcome::Aborted | AbortOutcome::AlreadyAborted | AbortOutcome::NotAbortable(_) => {
            Ok(StatusCode::NO_CONTENT)
        }
    }
}

/// The route.
pub fn route() -> axum::routing::MethodRouter<SharedContext> {
    axum::routing::post(abort)
}
