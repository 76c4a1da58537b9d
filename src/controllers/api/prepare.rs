//! `POST /prepare`: record an upload and sign its first URLs.

use std::{
    collections::BTreeMap,
    net::IpAddr,
    time::{Duration, SystemTime},
};

use axum::{
    Json,
    extract::State,
    http::{StatusCode, request::Parts},
};
use chrono::{DateTime, Utc};
use loco_rs::app::AppContext;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    error::ApiError,
    json::ApiJson,
    part_urls::{self, PartUrl},
};
use crate::{
    Field, Joist, Owner,
    config::JoistConfig,
    controllers::context::SharedContext,
    events::{self, UploadEventKind},
    field::{display_name, key_safe, normalize_content_type},
    models::{Upload, UploadMode, uploads::NewUpload},
    s3::{plan::UploadPlan, sts::UploadCredentials},
    signing::{Purpose, UploadClaims},
};

/// The request.
#[derive(Debug, Deserialize)]
pub struct PrepareRequest {
    /// A declared field's name.
    pub field: String,
    /// The file's name on the user's machine.
    pub filename: String,
    /// The file's size in bytes.
    pub size: i64,
    /// The file's type (empty: `application/octet-stream`).
    #[serde(default)]
    pub content_type: String,
    /// The file's SHA-256, standard base64. For a single-PUT upload it is signed into the URL:
    /// the store refuses other bytes, then and on any later PUT. Ignored for multipart uploads
    /// (send part checksums to `/parts`).
    #[serde(default)]
    pub checksum: Option<String>,
}

/// The response.
#[derive(Debug, Serialize)]
pub struct PrepareResponse {
    /// The upload's id.
    pub upload: Uuid,
    /// The token for the other calls.
    pub token: String,
    /// The object key.
    pub key: String,
    /// `single` or `multipart`.
    pub mode: UploadMode,
    /// Size of every part but the last.
    pub part_size: u64,
    /// How many parts.
    pub part_count: u32,
    /// The first window of part URLs.
    pub parts: Vec<PartUrl>,
    /// When these URLs expire.
    pub expires_at: DateTime<Utc>,
    /// The upload's temporary credentials, with `sts_expose_credentials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<ExposedCredentials>,
}

/// What an SDK client needs to upload with the temporary credentials itself.
#[derive(Debug, Serialize)]
pub struct ExposedCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token.
    pub session_token: Option<String>,
    /// When they expire.
    pub expires_at: DateTime<Utc>,
    /// The bucket.
    pub bucket: String,
    /// The only key they may write.
    pub key: String,
    /// The region.
    pub region: String,
    /// The endpoint to use.
    pub endpoint: String,
}

fn check_size(size: i64, field: &Field, config: &JoistConfig) -> Result<u64, ApiError> {
    let size = u64::try_from(size)
        .ok()
        .filter(|size| *size > 0)
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_size",
                "the size must be a whole number of bytes, at least 1",
            )
        })?;
    let limit = field.size_limit().map_or(config.max_object_size, |limit| {
        limit.min(config.max_object_size)
    });
    if size > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("the file is {size} bytes; this field takes at most {limit}"),
        )
        .with_details(json!({ "max_size": limit, "size": size })));
    }
    Ok(size)
}

fn declared_field<'a>(joist: &'a Joist, name: &str) -> Result<&'a Field, ApiError> {
    joist.fields().get(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_field",
            format!(
                "there is no upload field `{}`",
                name.chars().take(100).collect::<String>()
            ),
        )
    })
}

/// Who the rate limit counts: the owner, or the client address of an anonymous upload.
fn client_key(client: Option<IpAddr>, owner: &Owner) -> String {
    match (owner.id(), client) {
        (Some(id), _) => format!("owner:{id}"),
        (None, Some(address)) => format!("ip:{address}"),
        (None, None) => "anonymous".to_string(),
    }
}

fn too_many(code: &'static str, message: String, retry_after: Duration) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
        .with_details(json!({ "retry_after": retry_after.as_secs().max(1) }))
}

