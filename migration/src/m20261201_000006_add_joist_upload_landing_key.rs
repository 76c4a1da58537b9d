//! Adds where a quarantined upload's bytes land before promotion.

use sea_orm_migration::{prelude::*, schema::text_null};

/// Adds `landing_key` to `joist_uploads`: set for quarantined uploads (the key under the
/// quarantine prefix the client uploads to), `NULL` for the others; unique, indexed for
/// cleanup's lookups of the multipart uploads the store lists.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum JoistUploads {
    Table,
    LandingKey,
}

const INDEX: &str = "idx_joist_uploads_landing_key";

// The trait spells `&SchemaManager` without its lifetime; matching it needs the elision.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(JoistUploads::Table)
                    .add_column(text_null(JoistUploads::LandingKey))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(JoistUploads::Table)
                    .col(JoistUploads::LandingKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(JoistUploads::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(JoistUploads::Table)
                    .drop_column(JoistUploads::LandingKey)
                    .to_owned(),
            )
            .await
    }
}
