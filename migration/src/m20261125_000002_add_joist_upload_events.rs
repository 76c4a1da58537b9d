//! Adds what event delivery records (attempts, last error) and handlers' metadata.

use sea_orm_migration::{
    prelude::*,
    schema::{integer, json_null, text_null},
};

/// Adds `event_attempts`, `event_error` and `metadata` to `joist_uploads`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum JoistUploads {
    Table,
    EventAttempts,
    EventError,
    Metadata,
}

// The trait spells `&SchemaManager` without its lifetime; matching it needs the elision.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite cannot add several in one ALTER TABLE.
        for column in [
            integer(JoistUploads::EventAttempts).default(0).take(),
            text_null(JoistUploads::EventError),
            json_null(JoistUploads::Metadata),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(JoistUploads::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            JoistUploads::EventAttempts,
            JoistUploads::EventError,
            JoistUploads::Metadata,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(JoistUploads::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
