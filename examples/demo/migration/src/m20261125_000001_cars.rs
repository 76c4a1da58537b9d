//! Creates `cars`.

use sea_orm_migration::{
    prelude::*,
    schema::{pk_auto, string, text_null, timestamp_with_time_zone},
};

/// Creates `cars`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cars {
    Table,
    Id,
    Name,
    OwnersManual,
    CreatedAt,
    UpdatedAt,
}

// The trait spells `&SchemaManager` without its lifetime; matching it needs the elision.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cars::Table)
                    .if_not_exists()
                    .col(pk_auto(Cars::Id))
                    .col(string(Cars::Name))
                    .col(text_null(Cars::OwnersManual))
                    .col(timestamp_with_time_zone(Cars::CreatedAt))
                    .col(timestamp_with_time_zone(Cars::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Cars::Table).to_owned())
            .await
    }
}
