//! The Loco initializer that sets joist up at boot.

use std::sync::Arc;

use async_trait::async_trait;
use loco_rs::{
    Result,
    app::{AppContext, Initializer},
    doctor::{Check, CheckStatus},
};

use crate::{
    Fields, Joist,
    admin::{AuthorizeAdmin, DevelopmentOnly},
    config::JoistConfig,
    doctor,
    events::Handlers,
    scan::{Scanner, Scanners},
    tasks,
};

/// Reads `initializers.joist`, sets joist up with the host's fields and shares it with handlers.
/// A bad config stops the boot with a message naming the key.
///
/// ```no_run
/// # use loco_rs::{Result, app::{AppContext, Initializer}};
/// # mod uploads {
/// #     pub fn fields() -> joist::Fields { joist::Fields::new() }
/// # }
/// async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
///     Ok(vec![Box::new(joist::JoistInitializer::new(uploads::fields()))])
/// }
/// ```
#[derive(Clone)]
pub struct JoistInitializer {
    fields: Fields,
    handlers: Handlers,
    admin: Arc<dyn AuthorizeAdmin>,
    scanners: Scanners,
}

impl std::fmt::Debug for JoistInitializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoistInitializer")
            .field("fields", &self.fields)
            .field("handlers", &self.handlers)
            .finish_non_exhaustive()
    }
}

impl JoistInitializer {
    /// An initializer for these fields, without event handlers, with the admin pages open in
    /// development only.
    #[must_use]
    pub fn new(fields: Fields) -> Self {
        Self {
            fields,
            handlers: Handlers::new(),
            admin: Arc::new(DevelopmentOnly),
            scanners: Scanners::default(),
        }
    }

    /// Delivers upload events to `handlers` (register `JoistUploadEventWorker` too).
    #[must_use]
    pub fn with_handlers(mut self, handlers: Handlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Adds a scanner every inspected upload must pass before it gets a field value (after the
    /// ones added before; ClamAV from `checks.clamd` runs last).
    #[must_use]
    pub fn with_scanner(mut self, scanner: impl Scanner) -> Self {
        self.scanners = self.scanners.with(Arc::new(scanner));
        self
    }

    /// Lets `authorizer` decide who may use the admin pages (default: [`DevelopmentOnly`]).
    #[must_use]
    pub fn with_admin(mut self, authorizer: impl AuthorizeAdmin) -> Self {
        self.admin = Arc::new(authorizer);
        self
    }
}

impl JoistInitializer {
    /// joist as set up in `ctx`, setting it up first where the initializer did not run (Loco
    /// runs tasks without initializers).
    ///
    /// # Errors
    /// When the config is wrong or the store settings cannot be resolved.
    pub async fn ensure(&self, ctx: &AppContext) -> crate::Result<Joist> {
        if let Ok(joist) = Joist::from_context(ctx) {
            return Ok(joist);
        }
        let config = JoistConfig::from_loco(&ctx.config)?;
        let joist = Joist::new(
            config,
            self.fields.clone(),
            self.handlers.clone(),
            Arc::clone(&self.admin),
            self.scanners.clone(),
        )
        .await?;
        ctx.shared_store.insert(joist.clone());
        Ok(joist)
    }
}

#[async_trait]
impl Initializer for JoistInitializer {
    fn name(&self) -> String {
        "joist".to_string()
    }

    /// Sets joist up and starts the sweeper that delivers due upload events.
    async fn before_run(&self, ctx: &AppContext) -> Result<()> {
        let joist = self.ensure(ctx).await?;
        crate::events::spawn_sweeper(ctx, &joist);
        Ok(())
    }

    /// Feeds `cargo loco doctor` with joist's probes (see `joist:doctor`).
    async fn check(&self, ctx: &AppContext) -> Result<Option<Check>> {
        let joist = self.ensure(ctx).await?;
        let probes = doctor::run(&joist, &tasks::origins(ctx, joist.config(), None)).await;
        let report = probes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        Ok(Some(Check {
            status: if doctor::healthy(&probes) {
                CheckStatus::Ok
            } else {
                CheckStatus::NotOk
            },
            message: "joist store".to_string(),
            description: Some(report),
        }))
    }
}
