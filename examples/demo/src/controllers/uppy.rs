//! `/uppy`: Uppy's Dashboard uploading through joist with the stock `@uppy/aws-s3` plugin,
//! configured by joist's adapter (`/api/joist/joist-uppy.js`). Uppy's own files come from npm
//! (`npm ci --prefix examples/demo`), read from `examples/demo/node_modules` when asked.

use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use loco_rs::{
    Result,
    app::AppContext,
    controller::{
        Routes, format,
        views::{ViewEngine, engine::TeraView},
    },
};
use serde_json::json;

const NODE_MODULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/node_modules");

/// What the page loads from `node_modules`: the `uppy` bundle and its CSS, `@uppy/aws-s3` 6.3
/// (the bundle's 6.1 sends no signed headers) and the few files of `@uppy/core` it imports.
const SERVED: [&str; 4] = [
    "uppy/dist/",
    "@uppy/aws-s3/lib/",
    "@uppy/aws-s3/package.json",
    "@uppy/core/lib/",
];

fn installed() -> bool {
    std::path::Path::new(NODE_MODULES)
        .join("@uppy/aws-s3/package.json")
        .is_file()
}

async fn index(
    ViewEngine(v): ViewEngine<TeraView>,
    State(_ctx): State<AppContext>,
) -> Result<Response> {
    format::render().view(&v, "uppy/index.html", json!({ "installed": installed() }))
}

fn not_found(code: &str, message: &str) -> Response {
    let body = json!({ "error": { "code": code, "message": message } });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /uppy/vendor/{path}`: one of the [`SERVED`] npm files.
async fn vendor(Path(path): Path<String>) -> Response {
    let clean = !path
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == "..");
    if !clean || !SERVED.iter().any(|served| path.starts_with(served)) {
        return not_found("unknown_file", "the demo serves no such file");
    }
    match tokio::fs::read(std::path::Path::new(NODE_MODULES).join(&path)).await {
        Ok(bytes) => {
            let headers = [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, "no-cache"),
            ];
            (headers, bytes).into_response()
        }
        Err(_) if !installed() => not_found(
            "not_installed",
            "Uppy is not installed: run `npm ci --prefix examples/demo`",
        ),
        Err(_) => not_found("unknown_file", "no such file in node_modules"),
    }
}

/// `GET /uppy/shim/{file}`: the modules the import map names for `@uppy/core`.
async fn shim(Path(file): Path<String>) -> Response {
    let body = match file.as_str() {
        "core.mjs" => include_str!("../../assets/uppy/core.mjs"),
        "core-utils.mjs" => include_str!("../../assets/uppy/core-utils.mjs"),
        _ => return not_found("unknown_file", "the demo serves no such file"),
    };
    let headers = [
        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    (headers, body).into_response()
}

/// The routes.
pub fn routes() -> Routes {
    Routes::new()
        .add("/uppy", axum::routing::get(index))
        .add("/uppy/vendor/{*path}", axum::routing::get(vendor))
        .add("/uppy/shim/{file}", axum::routing::get(shim))
}
