//! joist.js, its types (joist.d.ts), joist.css and the Uppy adapter (joist-uppy.js), served by
//! the engine at versioned URLs with immutable caching, so hosts copy nothing; the modules and
//! the types also at stable URLs (`{api_base_url}/joist.js`, `/joist.d.ts`, `/joist-uppy.js`)
//! with a short cache, for pages that do not render `joist_media()`.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use super::api::ApiError;

/// An engine asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// The uploader module.
    Js,
    /// Its TypeScript declarations.
    Types,
    /// Its stylesheet.
    Css,
    /// The options of Uppy's `@uppy/aws-s3` plugin that upload through joist.
    Uppy,
}

const ALL: [Asset; 4] = [Asset::Js, Asset::Types, Asset::Css, Asset::Uppy];

/// How long a browser keeps the stable URLs' copies before asking again (then a 304 if unchanged).
const STABLE_MAX_AGE: &str = "public, max-age=300, must-revalidate";

struct Served {
    file_name: String,
    etag: String,
    content_type: &'static str,
    body: &'static str,
}

fn served(stem: &str, extension: &str, content_type: &'static str, body: &'static str) -> Served {
    let digest = format!("{:x}", Sha256::digest(body.as_bytes()));
    Served {
        file_name: format!("{stem}.{}.{extension}", &digest[..12]),
        etag: format!("\"{}\"", &digest[..32]),
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
static TYPES: LazyLock<Served> = LazyLock::new(|| {
    served(
        "joist",
        "d.ts",
        "application/typescript; charset=utf-8",
        include_str!("../../assets/static/joist/joist.d.ts"),
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

static UPPY: LazyLock<Served> = LazyLock::new(|| {
    served(
        "joist-uppy",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/static/joist/joist-uppy.js"),
    )
});

fn asset(asset: Asset) -> &'static Served {
    match asset {
        Asset::Js => &JS,
        Asset::Types => &TYPES,
        Asset::Css => &CSS,
        Asset::Uppy => &UPPY,
    }
}

/// The versioned URL of `asset` under `api_base_url` (changes whenever the file does).
#[must_use]
pub fn url(api_base_url: &str, which: Asset) -> String {
    format!("{api_base_url}/assets/{}", asset(which).file_name)
}

/// `GET {api_base_url}/assets/{file}`: cached for a year (the name changes with the file).
pub async fn serve(Path(file): Path<String>, request: HeaderMap) -> Response {
    let Some(found) = ALL
        .into_iter()
        .find(|&which| asset(which).file_name == file)
    else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_asset",
            "no such joist asset",
        )
        .into_response();
    };
    let types = (found == Asset::Js).then(|| format!("./{}", asset(Asset::Types).file_name));
    respond(
        found,
        &request,
        "public, max-age=31536000, immutable",
        types,
    )
}

/// `GET {api_base_url}/joist.js`: the module at a stable URL, revalidated every five minutes.
pub async fn stable_module(request: HeaderMap) -> Response {
    let types = Some("./joist.d.ts".to_string());
    respond(Asset::Js, &request, STABLE_MAX_AGE, types)
}

/// `GET {api_base_url}/joist.d.ts`: the module's types at a stable URL.
pub async fn stable_types(request: HeaderMap) -> Response {
    respond(Asset::Types, &request, STABLE_MAX_AGE, None)
}

/// `GET {api_base_url}/joist-uppy.js`: the Uppy adapter at a stable URL.
pub async fn stable_uppy_module(request: HeaderMap) -> Response {
    respond(Asset::Uppy, &request, STABLE_MAX_AGE, None)
}

/// `which` with `cache_control`, or 304 when the request's `If-None-Match` names its ETag. The
/// module points tools that read `X-TypeScript-Types` (Deno and loaders like it) at `types`.
fn respond(
    which: Asset,
    request: &HeaderMap,
    cache_control: &'static str,
    types: Option<String>,
) -> Response {
    let found = asset(which);
    let headers = [
        (header::CONTENT_TYPE, found.content_type.to_string()),
        (header::CACHE_CONTROL, cache_control.to_string()),
        (header::ETAG, found.etag.clone()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
    ];
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == found.etag));
    let mut response = if unchanged {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, found.body).into_response()
    };
    if let Some(value) = types.and_then(|types| types.parse().ok()) {
        response.headers_mut().insert("x-typescript-types", value);
    }
    response
}
