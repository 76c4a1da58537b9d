//! `POST /finalize`: complete the upload in the store, check it, record it, return the field value.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::State,
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use loco_rs::app::AppContext;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    access, background,
    checks::{self, OPEN, unquote},
    error::ApiError,
    json::ApiJson,
};
use crate::{
    FileMetadata, Joist,
    controllers::context::SharedContext,
    events::UploadEventKind,
    models::{Upload, UploadMode, UploadStatus, uploads::Changes},
    s3::StoreError,
    signing::{Purpose, UploadClaims},
};

/// A part as the client saw it.
#[derive(Debug, Deserialize)]
pub struct ClientPart {
    /// 1-based part number.
    pub number: u32,
    /// The ETag the store answered the part's PUT with.
    pub etag: String,
}

/// The request.
#[derive(Debug, Deserialize)]
pub struct FinalizeRequest {
    /// The upload token.
    pub token: String,
    /// The parts' ETags, checked against the store (needed where the store does not list them).
    #[serde(default)]
    pub parts: Option<Vec<ClientPart>>,
}

/// The response (the same on a repeat).
#[derive(Debug, Serialize)]
pub struct FinalizeResponse {
    /// The upload's id.
    pub upload: Uuid,
    /// The object key.
    pub key: String,
    /// The cleaned filename.
    pub filename: String,
    /// The size in bytes.
    pub size: i64,
    /// The content type.
    pub content_type: String,
    /// The signed value the form submits for this field.
    pub field_value: String,
    /// What the engine found in the file: `detected_type`, and for images `width`, `height` and
    /// `orientation`.
    pub metadata: FileMetadata,
}

/// The finalize answer for a finalized (or attached) upload: its field value and metadata.
pub fn respond(joist: &Joist, upload: &Upload) -> FinalizeResponse {
    let finalized_at = upload.finalized_at.unwrap_or(upload.updated_at).timestamp();
    let lifetime = i64::try_from(joist.config().field_value_lifetime).unwrap_or(i64::MAX / 2);
    let claims = UploadClaims {
        upload: upload.id,
        field: upload.field.clone(),
        key: upload.key.clone(),
        owner: upload.owner.clone(),
        expires_at: finalized_at.saturating_add(lifetime),
    };
    FinalizeResponse {
        upload: upload.id,
        key: upload.key.clone(),
        filename: upload.filename.clone(),
        size: upload.size,
        content_type: upload.content_type.clone(),
        field_value: joist.signer().sign(Purpose::FieldValue, &claims),
        metadata: FileMetadata::of(upload),
    }
}

fn incomplete(missing: &[u32]) -> ApiError {
    ApiError::conflict(
        "upload_incomplete",
        format!("{} part(s) are not in the store yet; upload them, then finalize", missing.len()),
    )
    .with_details(json!({ "missing_parts": missing.iter().take(50).collect::<Vec<_>>(), "missing_count": missing.len() }))
}

/// The `(number, etag)` list to complete with: every planned part present at its size, and the
/// client's ETags (if sent) equal to the store's.
async fn checked_parts(
    joist: &Joist,
    upload: &Upload,
    s3_upload_id: &str,
    client: Option<&[ClientPart]>,
) -> Result<Vec<(u32, String)>, ApiError> {
    let plan = upload.plan();
    let stored = joist
        .store()
        .list_parts(upload.landing(), s3_upload_id)
        .await?;
    let stored: BTreeMap<u32, _> = stored
        .into_iter()
        .filter(|part| plan.part_len(part.number) == Some(part.size))
        .map(|part| (part.number, part.etag))
        .collect();
    let missing: Vec<u32> = (1..=plan.part_count)
        .filter(|number| !stored.contains_key(number))
        .collect();
    if !missing.is_empty() {
        return Err(incomplete(&missing));
    }
    let client: Option<BTreeMap<u32, &str>> = match client {
        None => None,
        Some(parts) => {
            let by_number: BTreeMap<u32, &str> = parts
                .iter()
                .map(|part| (part.number, unquote(&part.etag)))
                .collect();
            if by_number.len() != parts.len() || !by_number.keys().copied().eq(1..=plan.part_count)
            {
                return Err(ApiError::invalid(
                    "invalid_parts",
                    format!(
                        "send each of the {} parts once, numbered from 1",
                        plan.part_count
                    ),
                ));
            }
            Some(by_number)
        }
    };
    let mut parts = Vec::with_capacity(stored.len());
    for (number, stored_etag) in stored {
        let from_client = client
            .as_ref()
            .and_then(|client| client.get(&number).copied());
        let etag = match (stored_etag.as_deref().map(unquote), from_client) {
            (Some(stored), Some(sent)) if stored != sent => {
                return Err(ApiError::invalid(
                    "etag_mismatch",
                    format!("part {number}'s ETag does not match what the store holds"),
                )
                .with_details(json!({ "part": number })));
            }
            (Some(etag), _) | (None, Some(etag)) => etag.to_string(),
            (None, None) => {
                return Err(ApiError::invalid(
                    "etags_required",
                    "this store does not list part ETags: send `parts` with each part's ETag",
                ));
            }
        };
        parts.push((number, format!("\"{etag}\"")));
    }
    Ok(parts)
}

/// The ETag a client sent for the one part of a single upload.
fn single_etag(parts: Option<&[ClientPart]>) -> Option<&str> {
    parts?
        .iter()
        .find(|part| part.number == 1)
        .map(|part| part.etag.as_str())
}

/// How a finalize call ends.
pub enum Finalized {
    /// Finalized (or attached): the answer.
    Done(Box<FinalizeResponse>),
    /// Its checks run in the background (answered 202); `/status` tells when they end.
    Checking {
        /// The upload's id.
        upload: Uuid,
        /// Its object key.
        key: String,
    },
}

