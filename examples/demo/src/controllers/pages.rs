//! Pages that are only a template: `/backups`, a form with one upload field of any size up to
//! 5 TiB (where the browser throughput benchmark uploads), and `/spa`, a page without any joist
//! form or assets that uploads with joist.js's headless `upload()`, the way a single-page app does.

use axum::routing::{MethodRouter, get};
use loco_rs::{
    app::AppContext,
    controller::{
        Routes, format,
        views::{ViewEngine, engine::TeraView},
    },
};
use serde_json::json;

/// `GET` rendering `template` with nothing in its context.
fn page(template: &'static str) -> MethodRouter<AppContext> {
    get(move |ViewEngine(v): ViewEngine<TeraView>| async move {
        format::render().view(&v, template, json!({}))
    })
}

/// The routes.
pub fn routes() -> Routes {
    Routes::new()
        .add("/backups", page("backups/index.html"))
        .add("/spa", page("spa/index.html"))
}
