//! `/backups`: a form with one upload field of any size up to 5 TiB, where the browser
//! throughput benchmark uploads.

use axum::{extract::State, response::Response};
use loco_rs::{
    Result,
    app::AppContext,
    controller::{
        Routes, format,
        views::{ViewEngine, engine::TeraView},
    },
};
use serde_json::json;

async fn index(
    ViewEngine(v): ViewEngine<TeraView>,
    State(_ctx): State<AppContext>,
) -> Result<Response> {
    format::render().view(&v, "backups/index.html", json!({}))
}

/// The route.
pub fn routes() -> Routes {
    Routes::new().add("/backups", axum::routing::get(index))
}
