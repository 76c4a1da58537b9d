//! The counters the abuse limits share across app instances.

use sea_orm_migration::{
    prelude::*,
    schema::{big_integer, integer, string_len},
};

/// Creates `joist_limit_counters`: one row per counted key (an owner's or a client address's
/// prepare window, an owner's unfinished-upload lock), updated atomically by every instance.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum JoistLimitCounters {
    Table,
    Key,
    WindowStart,
    Count,
}

// The trait spells `&SchemaManager` without its lifetime; matching it needs the elision.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JoistLimitCounters::Table)
                    .col(string_len(JoistLimitCounters::Key, 512).primary_key())
                    .col(big_integer(JoistLimitCounters::WindowStart))
                    .col(integer(JoistLimitCounters::Count))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JoistLimitCounters::Table).to_owned())
            .await
    }
}
