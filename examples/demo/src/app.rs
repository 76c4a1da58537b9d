//! The demo's Loco hooks: joist mounted like in any host.

use std::path::Path;

use async_trait::async_trait;
use joist::workers::{JoistCleanupWorker, JoistUploadEventWorker};
use loco_rs::{
    Result,
    app::{AppContext, Hooks, Initializer},
    bgworker::{BackgroundWorker, Queue},
    boot::{BootResult, StartMode, create_app},
    config::Config,
    controller::AppRoutes,
    db::truncate_table,
    environment::Environment,
    task::Tasks,
};
use migration::Migrator;

use crate::{
    controllers, fields, initializers,
    models::_entities::{cars, photos},
};

/// The demo app.
pub struct App;

#[async_trait]
impl Hooks for App {
    fn app_name() -> &'static str {
        env!("CARGO_CRATE_NAME")
    }

    fn app_version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    async fn boot(
        mode: StartMode,
        environment: &Environment,
        config: Config,
    ) -> Result<BootResult> {
        create_app::<Self, Migrator>(mode, environment, config).await
    }

    async fn after_context(ctx: AppContext) -> Result<AppContext> {
        joist::database::reopen_pool(ctx).await
    }

    async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
        Ok(vec![
            Box::new(fields::joist()),
            Box::new(initializers::view_engine::ViewEngineInitializer),
        ])
    }

    fn routes(ctx: &AppContext) -> AppRoutes {
        AppRoutes::with_default_routes()
            .add_route(joist::routes(ctx))
            .add_route(joist::admin_routes(ctx))
            .add_route(controllers::cars::routes())
            .add_route(controllers::car_pages::routes())
            .add_route(controllers::photos::routes())
            .add_route(controllers::pages::routes())
            .add_route(controllers::uppy::routes())
    }

    async fn connect_workers(ctx: &AppContext, queue: &Queue) -> Result<()> {
        queue.register(JoistUploadEventWorker::build(ctx)).await?;
        queue.register(JoistCleanupWorker::build(ctx)).await?;
        Ok(())
    }

    fn register_tasks(tasks: &mut Tasks) {
        tasks.register(joist::tasks::Cors::new(fields::joist()));
        tasks.register(joist::tasks::Cleanup::new(fields::joist()));
        tasks.register(joist::tasks::Doctor::new(fields::joist()));
    }

    async fn truncate(ctx: &AppContext) -> Result<()> {
        truncate_table(&ctx.db, cars::Entity).await?;
        truncate_table(&ctx.db, photos::Entity).await?;
        Ok(())
    }

    async fn seed(_ctx: &AppContext, _base: &Path) -> Result<()> {
        Ok(())
    }
}
