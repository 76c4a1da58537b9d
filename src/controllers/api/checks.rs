//! What finalize checks in the stored object before it issues a field value: its size, its real
//! type and image dimensions, the host's scanners; then a quarantined object is promoted to its
//! key. A file that fails is recorded as such, deleted (or kept, `checks.keep_rejected`), and
//! answered 422.

use axum::http::StatusCode;
use loco_rs::app::AppContext;
use serde_json::json;

use super::error::ApiError;
use crate::{
    FileMetadata, Joist,
    config::ScanUnavailable,
    events::{self, UploadEventKind},
    inspect::{self, Refusal},
    models::{Upload, UploadStatus, uploads::Changes},
    s3::{ObjectInfo, Store, StoreError},
    scan::{Finding, ScanError, ScanTarget},
};

/// The statuses finalize moves an upload from.
pub const OPEN: [UploadStatus; 2] = [UploadStatus::Prepared, UploadStatus::Uploading];

/// The statuses a check may refuse an upload in: open, or checking in the background.
const CHECKABLE: [UploadStatus; 3] = [
    UploadStatus::Prepared,
    UploadStatus::Uploading,
    UploadStatus::Checking,
];

/// An ETag without its quotes.
pub fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

/// Whether `upload`'s checks run in the background (finalize answers 202 `checking`): when they
/// may take long (scanners to run, or a promotion from quarantine) and the file has at least
/// `checks.background_above` bytes.
pub fn in_background(joist: &Joist, upload: &Upload) -> bool {
    let scanned = !joist.scanners().is_empty()
        && joist
            .fields()
            .get(&upload.field)
            .is_some_and(crate::Field::inspects);
    let size = upload.byte_size();
    (scanned || upload.landing_key.is_some()) && size >= joist.config().checks.background_above
}

/// Where the upload's object is: where it landed, or (quarantined, promoted by an earlier
/// finalize that stopped before recording it) at its key.
///
/// # Errors
/// When the store cannot be reached.
pub async fn locate<'a>(
    store: &Store,
    upload: &'a Upload,
) -> Result<Option<(ObjectInfo, &'a str)>, StoreError> {
    if let Some(object) = store.head(upload.landing()).await? {
        return Ok(Some((object, upload.landing())));
    }
    if upload.landing_key.is_some()
        && let Some(object) = store.head(&upload.key).await?
    {
        return Ok(Some((object, &upload.key)));
    }
    Ok(None)
}

/// Records `upload` as `status` (`failed` or `rejected`) with `reason`, raising `event`, and
/// deletes what the store holds (a rejected one stays with `checks.keep_rejected`). Returns
/// `answer`, or the error that kept it from being recorded.
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
    match Upload::transition_raising(&ctx.db, upload.id, (&CHECKABLE[..], status), changes, event)
        .await
    {
        Ok(Some(refused)) => events::raise(ctx, joist, refused.id, event).await,
        Ok(None) => {}
        Err(error) => return error.into(),
    }
    if status == UploadStatus::Rejected && joist.config().checks.keep_rejected {
        return answer;
    }
    for key in upload.stored_keys() {
        if let Err(error) = joist.store().delete(&key).await {
            return error.into();
        }
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
    let declared = upload.byte_size();
    let reason = format!("the store holds {stored} bytes, {declared} were declared");
    let answer = ApiError::invalid(
        "size_mismatch",
        "the stored file's size differs from the declared size",
    )
    .with_details(json!({ "declared": declared, "stored": stored }));
    let failed = (UploadStatus::Failed, reason);
    refuse(ctx, joist, upload, failed, event, answer).await
}

