//! The one place API errors become HTTP: `{"error": {"code", "message", "details"}}`.

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{
    AttachError, Error,
    field::{ContentTypeError, Denied, FilenameError},
    s3::StoreError,
    signing::SigningError,
};

/// An error answer of the JSON API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable snake_case code clients can branch on.
    pub code: &'static str,
    /// A sentence for humans.
    pub message: String,
    /// Machine-readable specifics.
    pub details: Option<Value>,
}

impl ApiError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Adds details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 422 with `code`.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 409 with `code`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// Something unexpected: logged, and answered without revealing anything.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "joist API failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side; please try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self
            .details
            .as_ref()
            .and_then(|details| details.get("retry_after"))
            .and_then(Value::as_u64);
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(details) = self.details {
            error["details"] = details;
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if self.code == "request_too_large" {
            // the body may be left partly unread: the connection cannot carry another request
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request as JSON with `Content-Type: application/json`",
            ),
            JsonRejection::JsonSyntaxError(error) => Self::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {}", error.body_text()),
            ),
            JsonRejection::JsonDataError(error) => Self::invalid(
                "invalid_request",
                format!(
                    "the request does not have the expected fields: {}",
                    error.body_text()
                ),
            ),
            JsonRejection::BytesRejection(_) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                "the request body is too large or could not be read",
            ),
            other => Self::new(StatusCode::BAD_REQUEST, "bad_request", other.body_text()),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Unauthenticated(message) => {
                Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
            }
            Denied::Forbidden(message) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
        }
    }
}

impl From<SigningError> for ApiError {
    fn from(error: SigningError) -> Self {
        match error {
            SigningError::Expired => Self::new(
                StatusCode::GONE,
                "token_expired",
                "the upload token has expired; start the upload again",
            ),
            SigningError::Malformed | SigningError::BadSignature => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the upload token is not valid",
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "joist store unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the file store is not reachable right now; please retry shortly",
                )
            }
            StoreError::NotFound => {
                Self::conflict("upload_gone", "the store no longer holds this upload")
            }
            StoreError::InvalidParts(cause) => Self::invalid(
                "etag_mismatch",
                "the store refused the uploaded parts; their ETags do not match",
            )
            .with_details(json!({ "store": cause })),
        }
    }
}

impl From<FilenameError> for ApiError {
    fn from(error: FilenameError) -> Self {
        Self::invalid("invalid_filename", error.to_string())
    }
}

impl From<ContentTypeError> for ApiError {
    fn from(error: ContentTypeError) -> Self {
        Self::invalid("invalid_content_type", error.to_string())
    }
}

impl From<AttachError> for ApiError {
    fn from(error: AttachError) -> Self {
        match error {
            AttachError::Database(error) => Self::internal(&error),
            refused => Self::invalid("invalid_field_value", refused.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        match error {
            // Every pooled connection stayed busy past the pool's wait (`connect_timeout`): an
            // overloaded database, not a broken request; nothing was recorded.
            sea_orm::DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout) => {
                tracing::warn!(%error, "joist could not get a database connection in time");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_busy",
                    "the server is busy right now; please retry shortly",
                )
                .with_details(json!({ "retry_after": 1 }))
            }
            other => Self::internal(&other),
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::Store(store) => store.into(),
            other => Self::internal(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use sea_orm::{DbErr, error::ConnAcquireErr};

    use super::ApiError;

    #[test]
    fn a_pool_that_stays_busy_is_a_503_to_retry_and_other_database_errors_a_500() {
        let busy = ApiError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(
            (busy.status, busy.code),
            (StatusCode::SERVICE_UNAVAILABLE, "database_busy")
        );
        assert_eq!(busy.details, Some(serde_json::json!({ "retry_after": 1 })));
        let broken = ApiError::from(DbErr::Custom("no such table".into()));
        assert_eq!(
            (broken.status, broken.code),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
        );
    }
}
