//! `POST /status`: where an upload stands, and which parts the store already holds (resume).

use axum::{Json, extract::State, http::request::Parts};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    access,
    error::ApiError,
    finalize::{self, FinalizeResponse},
    json::ApiJson,
};
use crate::{
    Joist,
    controllers::context::SharedContext,
    models::{Upload, UploadMode, UploadStatus},
    s3::StoreError,
};

/// The request.
#[derive(Debug, Deserialize)]
pub struct StatusRequest {
    /// The upload token.
    pub token: String,
}

/// A part the store already holds.
#[derive(Debug, Serialize)]
pub struct PartDone {
    /// 1-based part number.
    pub number: u32,
    /// Its ETag (what `/finalize` may be given back).
    pub etag: Option<String>,
    /// Its size.
    pub size: u64,
}

/// The response.
#[derive(Debug, Serialize)]
pub struct StatusResponse {
    /// The upload's id.
    pub upload: Uuid,
    /// Where it stands.
    pub status: UploadStatus,
    /// Parts already in the store, of the right size (empty once finalized).
    pub parts_done: Vec<PartDone>,
    /// Once finalized (or attached): what `/finalize` answers, with the field value. A client
    /// whose finalize answered `202 checking` polls `/status` for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finalized: Option<FinalizeResponse>,
    /// Why a `failed`, `rejected` or `aborted` upload ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The parts of an open upload that the store holds at their planned size.
///
/// # Errors
/// When the store cannot be reached.
pub async fn parts_done(joist: &Joist, upload: &Upload) -> Result<Vec<PartDone>, StoreError> {
    if !upload.is_open() {
        return Ok(Vec::new());
    }
    let plan = upload.plan();
    let store = joist.store();
    let stored = match (upload.mode, &upload.s3_upload_id) {
        (UploadMode::Multipart, Some(s3_upload_id)) => {
            match store.list_parts(upload.landing(), s3_upload_id).await {
                Ok(parts) => parts
                    .into_iter()
                    .map(|part| PartDone {
                        number: part.number,
                        etag: part.etag,
                        size: part.size,
                    })
                    .collect(),
                Err(StoreError::NotFound) => Vec::new(),
                Err(error) => return Err(error),
            }
        }
        _ => store
            .head(upload.landing())
            .await?
            .map(|object| PartDone {
                number: 1,
                etag: object.etag,
                size: object.size,
            })
            .into_iter()
            .collect(),
    };
    Ok(stored
        .into_iter()
        .filter(|part| plan.part_len(part.number) == Some(part.size))
        .collect())
}

async fn status(
    State(ctx): State<SharedContext>,
    request: Parts,
    ApiJson(body): ApiJson<StatusRequest>,
) -> Result<Json<StatusResponse>, ApiError> {
    let access::Opened { joist, upload, .. } = access::open(&ctx, &request, &body.token).await?;
    let parts_done = parts_done(&joist, &upload).await?;
    let status = if parts_done.is_empty() {
        upload.status
    } else {
        upload.mark_uploading(&ctx.db).await?
    };
    let finalized = matches!(status, UploadStatus::Finalized | UploadStatus::Attached)
        .then(|| finalize::respond(&joist, &upload));
    let error = matches!(
        status,
        UploadStatus::Failed | UploadStatus::Rejected | UploadStatus::Aborted
    )
    .then(|| upload.error.clone())
    .flatten();
    Ok(Json(StatusResponse {
        upload: upload.id,
        status,
        parts_done,
        finalized,
        error,
    }))
}

/// The route.
pub fn route() -> axum::routing::MethodRouter<SharedContext> {
    axum::routing::post(status)
}
