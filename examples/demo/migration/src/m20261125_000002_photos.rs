//! Creates `photos`.

use sea_orm_migration::{
    prelude::*,
    schema::{pk_auto, text, timestamp_with_time_zone},
};

/// Creates `photos`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Photos {
    Table,
    Id,
    Image,
    CreatedAt,
}

// The trait spells `&SchemaManager` without its lifetime; matching it needs the elision.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Photos::Table)
                    .if_not_exists()
                    .col(pk_auto(Photos::Id))
                    .col(text(Photos::Image))
                    .col(timestamp_with_time_zone(Photos::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Photos::Table).to_owned())
            .await
    }
}
