//! Confirming and performing admin actions:
//! - `GET {admin}/confirm?action=…&id=…` and `POST {admin}/confirm` (the list's bulk form) show
//!   what will happen, with a signed confirmation bound to the admin and valid for 15 minutes;
//! - `POST {admin}/perform` runs it once per upload and redirects to
//! - `GET {admin}/actions/{nonce}`, which shows what each upload's action did.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use loco_rs::app::AppContext;
use serde_json::json;
use uuid::Uuid;

use super::{AdminError, admit, page, pairs, rows::UploadRow, value};
use crate::{
    Joist,
    admin::{self, Admin, AdminAction},
    controllers::context::SharedContext,
    models::{AdminActionRecord, Upload, UploadStatus, admin_actions::STARTED},
    signing::{AdminActionClaims, Purpose, SigningError},
};

/// How long a confirmation stays valid.
const CONFIRMATION_LIFETIME: i64 = 15 * 60;
/// Most uploads one confirmation covers.
const MOST_UPLOADS: usize = 500;

fn action_named(name: Option<&str>) -> Result<AdminAction, AdminError> {
    let name = name.unwrap_or_default();
    AdminAction::from_name(name)
        .ok_or_else(|| AdminError::BadRequest(format!("action: `{name}` is not an admin action")))
}

fn upload_ids(pairs: &[(String, String)]) -> Result<Vec<Uuid>, AdminError> {
    let mut ids = Vec::new();
    for (_, id) in pairs.iter().filter(|(name, _)| name == "id") {
        let id = Uuid::parse_str(id)
            .map_err(|_| AdminError::BadRequest(format!("id: `{id}` is not an upload id")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(AdminError::BadRequest(
            "select at least one upload".to_string(),
        ));
    }
    if ids.len() > MOST_UPLOADS {
        return Err(AdminError::BadRequest(format!(
            "select at most {MOST_UPLOADS} uploads at once"
        )));
    }
    Ok(ids)
}

async fn confirm(
    ctx: &AppContext,
    joist: &Joist,
    admin: Admin,
    pairs: &[(String, String)],
) -> Result<Response, AdminError> {
    let base = &joist.config().admin_base_url;
    let action = action_named(value(pairs, "action"))?;
    let uploads = Upload::find_all(&ctx.db, &upload_ids(pairs)?).await?;
    if uploads.is_empty() {
        return Err(AdminError::NotFound(
            "none of the selected uploads exists any more".to_string(),
        ));
    }
    let skipped: Vec<_> = uploads
        .iter()
        .filter(|upload| !action.applies_to(upload.status))
        .map(|upload| UploadRow::new(base, upload))
        .collect();
    let attached = uploads
        .iter()
        .filter(|upload| upload.status == UploadStatus::Attached)
        .count();
    let claims = AdminActionClaims {
        nonce: Uuid::new_v4(),
        action: action.name().to_string(),
        uploads: uploads.iter().map(|upload| upload.id).collect(),
        admin: admin.0.clone(),
        expires_at: Utc::now().timestamp() + CONFIRMATION_LIFETIME,
    };
    let back_url = match uploads.as_slice() {
        [one] => format!("{base}/uploads/{}", one.id),
        _ => base.clone(),
    };
    page::render(
        "confirm.html",
        &json!({
            "base": base,
            "admin": admin.0,
            "action": action.label(),
            "danger": action == AdminAction::Delete,
            "explanation": action.explanation(),
            "uploads": uploads.iter().map(|upload| UploadRow::new(base, upload)).collect::<Vec<_>>(),
            "skipped": skipped,
            "attached": if action == AdminAction::Delete { attached } else { 0 },
            "token": joist.signer().sign(Purpose::AdminAction, &claims),
            "perform_url": format!("{base}/perform"),
            "back_url": back_url,
        }),
    )
}

pub async fn confirm_one(
    State(ctx): State<SharedContext>,
    request: Parts,
) -> Result<Response, AdminError> {
    let (joist, admin) = admit(&ctx, &request).await?;
    let pairs = pairs(request.uri.query().unwrap_or_default().as_bytes());
    confirm(&ctx, &joist, admin, &pairs).await
}

pub async fn confirm_many(
    State(ctx): State<SharedContext>,
    request: Parts,
    body: Bytes,
) -> Result<Response, AdminError> {
    let (joist, admin) = admit(&ctx, &request).await?;
    confirm(&ctx, &joist, admin, &pairs(&body)).await
}

pub async fn perform(
    State(ctx): State<SharedContext>,
    request: Parts,
    body: Bytes,
) -> Result<Response, AdminError> {
    let (joist, admin) = admit(&ctx, &request).await?;
    let pairs = pairs(&body);
    let token = value(&pairs, "token").unwrap_or_default();
    let claims: AdminActionClaims = joist
        .signer()
        .verify(Purpose::AdminAction, token, Utc::now().timestamp())
        .map_err(|error| {
            AdminError::BadConfirmation(match error {
                SigningError::Expired => "the confirmation expired; confirm again".to_string(),
                _ => "the confirmation is not valid; confirm again".to_string(),
            })
        })?;
    if claims.admin != admin.0 {
        return Err(AdminError::BadConfirmation(
            "the confirmation was made for another admin".to_string(),
        ));
    }
    let action = action_named(Some(&claims.action))?;
    for upload in &claims.uploads {
        // A failure is logged on the entry; the others still run.
        let _ = admin::perform(&ctx, &joist, &admin, action, claims.nonce, *upload).await;
    }
    let done_url = format!("{}/actions/{}", joist.config().admin_base_url, claims.nonce);
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, done_url)]).into_response())
}

pub async fn done(
    State(ctx): State<SharedContext>,
    Path(nonce): Path<String>,
    request: Parts,
) -> Result<Response, AdminError> {
    let (joist, admin) = admit(&ctx, &request).await?;
    let base = &joist.config().admin_base_url;
    let not_found = || AdminError::NotFound("no admin action has this id".to_string());
    let nonce = Uuid::parse_str(&nonce).map_err(|_| not_found())?;
    let entries = AdminActionRecord::for_nonce(&ctx.db, nonce).await?;
    if entries.is_empty() {
        return Err(not_found());
    }
    let ids: Vec<Uuid> = entries.iter().map(|entry| entry.upload_id).collect();
    let existing: Vec<Uuid> = Upload::find_all(&ctx.db, &ids)
        .await?
        .into_iter()
        .map(|upload| upload.id)
        .collect();
    let mut shown = Vec::with_capacity(entries.len());
    for entry in &entries {
        let exists = existing.contains(&entry.upload_id);
        let unfinished = entry.outcome.starts_with("failed") || entry.outcome == STARTED;
        shown.push(json!({
            "key": entry.upload_key,
            "url": exists.then(|| format!("{base}/uploads/{}", entry.upload_id)),
            "action": entry.action,
            "outcome": entry.outcome,
            "retry_url": (unfinished && exists).then(|| {
                format!("{base}/confirm?action={}&id={}", entry.action, entry.upload_id)
            }),
        }));
    }
    page::render(
        "done.html",
        &json!({
            "base": base,
            "admin": admin.0,
            "entries": shown,
        }),
    )
}
