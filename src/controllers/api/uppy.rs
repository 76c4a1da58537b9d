//! The S3 control calls of Uppy's `@uppy/aws-s3` plugin (its `signRequest` mode), answered in S3's
//! XML through joist's upload token, for `joist-uppy.js`. The token is the `UploadId` Uppy sees
//! and sends back in the `x-joist-token` header; the parts' bytes still go straight to the store.
//!
//! - `POST {api_base_url}/uppy/create`: `InitiateMultipartUploadResult` of an upload `/prepare`
//!   already recorded;
//! - `GET {api_base_url}/uppy/upload`: `ListPartsResult`, the parts the store holds (`/status`);
//! - `POST {api_base_url}/uppy/upload`: `CompleteMultipartUploadResult` once `/finalize` did;
//! - `DELETE {api_base_url}/uppy/upload`: 204 once `/abort` did.
//!
//! Errors are S3's `<Error><Code>` with joist's code (also in `x-amz-error-code`), message and
//! status.

use std::{fmt::Write as _, time::Duration};

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::MethodRouter,
};

use super::{
    abort, access,
    error::ApiError,
    finalize::{self, FinalizeRequest, Finalized},
    status,
};
use crate::{
    Joist,
    controllers::context::SharedContext,
    models::{UploadMode, UploadStatus},
};

/// The header that carries the upload token.
const TOKEN_HEADER: &str = "x-joist-token";

/// An S3 XML answer (or error).
struct Xml(StatusCode, String);

impl IntoResponse for Xml {
    fn into_response(self) -> Response {
        let headers = [
            // exactly `application/xml`: Uppy reads an error's code only then
            (header::CONTENT_TYPE, "application/xml"),
            (header::CACHE_CONTROL, "no-store"),
        ];
        (self.0, headers, self.1).into_response()
    }
}

/// An [`ApiError`] as S3 answers errors.
struct S3Error(ApiError);

impl From<ApiError> for S3Error {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl IntoResponse for S3Error {
    fn into_response(self) -> Response {
        let ApiError {
            status,
            code,
            message,
            ..
        } = self.0;
        let body = document(&format!(
            "<Error><Code>{code}</Code><Message>{}</Message></Error>",
            escape(&message)
        ));
        let mut response = Xml(status, body).into_response();
        response
            .headers_mut()
            .insert("x-amz-error-code", HeaderValue::from_static(code));
        response
    }
}

fn document(body: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}")
}

/// Escapes `text` for an XML element.
fn escape(text: &str) -> String {
    crate::markup::escape(text, "&apos;")
}

fn token(request: &Parts) -> Result<&str, ApiError> {
    request
        .headers
        .get(TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "send the upload token in the `x-joist-token` header",
            )
        })
}

/// Where the object is, as S3's `Location` (the URL without its signature).
fn location(joist: &Joist, key: &str) -> String {
    let url = joist
        .store()
        .download_url(key, Duration::from_secs(1), Vec::new());
    url.split('?').next().unwrap_or_default().to_string()
}

async fn create(State(ctx): State<SharedContext>, request: Parts) -> Result<Xml, S3Error> {
    let token = token(&request)?;
    let access::Opened { joist, upload } = access::open(&ctx, &request, token).await?;
    if upload.mode != UploadMode::Multipart {
        return Err(ApiError::invalid(
            "invalid_request",
            "this upload is a single PUT, not a multipart upload",
        )
        .into());
    }
    let body = format!(
        "<InitiateMultipartUploadResult><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId></InitiateMultipartUploadResult>",
        escape(joist.store().bucket()),
        escape(&upload.key),
        escape(token)
    );
    Ok(Xml(StatusCode::OK, document(&body)))
}

/// The parts to list: those the store holds, or every part once the upload is finalized (a
/// reload after completing resumes straight to complete, which answers the same again).
async fn list(State(ctx): State<SharedContext>, request: Parts) -> Result<Xml, S3Error> {
    let token = token(&request)?;
    let access::Opened { joist, upload } = access::open(&ctx, &request, token).await?;
    let parts: Vec<(u32, String, u64)> = match upload.status {
        UploadStatus::Prepared | UploadStatus::Uploading => status::parts_done(&joist, &upload)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .filter_map(|part| Some((part.number, part.etag?, part.size)))
            .collect(),
        UploadStatus::Checking | UploadStatus::Finalized | UploadStatus::Attached => {
            let plan = upload.plan();
            let etag = upload.etag.clone().unwrap_or_default();
            (1..=plan.part_count)
                .filter_map(|number| Some((number, etag.clone(), plan.part_len(number)?)))
                .collect()
        }
        closed => return Err(closed_error(closed).into()),
    };
    let mut body = format!(
        "<ListPartsResult><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId><IsTruncated>false</IsTruncated>",
        escape(joist.store().bucket()),
        escape(&upload.key),
        escape(token)
    );
    for (number, etag, size) in parts {
        let etag = escape(&format!("\"{}\"", etag.trim_matches('"')));
        let _ = write!(
            body,
            "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag><Size>{size}</Size></Part>"
        );
    }
    body.push_str("</ListPartsResult>");
    Ok(Xml(StatusCode::OK, document(&body)))
}

fn closed_error(status: UploadStatus) -> ApiError {
    ApiError::conflict(
        "upload_closed",
        "this upload was aborted, failed or rejected; start a new one",
    )
    .with_details(serde_json::json!({ "status": status }))
}

/// Finalizes with the parts the store holds (their ETags are the store's); a finalize whose
/// checks run in the background answers too: `joist-uppy.js` waits for them.
async fn complete(State(ctx): State<SharedContext>, request: Parts) -> Result<Xml, S3Error> {
    let token = token(&request)?.to_string();
    let body = FinalizeRequest { token, parts: None };
    let key = match finalize::run(&ctx, &request, body).await? {
        Finalized::Done(answer) => answer.key,
        Finalized::Checking { key, .. } => key,
    };
    let joist = Joist::from_context(&ctx).map_err(ApiError::from)?;
    let body = format!(
        "<CompleteMultipartUploadResult><Location>{}</Location><Bucket>{}</Bucket><Key>{}</Key></CompleteMultipartUploadResult>",
        escape(&location(&joist, &key)),
        escape(joist.store().bucket()),
        escape(&key)
    );
    Ok(Xml(StatusCode::OK, document(&body)))
}

async fn abort(State(ctx): State<SharedContext>, request: Parts) -> Result<StatusCode, S3Error> {
    let token = token(&request)?;
    Ok(abort::run(&ctx, &request, token).await?)
}

/// `POST /uppy/create`.
pub fn create_route() -> MethodRouter<SharedContext> {
    axum::routing::post(create).fallback(not_allowed)
}

/// `GET`, `POST` and `DELETE /uppy/upload`.
pub fn upload_route() -> MethodRouter<SharedContext> {
    axum::routing::get(list)
        .post(complete)
        .delete(abort)
        .fallback(not_allowed)
}

async fn not_allowed() -> S3Error {
    S3Error(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "not an S3 call joist answers for Uppy",
    ))
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