fn refusal_answer(refusal: &Refusal) -> ApiError {
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

/// Why a scan refused the file, or kept it from being decided, as recorded and answered.
fn scan_refusal(outcome: Result<Finding, ScanError>) -> (String, ApiError) {
    match outcome {
        Ok(Finding { scanner, signature }) => {
            let reason = format!("the file was refused by a scan: {signature} ({scanner})");
            let details = json!({ "scanner": scanner, "signature": signature });
            let answer = ApiError::invalid("infected", reason.clone()).with_details(details);
            (reason, answer)
        }
        Err(error) => (
            error.to_string(),
            ApiError::invalid(
                "scan_failed",
                format!("the file could not be scanned: {error}"),
            ),
        ),
    }
}

/// Runs every check on `upload`'s object at `at` and, in quarantine, promotes it to its key:
/// its metadata, or (the upload rejected, the object deleted, `event` raised) the 422 that says
/// why it was refused.
///
/// # Errors
/// The refusal; 503 when the store or a scanner cannot give an answer (nothing recorded,
/// finalize may be repeated).
pub async fn passed(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    event: Option<UploadEventKind>,
    at: &str,
) -> Result<FileMetadata, ApiError> {
    let Some(field) = joist.fields().get(&upload.field) else {
        return Ok(FileMetadata::default());
    };
    let reject = |reason: String, answer: ApiError| async move {
        tracing::info!(upload = %upload.id, field = %upload.field, %reason, "upload rejected");
        let rejected = (UploadStatus::Rejected, reason);
        Err(refuse(ctx, joist, upload, rejected, event, answer).await)
    };
    let store = joist.store();
    let metadata = match inspect::inspect(store, field, upload, at).await? {
        Ok(metadata) => metadata,
        Err(refusal) => return reject(refusal.to_string(), refusal_answer(&refusal)).await,
    };
    if field.inspects() {
        let size = upload.byte_size();
        let target = ScanTarget {
            store,
            key: at,
            size,
        };
        match joist.scanners().scan(target).await {
            Ok(None) => {}
            Ok(Some(finding)) => {
                let (reason, answer) = scan_refusal(Ok(finding));
                return reject(reason, answer).await;
            }
            // An answer that is no verdict (garbage, a size limit) will not improve with time.
            Err(error)
                if matches!(error, ScanError::NoVerdict(_))
                    || joist.config().checks.scan_unavailable == ScanUnavailable::Reject =>
            {
                let (reason, answer) = scan_refusal(Err(error));
                return reject(reason, answer).await;
            }
            Err(error) => {
                tracing::warn!(upload = %upload.id, %error, "joist could not scan an upload");
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "scanner_unavailable",
                    "the file cannot be checked right now; finalize again in a moment",
                ));
            }
        }
    }
    if at != upload.key {
        // Copied before the quarantine copy goes: a crash between leaves one of them.
        let size = upload.byte_size();
        store.copy(at, &upload.key, size).await?;
        store.delete(at).await?;
    }
    Ok(metadata)
}

/// Runs every check on the object (`object` at `at`) and records the upload finalized, from one
/// of `from`, raising `event`: the finalized record, or `None` when another call changed the
/// upload first.
///
/// # Errors
/// As [`passed`], or when the database fails.
pub async fn check_and_record(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    (from, event): (&[UploadStatus], Option<UploadEventKind>),
    (object, at): (ObjectInfo, &str),
) -> Result<Option<Upload>, ApiError> {
    let metadata = passed(ctx, joist, upload, event, at).await?;
    let object = if at == upload.key {
        object
    } else {
        joist.store().head(&upload.key).await?.unwrap_or(object)
    };
    let changes = Changes {
        metadata: Some(upload.metadata_with(metadata.to_map())),
        etag: object.etag.map(|etag| unquote(&etag).to_string()),
        checksum: object
            .checksum_sha256
            .map(|checksum| format!("sha256:{checksum}")),
        finalized: true,
        ..Changes::default()
    };
    let to = (from, UploadStatus::Finalized);
    let moved = Upload::transition_raising(&ctx.db, upload.id, to, changes, event).await?;
    if let Some(finalized) = &moved {
        events::raise(ctx, joist, finalized.id, event).await;
    }
    Ok(moved)
}
