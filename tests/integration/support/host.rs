//! The dummy host app the engine is tested in: joist mounted the way any Loco app mounts it.

use std::path::Path;

use async_trait::async_trait;
use joist::{
    Field, Fields, JoistInitializer,
    admin::JwtAdmins,
    events::Handlers,
    variants::Variant,
    workers::{JoistCleanupWorker, JoistUploadEventWorker},
};
use loco_rs::{
    Result,
    app::{AppContext, Hooks, Initializer},
    bgworker::{BackgroundWorker, Queue},
    boot::{BootResult, StartMode, create_app},
    config::Config,
    controller::AppRoutes,
    environment::Environment,
    task::Tasks,
};
use sea_orm_migration::{MigrationTrait, MigratorTrait};

use super::handlers::{FailsFirst, Recorder};

pub const PUBLIC_DOC: &str = "test.public_doc";
pub const PRIVATE_DOC: &str = "test.private_doc";
pub const PHOTO: &str = "test.photo";
pub const ARCHIVE: &str = "test.archive";
/// Images of 2×2 up to 8000×8000 pixels and at most 40 megapixels.
pub const PICTURE: &str = "test.picture";
/// Takes any type, and skips inspection.
pub const RAW: &str = "test.raw";
/// PDFs (or unknown types) that land in quarantine until finalize promotes them.
pub const QUARANTINED: &str = "test.quarantined";
/// Its finalize handler fails twice per upload, then succeeds.
pub const FLAKY: &str = "test.flaky";
/// Its finalize handler always fails.
pub const BROKEN: &str = "test.broken";
/// Images with three variants (`thumb`, `square`, `jpeg`), delivered publicly under
/// `public_base_url` when it is set.
pub const GALLERY: &str = "test.gallery";
/// The `pid` the host's admin authorizer lets in.
pub const ADMIN: &str = "admin-1";

/// The dummy host's event handlers.
pub fn handlers() -> Handlers {
    Handlers::new()
        .on_prepared(Recorder)
        .on_finalized(Recorder)
        .on_finalized_for(FLAKY, FailsFirst(2))
        .on_finalized_for(BROKEN, FailsFirst(u32::MAX))
}

/// The dummy host's fields.
pub fn fields() -> Fields {
    Fields::new()
        .with(Field::new(PUBLIC_DOC).public().max_size(64 << 20).accept([
            "application/pdf",
            "text/plain",
            "application/octet-stream",
        ]))
        .with(Field::new(PRIVATE_DOC).max_size(64 << 20))
        .with(Field::new(ARCHIVE).public())
        .with(
            Field::new(PICTURE)
                .public()
                .accept(["image/*"])
                .min_dimensions(2, 2)
                .max_dimensions(8000, 8000)
                .max_pixels(40_000_000),
        )
        .with(
            Field::new(QUARANTINED)
                .public()
                .accept(["application/pdf", "application/octet-stream", "text/plain"])
                .quarantine(),
        )
        .with(
            Field::new(RAW)
                .public()
                .accept(["image/png"])
                .skip_inspection(),
        )
        .with(Field::new(FLAKY).public())
        .with(Field::new(BROKEN).public())
        .with(
            Field::new(GALLERY)
                .public()
                .max_size(32 << 20)
                .accept(["image/*"])
                .max_pixels(30_000_000)
                .variant("thumb", Variant::fit(64, 64))
                .variant("square", Variant::fill(32, 32).png())
                .variant("jpeg", Variant::fit(100, 100).jpeg().quality(70))
                .public_delivery(),
        )
        .with(
            Field::new(PHOTO)
                .public()
                .max_size(1 << 20)
                .accept(["image/*"])
                .key_prefix("photos"),
        )
}

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        joist_migration::migrations()
    }
}

pub struct App;

#[async_trait]
impl Hooks for App {
    fn app_name() -> &'static str {
        "joist-test-host"
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
        Ok(vec![Box::new(
            JoistInitializer::new(fields())
                .with_handlers(handlers())
                .with_admin(JwtAdmins::new([ADMIN])),
        )])
    }

    fn routes(ctx: &AppContext) -> AppRoutes {
        AppRoutes::empty()
            .add_route(joist::routes(ctx))
            .add_route(joist::admin_routes(ctx))
    }

    async fn connect_workers(ctx: &AppContext, queue: &Queue) -> Result<()> {
        queue.register(JoistUploadEventWorker::build(ctx)).await?;
        queue.register(JoistCleanupWorker::build(ctx)).await?;
        Ok(())
    }

    fn register_tasks(_tasks: &mut Tasks) {}

    async fn truncate(_ctx: &AppContext) -> Result<()> {
        Ok(())
    }

    async fn seed(_ctx: &AppContext, _base: &Path) -> Result<()> {
        Ok(())
    }
}
