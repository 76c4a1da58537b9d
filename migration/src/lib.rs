//! joist's tables: `joist_uploads`, the events' outbox `joist_events`, the admin's
//! `joist_admin_actions` and the limits' `joist_limit_counters`.
//!
//! A host appends [`migrations`] to its own `Migrator`:
//!
//! ```
//! use sea_orm_migration::prelude::*;
//! # mod m20240101_000001_cars {
//! #     use sea_orm_migration::prelude::*;
//! #     #[derive(DeriveMigrationName)]
//! #     pub struct Migration;
//! #     #[sea_orm_migration::async_trait::async_trait]
//! #     impl MigrationTrait for Migration {
//! #         async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> { Ok(()) }
//! #     }
//! # }
//!
//! pub struct Migrator;
//!
//! #[sea_orm_migration::async_trait::async_trait]
//! impl MigratorTrait for Migrator {
//!     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
//!         let mut list: Vec<Box<dyn MigrationTrait>> = vec![Box::new(m20240101_000001_cars::Migration)];
//!         list.extend(joist_migration::migrations());
//!         list
//!     }
//! }
//! assert_eq!(Migrator::migrations().len(), 1 + joist_migration::migrations().len());
//! ```

mod m20261125_000001_create_joist_uploads;
mod m20261125_000002_add_joist_upload_events;
mod m20261125_000003_create_joist_admin_actions;
mod m20261201_000004_create_joist_limit_counters;
mod m20261201_000005_create_joist_events;
mod m20261201_000006_add_joist_upload_landing_key;

pub use m20261125_000001_create_joist_uploads::Migration as CreateJoistUploads;
pub use m20261125_000002_add_joist_upload_events::Migration as AddJoistUploadEvents;
pub use m20261125_000003_create_joist_admin_actions::Migration as CreateJoistAdminActions;
pub use m20261201_000004_create_joist_limit_counters::Migration as CreateJoistLimitCounters;
pub use m20261201_000005_create_joist_events::Migration as CreateJoistEvents;
pub use m20261201_000006_add_joist_upload_landing_key::Migration as AddJoistUploadLandingKey;
use sea_orm_migration::MigrationTrait;

/// Every joist migration, oldest first.
#[must_use]
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(CreateJoistUploads),
        Box::new(AddJoistUploadEvents),
        Box::new(CreateJoistAdminActions),
        Box::new(CreateJoistLimitCounters),
        Box::new(CreateJoistEvents),
        Box::new(AddJoistUploadLandingKey),
    ]
}
