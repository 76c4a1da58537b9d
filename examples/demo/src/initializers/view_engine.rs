//! The Tera view engine, with joist's `joist_field` and `joist_media` registered.

use async_trait::async_trait;
use axum::{Extension, Router as AxumRouter};
use loco_rs::{
    Result,
    app::{AppContext, Initializer},
    controller::views::{ViewEngine, engine::TeraView},
};

/// Builds the view engine and adds it to the router.
pub struct ViewEngineInitializer;

#[async_trait]
impl Initializer for ViewEngineInitializer {
    fn name(&self) -> String {
        "view-engine".to_string()
    }

    async fn after_routes(&self, router: AxumRouter, ctx: &AppContext) -> Result<AxumRouter> {
        let joist = joist::Joist::from_context(ctx)?;
        let engine = TeraView::build_with_post_process(move |tera| {
            joist::views::register(tera, &joist);
            Ok(())
        })?;
        Ok(router.layer(Extension(ViewEngine::from(engine))))
    }
}