impl Finalized {
    fn done(joist: &Joist, upload: &Upload) -> Self {
        Self::Done(Box::new(respond(joist, upload)))
    }

    fn checking(upload: &Upload) -> Self {
        Self::Checking {
            upload: upload.id,
            key: upload.key.clone(),
        }
    }
}

impl IntoResponse for Finalized {
    fn into_response(self) -> Response {
        match self {
            Self::Done(answer) => Json(answer).into_response(),
            Self::Checking { upload, .. } => {
                let body = json!({ "upload": upload, "status": UploadStatus::Checking });
                (StatusCode::ACCEPTED, Json(body)).into_response()
            }
        }
    }
}

/// The record after another call finished it first (or is checking it), or the conflict.
async fn settled(ctx: &AppContext, joist: &Joist, id: Uuid) -> Result<Finalized, ApiError> {
    let upload = Upload::find(&ctx.db, id).await?;
    match upload {
        Some(upload)
            if matches!(
                upload.status,
                UploadStatus::Finalized | UploadStatus::Attached
            ) =>
        {
            Ok(Finalized::done(joist, &upload))
        }
        Some(upload) if upload.status == UploadStatus::Checking => Ok(Finalized::checking(&upload)),
        Some(upload) => Err(closed(upload.status)),
        None => Err(ApiError::conflict(
            "upload_gone",
            "the upload no longer exists",
        )),
    }
}

fn closed(status: UploadStatus) -> ApiError {
    ApiError::conflict(
        "upload_closed",
        "this upload was aborted, failed or rejected; start a new one",
    )
    .with_details(json!({ "status": status }))
}

async fn finalize(
    State(ctx): State<SharedContext>,
    request: Parts,
    ApiJson(body): ApiJson<FinalizeRequest>,
) -> Result<Finalized, ApiError> {
    run(&ctx, &request, body).await
}

/// Finalizes the upload of `body.token` for the caller of `request` (what `POST /finalize`
/// does); a repeat answers the same.
///
/// # Errors
/// The API's errors: a bad token or caller, missing parts, a file its checks refuse.
pub async fn run(
    ctx: &AppContext,
    request: &Parts,
    body: FinalizeRequest,
) -> Result<Finalized, ApiError> {
    let (joist, claims) = access::verify(ctx, request, &body.token).await?;
    // One finalize per upload at a time in this process; the others then read its result.
    let _guard = joist.lock_upload(claims.upload).await;
    let upload = access::load(ctx, &claims).await?;
    match upload.status {
        UploadStatus::Finalized | UploadStatus::Attached => {
            return Ok(Finalized::done(&joist, &upload));
        }
        UploadStatus::Checking => return Ok(Finalized::checking(&upload)),
        UploadStatus::Prepared | UploadStatus::Uploading => {}
        status => return Err(closed(status)),
    }
    let store = joist.store();
    let mut completed_elsewhere = false;
    if let (UploadMode::Multipart, Some(s3_upload_id)) = (upload.mode, &upload.s3_upload_id) {
        completed_elsewhere = match checked_parts(
            &joist,
            &upload,
            s3_upload_id,
            body.parts.as_deref(),
        )
        .await
        {
            Err(error) if error.code == "upload_gone" => true,
            Err(error) => return Err(error),
            Ok(parts) => match store.complete(upload.landing(), s3_upload_id, &parts).await {
                Ok(_) => false,
                Err(StoreError::NotFound) => true,
                // A racing call may have completed it: the object in the store says so.
                Err(error) if store.head(upload.landing()).await?.is_some() => {
                    tracing::debug!(%error, upload = %upload.id, "completed by a racing finalize");
                    true
                }
                Err(error) => return Err(error.into()),
            },
        };
    }
    // Another call completed (or aborted) the multipart upload: what the store holds decides,
    // and the conditional state change below lets one call record it.
    let Some((object, at)) = checks::locate(store, &upload).await? else {
        if completed_elsewhere {
            return settled(ctx, &joist, upload.id).await;
        }
        return Err(incomplete(&[1]));
    };
    if let (UploadMode::Single, Some(sent), Some(stored)) = (
        upload.mode,
        single_etag(body.parts.as_deref()),
        object.etag.as_deref(),
    ) && unquote(sent) != unquote(stored)
    {
        return Err(ApiError::invalid(
            "etag_mismatch",
            "the file's ETag does not match what the store holds",
        )
        .with_details(json!({ "part": 1 })));
    }
    let declared = upload.byte_size();
    if object.size != declared && completed_elsewhere {
        // Another app instance is completing it (some stores show the object growing): its
        // finalize decides; this one must not judge a half-written object.
        return Err(ApiError::conflict(
            "upload_finalizing",
            "another finalize of this upload is in progress; retry in a moment",
        ));
    }
    let event = joist.listening(UploadEventKind::Finalized, &upload.field);
    if object.size != declared {
        return Err(checks::size_mismatch(ctx, &joist, &upload, object.size, event).await);
    }
    if checks::in_background(&joist, &upload) {
        let to = UploadStatus::Checking;
        if Upload::transition(&ctx.db, upload.id, &OPEN, to, Changes::default())
            .await?
            .is_some()
        {
            background::spawn(ctx, &joist, upload.id);
        }
        return settled(ctx, &joist, upload.id).await;
    }
    let from = (&OPEN[..], event);
    match checks::check_and_record(ctx, &joist, &upload, from, (object, at)).await? {
        Some(finalized) => Ok(Finalized::done(&joist, &finalized)),
        None => settled(ctx, &joist, upload.id).await,
    }
}

/// The route.
pub fn route() -> axum::routing::MethodRouter<SharedContext> {
    axum::routing::post(finalize)
}
