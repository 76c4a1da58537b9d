//! `GET {admin}/uploads/{id}`: everything about one upload, and what can be done to it.

use std::time::Duration;

use axum::{
    extract::{Path, State},
    http::request::Parts,
    response::Response,
};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    AdminError, admit, page,
    rows::{UploadRow, human_size, time},
};
use crate::{
    Joist, S3File,
    admin::AdminAction,
    controllers::context::SharedContext,
    models::{AdminActionRecord, Upload, UploadMode, UploadStatus},
};

/// How long the download link and the preview stay valid.
const LINK_LIFETIME: Duration = Duration::from_mins(5);
/// Parts listed on the page (the counts cover all of them).
const PARTS_SHOWN: usize = 100;
/// Log entries shown.
const LOG_SHOWN: u64 = 50;

/// What the store holds of an unfinished multipart upload.
#[derive(Debug, Serialize)]
struct MultipartState {
    error: Option<String>,
    planned: u32,
    uploaded: usize,
    bytes: String,
    parts: Vec<serde_json::Value>,
    more: usize,
}

async fn multipart_state(joist: &Joist, upload: &Upload) -> Option<MultipartState> {
    let s3_upload_id = upload.s3_upload_id.as_deref()?;
    if upload.mode != UploadMode::Multipart || !upload.is_open() {
        return None;
    }
    let planned = upload.plan().part_count;
    Some(
        match joist
            .store()
            .list_parts(upload.landing(), s3_upload_id)
            .await
        {
            Ok(parts) => {
                let bytes: u64 = parts.iter().map(|part| part.size).sum();
                MultipartState {
                    error: None,
                    planned,
                    uploaded: parts.len(),
                    bytes: human_size(i64::try_from(bytes).unwrap_or(i64::MAX)),
                    more: parts.len().saturating_sub(PARTS_SHOWN),
                    parts: parts
                        .iter()
                        .take(PARTS_SHOWN)
                        .map(|part| {
                            json!({
                                "number": part.number,
                                "size": human_size(i64::try_from(part.size).unwrap_or(i64::MAX)),
                                "etag": part.etag,
                            })
                        })
                        .collect(),
                }
            }
            Err(error) => MultipartState {
                error: Some(error.to_string()),
                planned,
                uploaded: 0,
                bytes: String::new(),
                parts: Vec::new(),
                more: 0,
            },
        },
    )
}

/// The variants recorded for the upload, each with a link once ready.
fn variants(joist: &Joist, file: &S3File) -> Vec<serde_json::Value> {
    let Some(metadata) = file.metadata() else {
        return Vec::new();
    };
    metadata
        .variants
        .iter()
        .map(|(name, record)| {
            let url = record
                .is_ready()
                .then(|| file.variant(joist, name))
                .flatten()
                .map(|variant| joist.download(&variant).expires_in(LINK_LIFETIME).url());
            json!({
                "name": name,
                "status": record.status,
                "error": record.error,
                "dimensions": record.width.zip(record.height).map(|(width, height)| format!("{width} × {height}")),
                "bytes": record.size.map(|size| human_size(i64::try_from(size).unwrap_or(i64::MAX))),
                "content_type": record.content_type,
                "url": url,
            })
        })
        .collect()
}

fn has_object(status: UploadStatus) -> bool {
    matches!(status, UploadStatus::Finalized | UploadStatus::Attached)
}

pub async fn detail(
    State(ctx): State<SharedContext>,
    Path(id): Path<String>,
    request: Parts,
) -> Result<Response, AdminError> {
    let (joist, admin) = admit(&ctx, &request).await?;
    let base = &joist.config().admin_base_url;
    let not_found = || AdminError::NotFound(format!("no upload has the id `{id}`"));
    let upload_id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let upload = Upload::find(&ctx.db, upload_id)
        .await?
        .ok_or_else(not_found)?;
    let file = S3File::from_upload(&upload);
    let download_url = has_object(upload.status).then(|| {
        joist
            .download(&file)
            .attachment()
            .expires_in(LINK_LIFETIME)
            .url()
    });
    let preview_url = download_url
        .clone()
        .filter(|_| upload.content_type.starts_with("image/"));
    let actions: Vec<_> = AdminAction::ALL
        .into_iter()
        .filter(|action| action.applies(&joist, &upload))
        .map(|action| {
            json!({
                "label": action.label(),
                "url": format!("{base}/confirm?action={}&id={}", action.name(), upload.id),
                "danger": action == AdminAction::Delete,
            })
        })
        .collect();
    let log: Vec<_> = AdminActionRecord::for_upload(&ctx.db, upload.id, LOG_SHOWN)
        .await?
        .iter()
        .map(|entry| {
            json!({
                "at": time(&entry.created_at),
                "action": entry.action,
                "admin": entry.admin,
                "outcome": entry.outcome,
            })
        })
        .collect();
    let metadata = upload
        .metadata
        .as_ref()
        .map(|metadata| serde_json::to_string_pretty(metadata).unwrap_or_default());
    page::render(
        "detail.html",
        &json!({
            "base": base,
            "admin": admin.0,
            "upload": UploadRow::new(base, &upload),
            "key": upload.key,
            "mode": upload.mode,
            "part_size": human_size(upload.part_size),
            "s3_upload_id": upload.s3_upload_id,
            "etag": upload.etag,
            "checksum": upload.checksum,
            "error": upload.error,
            "updated_at": time(&upload.updated_at),
            "attached_at": upload.attached_at.as_ref().map(time),
            "event_attempts": upload.event_attempts,
            "event_error": upload.event_error,
            "metadata": metadata,
            "download_url": download_url,
            "preview_url": preview_url,
            "variants": variants(&joist, &file),
            "multipart": multipart_state(&joist, &upload).await,
            "actions": actions,
            "log": log,
        }),
    )
}