fn too_many_unfinished(unfinished: u64, cap: u64) -> ApiError {
    too_many(
        "too_many_unfinished_uploads",
        format!(
            "{unfinished} uploads are still unfinished; finish or abort some first (at most {cap})"
        ),
        Duration::from_mins(1),
    )
}

/// `max_unfinished_uploads` (a first look; the insert checks it again, atomically), then
/// `prepare_rate_limit` (a call refused for the first is not counted by the second).
async fn check_limits(
    ctx: &AppContext,
    joist: &Joist,
    client: Option<IpAddr>,
    owner: &Owner,
) -> Result<(), ApiError> {
    let config = joist.config();
    if let Some(id) = owner.id()
        && config.max_unfinished_uploads > 0
    {
        let unfinished = Upload::unfinished_count(&ctx.db, id).await?;
        if unfinished >= config.max_unfinished_uploads {
            return Err(too_many_unfinished(
                unfinished,
                config.max_unfinished_uploads,
            ));
        }
    }
    let counted = joist
        .prepare_limiter()
        .check(&ctx.db, &client_key(client, owner), SystemTime::now())
        .await
        .map_err(|error| {
            tracing::error!(%error, "joist could not count the prepare rate limit");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "limits_unavailable",
                "uploads cannot be started right now; please retry shortly",
            )
        })?;
    counted.map_err(|wait| {
        tracing::warn!(client = ?client, owner = owner.id(), "joist prepare rate limited");
        too_many(
            "rate_limited",
            format!(
                "at most {} uploads a minute; retry in {} s",
                config.prepare_rate_limit,
                wait.as_secs().max(1)
            ),
            wait,
        )
    })
}

/// The checksum a single upload is signed with: the client's, checked; required by
/// `require_checksum`.
fn single_checksum(
    sent: Option<String>,
    mode: UploadMode,
    config: &JoistConfig,
) -> Result<Option<String>, ApiError> {
    match (mode, sent) {
        (UploadMode::Single, Some(checksum)) if part_urls::is_sha256(&checksum) => {
            Ok(Some(checksum))
        }
        (UploadMode::Single, Some(_)) => Err(ApiError::invalid(
            "invalid_checksum",
            "`checksum` is not a base64 SHA-256 digest",
        )),
        (UploadMode::Single, None) if config.require_checksum => Err(ApiError::invalid(
            "checksum_required",
            "send the file's SHA-256 (standard base64) as `checksum`",
        )),
        (UploadMode::Multipart, _) | (UploadMode::Single, None) => Ok(None),
    }
}

/// Records the upload within `max_unfinished_uploads` and raises its `prepared` event when a
/// handler listens; a refused or failed record aborts the multipart upload already created for
/// it.
async fn record(
    ctx: &AppContext,
    joist: &Joist,
    new: NewUpload,
    s3_upload_id: Option<&str>,
) -> Result<Upload, ApiError> {
    let landing = new.landing_key.clone().unwrap_or_else(|| new.key.clone());
    let event = new.event;
    let cap = joist.config().max_unfinished_uploads;
    let created = Upload::create_within_cap(&ctx.db, joist.inserts(), new, cap)
        .await
        .map_err(ApiError::from);
    let created = created.and_then(|within| within.map_err(|n| too_many_unfinished(n, cap)));
    if created.is_err()
        && let Some(s3_upload_id) = s3_upload_id
    {
        let _ = joist.store().abort(&landing, s3_upload_id).await;
    }
    if let Ok(upload) = &created {
        events::raise(ctx, joist, upload.id, event).await;
    }
    created
}

