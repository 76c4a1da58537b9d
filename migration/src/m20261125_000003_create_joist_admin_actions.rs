//! The admin's action log, and the indexes the admin list pages through.

use sea_orm_migration::{
    prelude::*,
    schema::{pk_uuid, string_len, text, timestamp_with_time_zone, uuid},
};

/// Creates `joist_admin_actions` and adds the `(created_at, id)` and `(size, id)` indexes to
/// `joist_uploads` for keyset pagination.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum JoistUploads {
    Table,
    Id,
    CreatedAt,
    Size,
}

#[derive(DeriveIden, Clone, Copy)]
enum JoistAdminActions {
    Table,
    Id,
    Nonce,
    UploadId,
    UploadKey,
    Action,
    Admin,
    Outcome,
    CreatedAt,
}

const UPLOAD_INDEXES: [(&str, JoistUploads); 2] = [
    ("idx_joist_uploads_created_at_id", JoistUploads::CreatedAt),
    ("idx_joist_uploads_size_id", JoistUploads::Size),
];

// The trait spells `&SchemaManager` without its lifetime; matching it needs the elision.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JoistAdminActions::Table)
                    .col(pk_uuid(JoistAdminActions::Id))
                    .col(uuid(JoistAdminActions::Nonce))
                    .col(uuid(JoistAdminActions::UploadId))
                    .col(string_len(JoistAdminActions::UploadKey, 1024))
                    .col(string_len(JoistAdminActions::Action, 32))
                    .col(string_len(JoistAdminActions::Admin, 255))
                    .col(text(JoistAdminActions::Outcome))
                    .col(timestamp_with_time_zone(JoistAdminActions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_joist_admin_actions_nonce_upload")
                    .table(JoistAdminActions::Table)
                    .col(JoistAdminActions::Nonce)
                    .col(JoistAdminActions::UploadId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_joist_admin_actions_upload_created_at")
                    .table(JoistAdminActions::Table)
                    .col(JoistAdminActions::UploadId)
                    .col(JoistAdminActions::CreatedAt)
                    .to_owned(),
            )
            .await?;
        for (name, column) in UPLOAD_INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(JoistUploads::Table)
                        .col(column)
                        .col(JoistUploads::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in UPLOAD_INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(JoistUploads::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(JoistAdminActions::Table).to_owned())
            .await
    }
}
