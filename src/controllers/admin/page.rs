//! Rendering the admin pages with the engine's own templates, and their error pages.

use std::sync::LazyLock;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

use crate::{Denied, models::listing::ListingError, s3::StoreError};

macro_rules! template {
    ($name:literal) => {
        (
            concat!("joist/admin/", $name),
            include_str!(concat!("../../../assets/views/joist/admin/", $name)),
        )
    };
}

static TERA: LazyLock<tera::Tera> = LazyLock::new(|| {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_templates([
        template!("layout.html"),
        template!("list.html"),
        template!("detail.html"),
        template!("confirm.html"),
        template!("done.html"),
        template!("error.html"),
    ])
    .expect("the admin templates parse (a test renders each)");
    tera
});

/// Why an admin page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The authorizer refused (401 or 403).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// No such upload or action (404).
    #[error("{0}")]
    NotFound(String),
    /// A filter, cursor or form is not valid (400).
    #[error("{0}")]
    BadRequest(String),
    /// The confirmation expired or was made for someone else (403).
    #[error("{0}")]
    BadConfirmation(String),
    /// The store could not be reached (503).
    #[error("the file store is not reachable right now; nothing was left half-done, retry shortly")]
    StoreUnavailable,
    /// Anything else (500); the cause is logged, not shown.
    #[error("something went wrong; the server log has the details")]
    Internal,
}

impl From<ListingError> for AdminError {
    fn from(error: ListingError) -> Self {
        Self::BadRequest(error.to_string())
    }
}

impl From<sea_orm::DbErr> for AdminError {
    fn from(error: sea_orm::DbErr) -> Self {
        tracing::error!(%error, "joist admin: database error");
        Self::Internal
    }
}

impl From<crate::Error> for AdminError {
    fn from(error: crate::Error) -> Self {
        match error {
            crate::Error::Store(StoreError::Unavailable(cause)) => {
                tracing::warn!(%cause, "joist admin: store unavailable");
                Self::StoreUnavailable
            }
            other => {
                tracing::error!(error = %other, "joist admin: failed");
                Self::Internal
            }
        }
    }
}

impl AdminError {
    const fn status(&self) -> StatusCode {
        match self {
            Self::Denied(Denied::Unauthenticated(_)) => StatusCode::UNAUTHORIZED,
            Self::Denied(Denied::Forbidden(_)) | Self::BadConfirmation(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = self.status();
        let context = json!({
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "message": self.to_string(),
            "base": null,
            "admin": null,
        });
        match render("error.html", &context) {
            Ok(page) => (status, page).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

/// Renders `name` with `context` as an HTML page that no cache keeps, no frame shows and no
/// script runs in.
///
/// # Errors
/// [`AdminError::Internal`] when the template fails (a bug; logged).
pub fn render(name: &str, context: &impl Serialize) -> Result<Response, AdminError> {
    let context = tera::Context::from_serialize(context).map_err(|error| {
        tracing::error!(%error, "joist admin: context does not serialize");
        AdminError::Internal
    })?;
    let html = TERA
        .render(&format!("joist/admin/{name}"), &context)
        .map_err(|error| {
            tracing::error!(?error, template = name, "joist admin: template failed");
            AdminError::Internal
        })?;
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' http: https: data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    Ok(response)
}
