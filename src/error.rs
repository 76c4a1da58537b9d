//! joist's error: one variant per subsystem, each a module's own error.

#[cfg(feature = "dev-endpoint")]
use crate::dev_endpoint::DevEndpointError;
use crate::{config::ConfigError, s3::StoreError};

/// What can go wrong setting joist up or talking to its store and database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `initializers.joist` block is missing or wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The embedded development endpoint could not start.
    #[cfg(feature = "dev-endpoint")]
    #[error("joist development endpoint: {0}")]
    DevEndpoint(#[from] DevEndpointError),
    /// The store failed a call.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database failed a query.
    #[error("joist database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// joist is not set up in this app (its initializer did not run).
    #[error("joist is not set up: add `joist::JoistInitializer` to `Hooks::initializers`")]
    NotSetUp,
}

/// joist's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for loco_rs::Error {
    fn from(error: Error) -> Self {
        Self::wrap(error)
    }
}
