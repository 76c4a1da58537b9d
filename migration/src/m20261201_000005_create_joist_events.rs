//! The upload events' outbox: each event is recorded with the state change that raises it.

use sea_orm_migration::{
    prelude::*,
    schema::{integer, pk_uuid, string_len, text, text_null, timestamp_with_time_zone, uuid},
};

/// Creates `joist_events`: one row per raised event, pending until its handlers all succeeded
/// (or it gave up), with the time it is next due.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum JoistEvents {
    Table,
    Id,
    UploadId,
    Kind,
    Status,
    Attempts,
    Handled,
    DueAt,
    LastError,
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
                    .table(JoistEvents::Table)
                    .col(pk_uuid(JoistEvents::Id))
                    .col(uuid(JoistEvents::UploadId))
                    .col(string_len(JoistEvents::Kind, 16))
                    .col(string_len(JoistEvents::Status, 16))
                    .col(integer(JoistEvents::Attempts))
                    .col(text(JoistEvents::Handled))
                    .col(timestamp_with_time_zone(JoistEvents::DueAt))
                    .col(text_null(JoistEvents::LastError))
                    .col(timestamp_with_time_zone(JoistEvents::CreatedAt))
                    .col(timestamp_with_time_zone(JoistEvents::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_joist_events_status_due_at",
                [JoistEvents::Status, JoistEvents::DueAt],
            ),
            (
                "idx_joist_events_upload_id_status",
                [JoistEvents::UploadId, JoistEvents::Status],
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(JoistEvents::Table)
                        .col(columns[0])
                        .col(columns[1])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JoistEvents::Table).to_owned())
            .await
    }
}
