//! joist.js and joist.css, served by the engine at versioned URLs with immutable caching, so
//! hosts copy nothing.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use super::api::ApiError;

/// An engine asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// The uploader module.
    Js,
    /// Its stylesheet.
    Css,
}

struct Served {
    file_name: String,
    content_type: &'static str,
    body: &'static str,
}

fn served(stem: &str, extension: &str, content_type: &'static str, body: &'static str) -> Served {
    let digest = format!("{:x}", Sha256::digest(body.as_bytes()));
    Served {
        file_name: format!("{stem}.{}.{extension}", &digest[..12]),
        content_type,
        body,
    }
}

static JS: LazyLock<Served> = LazyLock::new(|| {
    served(
        "joist",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/static/joist/joist.js"),
    )
});
static CSS: LazyLock<Served> = LazyLock::new(|| {
    served(
        "joist",
        "css",
        "text/css; charset=utf-8",
        include_str!("../../assets/static/joist/joist.css"),
    )
});

fn asset(asset: Asset) -> &'static Served {
    match asset {
        Asset::Js => &JS,
        Asset::Css => &CSS,
    }
}

/// The versioned URL of `asset` under `api_base_url` (changes whenever the file does).
#[must_use]
pub fn url(api_base_url: &str, which: Asset) -> String {
    format!("{api_base_url}/assets/{}", asset(which).file_name)
}

/// `GET {api_base_url}/assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(found) = [Asset::Js, Asset::Css]
        .into_iter()
        .map(asset)
        .find(|served| served.file_name == file)
    else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_asset",
            "no such joist asset",
        )
        .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, found.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        found.body,
    )
        .into_response()
}