async fn prepare(
    State(ctx): State<SharedContext>,
    mut request: Parts,
    ApiJson(body): ApiJson<PrepareRequest>,
) -> Result<(StatusCode, Json<PrepareResponse>), ApiError> {
    let joist = Joist::from_context(&ctx)?;
    let config = joist.config();
    let field = declared_field(&joist, &body.field)?;
    let owner = field.authorizer().authorize(&ctx, &request, field).await?;
    let client = joist.client_address(&mut request).await;
    check_limits(&ctx, &joist, client, &owner).await?;
    let filename = display_name(&body.filename)?;
    let content_type = normalize_content_type(&body.content_type)?;
    let size = check_size(body.size, field, config)?;
    if !field.accepts(&content_type) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "type_not_allowed",
            format!("this field does not take `{content_type}` files"),
        )
        .with_details(json!({ "accepted": field.accepted_types() })));
    }
    let plan =
        UploadPlan::new(size, config.multipart_threshold, config.part_size).map_err(|error| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file_too_large",
                error.to_string(),
            )
        })?;

    let id = Uuid::new_v4();
    let key = format!(
        "{}{}/{id}/{}",
        config.upload_prefix,
        field.key_segment(),
        key_safe(&filename)
    );
    let checksum = single_checksum(body.checksum, plan.mode, config)?;
    let landing_key = field
        .quarantined(config)
        .then(|| format!("{}{key}", config.checks.quarantine_prefix));
    let landing = landing_key.as_deref().unwrap_or(&key);
    let s3_upload_id = match plan.mode {
        UploadMode::Multipart => Some(
            joist
                .store()
                .create_multipart(landing, &content_type)
                .await?,
        ),
        UploadMode::Single => None,
    };
    let new = NewUpload {
        id,
        field: field.name().to_string(),
        key: key.clone(),
        filename,
        content_type,
        plan,
        s3_upload_id: s3_upload_id.clone(),
        owner: owner.id().map(str::to_string),
        checksum: checksum.map(|checksum| format!("sha256:{checksum}")),
        landing_key,
        event: joist.listening(UploadEventKind::Prepared, field.name()),
    };
    let upload = record(&ctx, &joist, new, s3_upload_id.as_deref()).await?;
    tracing::info!(upload = %id, client = ?client, owner = upload.owner.as_deref(), "joist upload prepared");

    let now = SystemTime::now();
    let now_utc: DateTime<Utc> = now.into();
    let claims = UploadClaims {
        upload: id,
        field: upload.field.clone(),
        key: key.clone(),
        owner: upload.owner.clone(),
        expires_at: now_utc.timestamp()
            + i64::try_from(config.token_lifetime).unwrap_or(i64::MAX / 2),
    };
    let first_window: Vec<u32> = (1..=plan.part_count.min(config.part_url_window)).collect();
    let temporary = joist.upload_credentials(&upload).await?;
    let signer = joist.signing_credentials(temporary.as_ref()).await?;
    let parts = part_urls::sign(
        &joist,
        &upload,
        &first_window,
        &BTreeMap::new(),
        now,
        &signer,
    );
    let credentials = temporary
        .filter(|_| config.sts_expose_credentials)
        .map(|temporary| ExposedCredentials::new(&joist, &key, temporary));
    let response = PrepareResponse {
        upload: id,
        token: joist.signer().sign(Purpose::UploadToken, &claims),
        key,
        mode: plan.mode,
        part_size: plan.part_size,
        part_count: plan.part_count,
        parts,
        expires_at: now_utc + signer.lifetime(config.url_lifetime(), now),
        credentials,
    };
    Ok((StatusCode::CREATED, Json(response)))
}

impl ExposedCredentials {
    fn new(joist: &Joist, key: &str, temporary: UploadCredentials) -> Self {
        let config = joist.config();
        Self {
            access_key_id: temporary.credentials.access_key_id,
            secret_access_key: temporary.credentials.secret_access_key,
            session_token: temporary.credentials.session_token,
            expires_at: temporary.expires_at.into(),
            bucket: config.bucket().to_string(),
            key: key.to_string(),
            region: config.region.clone(),
            endpoint: joist.store().public_endpoint(),
        }
    }
}

/// The route.
pub fn route() -> axum::routing::MethodRouter<SharedContext> {
    axum::routing::post(prepare)
}
