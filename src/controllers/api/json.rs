//! A JSON body extractor whose rejections are JSON errors, and which reads a refused body to
//! its end (within a bound) so a keep-alive connection can carry the next request.

use std::time::Duration;

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{FromRequest, Request},
    http::StatusCode,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The largest JSON body the API reads (a `finalize` of 10,000 parts takes about 600 KB).
/// The host's `server.middlewares.limit_payload` applies too, when smaller.
pub const MAX_BODY: usize = 2 << 20;
/// How much of a body past [`MAX_BODY`] is read and dropped, so the connection stays usable;
/// past it the connection is closed.
const DRAIN_AT_MOST: usize = 64 << 20;
/// How long the drain may take.
const DRAIN_FOR: Duration = Duration::from_secs(10);

/// Like [`axum::Json`], but a wrong media type, bad JSON or missing fields answer with
/// [`ApiError`] (415, 400, 422), and a body over [`MAX_BODY`] with 413 `request_too_large`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
        "the request body is too large or could not be read",
    )
}

/// Reads `body` up to [`MAX_BODY`]; a longer one is drained (within the bounds) and refused.
async fn read_bounded(body: Body) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut over = 0_usize;
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| too_large())?;
            if over == 0 && kept.len() + chunk.len() <= MAX_BODY {
                kept.extend_from_slice(&chunk);
                continue;
            }
            over += chunk.len();
            if over > DRAIN_AT_MOST {
                break;
            }
        }
        Ok::<_, ApiError>(())
    };
    tokio::time::timeout(DRAIN_FOR, read)
        .await
        .map_err(|_| too_large())??;
    if over > 0 {
        return Err(too_large());
    }
    Ok(Bytes::from(kept))
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = read_bounded(body).await?;
        let request = Request::from_parts(parts, Body::from(bytes));
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}
