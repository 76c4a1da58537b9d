//! `POST /parts`: sign (or re-sign) more part URLs.

use std::{collections::BTreeMap, time::SystemTime};

use axum::{Json, extract::State, http::request::Parts};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    access,
    error::ApiError,
    json::ApiJson,
    part_urls::{self, PartUrl},
};
use crate::{controllers::context::SharedContext, models::UploadMode};

/// The request.
#[derive(Debug, Deserialize)]
pub struct PartsRequest {
    /// The upload token.
    pub token: String,
    /// Which parts (1-based).
    pub numbers: Vec<u32>,
    /// Base64 SHA-256 per part number, for the store to verify.
    #[serde(default)]
    pub checksums: BTreeMap<u32, String>,
}

/// The response.
#[derive(Debug, Serialize)]
pub struct PartsResponse {
    /// The signed URLs, in the order asked.
    pub parts: Vec<PartUrl>,
}

async fn parts(
    State(ctx): State<SharedContext>,
    request: Parts,
    ApiJson(body): ApiJson<PartsRequest>,
) -> Result<Json<PartsResponse>, ApiError> {
    let access::Opened { joist, upload, .. } = access::open(&ctx, &request, &body.token).await?;
    if !upload.is_open() {
        return Err(
            ApiError::conflict("upload_closed", "this upload takes no more parts")
                .with_details(json!({ "status": upload.status })),
        );
    }
    let window = joist.config().part_url_window;
    let mut numbers = body.numbers;
    numbers.sort_unstable();
    if numbers.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(ApiError::invalid(
            "invalid_part_numbers",
            "each part number may be asked for once",
        ));
    }
    if numbers.is_empty() || numbers.len() > usize::try_from(window).unwrap_or(usize::MAX) {
        return Err(ApiError::invalid(
            "invalid_part_numbers",
            format!("ask for between 1 and {window} parts at a time"),
        )
        .with_details(json!({ "max": window })));
    }
    let plan = upload.plan();
    if let Some(bad) = numbers
        .iter()
        .find(|&&number| plan.part_len(number).is_none())
    {
        return Err(ApiError::invalid(
            "invalid_part_numbers",
            format!(
                "part {bad} is outside this upload's {} parts",
                plan.part_count
            ),
        )
        .with_details(json!({ "part": bad, "part_count": plan.part_count })));
    }
    if let Some(stray) = body
        .checksums
        .keys()
        .find(|number| !numbers.contains(number))
    {
        return Err(ApiError::invalid(
            "invalid_checksum",
            format!("a checksum was sent for part {stray}, which was not asked for"),
        ));
    }
    part_urls::check_checksums(&body.checksums)?;
    if let (Some(recorded), Some(sent)) = (
        upload
            .checksum
            .as_deref()
            .and_then(|c| c.strip_prefix("sha256:")),
        body.checksums.get(&1),
    ) && upload.mode == UploadMode::Single
        && recorded != sent
    {
        return Err(ApiError::invalid(
            "invalid_checksum",
            "this upload's checksum was set at prepare and cannot change",
        )
        .with_details(json!({ "part": 1 })));
    }
    upload.mark_uploading(&ctx.db).await?;
    let temporary = joist.upload_credentials(&upload).await?;
    let signer = joist.signing_credentials(temporary.as_ref()).await?;
    let parts = part_urls::sign(
        &joist,
        &upload,
        &numbers,
        &body.checksums,
        SystemTime::now(),
        &signer,
    );
    Ok(Json(PartsResponse { parts }))
}

/// The route.
pub fn route() -> axum::routing::MethodRouter<SharedContext> {
    axum::routing::post(parts)
}
