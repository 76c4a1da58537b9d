//! `/spa`: a page without any joist form or assets that uploads with joist.js's headless
//! `upload()`, the way a single-page app does.

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
    format::render().view(&v, "spa/index.html", json!({}))
}

/// The route.
pub fn routes() -> Routes {
    Routes::new().add("/spa", axum::routing::get(index))
}
