//! The Loco initializer that sets joist up at boot.

use async_trait::async_trait;
use loco_rs::{
    Result,
    app::{AppContext, Initializer},
};

use crate::{Fields, Joist, config::JoistConfig, events::Handlers};

/// Reads `initializers.joist`, sets joist up with the host's fields and shares it with handlers.
/// A bad config stops the boot with a message naming the key.
///
/// ```rust,ignore
/// async fn initializers(_ctx: &AppContext) -> Result<Vec<Box<dyn Initializer>>> {
///     Ok(vec![Box::new(joist::JoistInitializer::new(crate::uploads::fields()))])
/// }
/// ```
#[derive(Debug, Clone)]
pub struct JoistInitializer {
    fields: Fields,
    handlers: Handlers,
}

impl JoistInitializer {
    /// An initializer for these fields, without event handlers.
    #[must_use]
    pub fn new(fields: Fields) -> Self {
        Self {
            fields,
            handlers: Handlers::new(),
        }
    }

    /// Delivers upload events to `handlers` (register `JoistUploadEventWorker` too).
    #[must_use]
    pub fn with_handlers(mut self, handlers: Handlers) -> Self {
        self.handlers = handlers;
        self
    }
}

#[async_trait]
impl Initializer for JoistInitializer {
    fn name(&self) -> String {
        "joist".to_string()
    }

    async fn before_run(&self, ctx: &AppContext) -> Result<()> {
        let config = JoistConfig::from_loco(&ctx.config).map_err(crate::Error::from)?;
        ctx.shared_store.insert(Joist::new(
            config,
            self.fields.clone(),
            self.handlers.clone(),
        )?);
        Ok(())
    }
}
