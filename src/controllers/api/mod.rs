//! The JSON API, protocol v1: `prepare`, `parts`, `status`, `finalize`, `abort`; and the S3 calls
//! of Uppy's `@uppy/aws-s3` answered through it (`uppy`).

mod abort;
mod access;
pub(crate) mod background;
mod checks;
pub mod error;
mod finalize;
mod json;
mod part_urls;
mod parts;
mod prepare;
mod status;
mod uppy;

use axum::{
    http::StatusCode,
    routing::{MethodRouter, get},
};
pub use error::ApiError;
pub use finalize::{FinalizeRequest, FinalizeResponse};
pub use json::ApiJson;
use loco_rs::{app::AppContext, controller::Routes};
pub use part_urls::PartUrl;
pub use parts::{PartsRequest, PartsResponse};
pub use prepare::{PrepareRequest, PrepareResponse};
pub use status::{PartDone, StatusResponse};

use super::context::SharedContext;
use crate::config::JoistConfig;

/// joist's API routes (and its JS, its types, CSS and Uppy adapter) under `api_base_url`; add them in `Hooks::routes`:
///
/// ```no_run
/// # use loco_rs::{app::AppContext, controller::AppRoutes};
/// fn routes(ctx: &AppContext) -> AppRoutes {
///     AppRoutes::with_default_routes().add_route(joist::routes(ctx))
/// }
/// ```
#[must_use]
pub fn routes(ctx: &AppContext) -> Routes {
    let base = JoistConfig::from_loco(&ctx.config)
        .map_or_else(|_| "/api/joist".to_string(), |config| config.api_base_url);
    let shared = SharedContext::new(ctx);
    let serve = |route| shared.serve(route);
    Routes::new()
        .prefix(&base)
        .add("/prepare", serve(post_only(prepare::route())))
        .add("/parts", serve(post_only(parts::route())))
        .add("/status", serve(post_only(status::route())))
        .add("/finalize", serve(post_only(finalize::route())))
        .add("/abort", serve(post_only(abort::route())))
        .add("/uppy/create", serve(uppy::create_route()))
        .add("/uppy/upload", serve(uppy::upload_route()))
        .add("/assets/{file}", serve(get(super::assets::serve)))
        .add("/joist.js", serve(get(super::assets::stable_module)))
        .add("/joist.d.ts", serve(get(super::assets::stable_types)))
        .add(
            "/joist-uppy.js",
            serve(get(super::assets::stable_uppy_module)),
        )
}

/// Answers other methods with a JSON 405, like every other API error.
fn post_only(route: MethodRouter<SharedContext>) -> MethodRouter<SharedContext> {
    route.fallback(|| async {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the joist API takes POST requests with a JSON body",
        )
    })
}
