//! Opening an upload from its token: verify, re-authorize, check the owner, load the record.

use axum::http::{StatusCode, request::Parts};
use chrono::Utc;
use loco_rs::app::AppContext;

use super::error::ApiError;
use crate::{
    Joist,
    models::Upload,
    signing::{Purpose, UploadClaims},
};

/// An upload the caller may act on.
pub struct Opened {
    /// joist.
    pub joist: Joist,
    /// The record.
    pub upload: Upload,
}

/// Verifies `token`, authorizes the caller for its field as its owner and loads the upload.
///
/// # Errors
/// 401/410 for a bad or expired token, 401/403 for a caller who may not act on it, 404 for an
/// upload that no longer exists.
pub async fn open(ctx: &AppContext, request: &Parts, token: &str) -> Result<Opened, ApiError> {
    let (joist, claims) = verify(ctx, request, token).await?;
    let upload = load(ctx, &claims).await?;
    Ok(Opened { joist, upload })
}

/// Verifies `token` and authorizes the caller for its field as its owner, without reading the
/// record ([`load`] does that).
///
/// # Errors
/// As [`open`], but for the upload that no longer exists.
pub async fn verify(
    ctx: &AppContext,
    request: &Parts,
    token: &str,
) -> Result<(Joist, UploadClaims), ApiError> {
    let joist = Joist::from_context(ctx)?;
    let claims: UploadClaims =
        joist
            .signer()
            .verify(Purpose::UploadToken, token, Utc::now().timestamp())?;
    let field = joist.fields().get(&claims.field).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_field",
            "this upload's field no longer exists",
        )
    })?;
    let owner = field.authorizer().authorize(ctx, request, field).await?;
    if owner.id() != claims.owner.as_deref() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_owner",
            "this upload belongs to someone else",
        ));
    }
    Ok((joist, claims))
}

/// The upload `claims` name, as the database holds it now.
///
/// # Errors
/// 404 for an upload that no longer exists.
pub async fn load(ctx: &AppContext, claims: &UploadClaims) -> Result<Upload, ApiError> {
    Upload::find(&ctx.db, claims.upload)
        .await?
        .filter(|upload| upload.key == claims.key)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "unknown_upload", "no such upload"))
}
