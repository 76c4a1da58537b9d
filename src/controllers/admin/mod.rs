//! The admin pages: find uploads, see what they are, delete, abort or repair them.
//!
//! Mounted under `admin_base_url` (default `/admin/joist`) and open to whoever the
//! [`AuthorizeAdmin`](crate::admin::AuthorizeAdmin) lets in. Every change is a POST carrying a
//! signed confirmation bound to the admin, runs once per confirmation and is logged.

mod actions;
mod detail;
mod list;
pub mod page;
mod rows;

use axum::{http::request::Parts, routing::get};
use loco_rs::{app::AppContext, controller::Routes};
pub use page::AdminError;

use super::context::SharedContext;
use crate::{Joist, JoistConfig, admin::Admin};

/// The admin routes under `admin_base_url`; add them in `Hooks::routes`:
///
/// ```no_run
/// # use loco_rs::{app::AppContext, controller::AppRoutes};
/// # fn routes(ctx: &AppContext) -> AppRoutes {
/// AppRoutes::with_default_routes()
///     .add_route(joist::routes(ctx))
///     .add_route(joist::admin_routes(ctx))
/// # }
/// ```
#[must_use]
pub fn routes(ctx: &AppContext) -> Routes {
    let base = JoistConfig::from_loco(&ctx.config).map_or_else(
        |_| "/admin/joist".to_string(),
        |config| config.admin_base_url,
    );
    let shared = SharedContext::new(ctx);
    let serve = |route| shared.serve(route);
    Routes::new()
        .prefix(&base)
        .add("/", serve(get(list::list)))
        .add("/uploads/{id}", serve(get(detail::detail)))
        .add(
            "/confirm",
            serve(get(actions::confirm_one).post(actions::confirm_many)),
        )
        .add("/perform", serve(axum::routing::post(actions::perform)))
        .add("/actions/{nonce}", serve(get(actions::done)))
}

/// joist and the admin `request` comes from, or the refusal.
async fn admit(ctx: &AppContext, request: &Parts) -> Result<(Joist, Admin), AdminError> {
    let joist = Joist::from_context(ctx).map_err(AdminError::from)?;
    let admin = joist.admin().authorize_admin(ctx, request).await?;
    Ok((joist, admin))
}

/// The `name=value` pairs of a query string or form body, non-empty values only.
fn pairs(encoded: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded)
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(name, value)| (name.into_owned(), value.trim().to_string()))
        .collect()
}

/// The first value of `name` in `pairs`.
fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}
