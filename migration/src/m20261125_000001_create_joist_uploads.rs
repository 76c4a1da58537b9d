//! Creates `joist_uploads` and the indexes the admin list and cleanup read by.

use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, pk_uuid, string_len, string_len_null, string_len_uniq, text_null,
        timestamp_with_time_zone, timestamp_with_time_zone_null,
    },
};

/// Creates the `joist_uploads` table.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum JoistUploads {
    Table,
    Id,
    Field,
    Key,
    Filename,
    ContentType,
    Size,
    Status,
    Mode,
    PartSize,
    S3UploadId,
    Etag,
    Checksum,
    Owner,
    Error,
    CreatedAt,
    UpdatedAt,
    FinalizedAt,
    AttachedAt,
}

fn index(name: &str, columns: &[JoistUploads]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(JoistUploads::Table).if_not_exists();
    for column in columns {
        index.col(*column);
    }
    index.take()
}

// The trait spells `&SchemaManager` without its lifetime; matching it needs the elision.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JoistUploads::Table)
                    .if_not_exists()
                    .col(pk_uuid(JoistUploads::Id))
                    .col(string_len(JoistUploads::Field, 255))
                    .col(string_len_uniq(JoistUploads::Key, 1024))
                    .col(string_len(JoistUploads::Filename, 255))
                    .col(string_len(JoistUploads::ContentType, 255))
                    .col(big_integer(JoistUploads::Size))
                    .col(string_len(JoistUploads::Status, 16))
                    .col(string_len(JoistUploads::Mode, 16))
                    .col(big_integer(JoistUploads::PartSize))
                    .col(string_len_null(JoistUploads::S3UploadId, 1024))
                    .col(string_len_null(JoistUploads::Etag, 255))
                    .col(string_len_null(JoistUploads::Checksum, 255))
                    .col(string_len_null(JoistUploads::Owner, 255))
                    .col(text_null(JoistUploads::Error))
                    .col(timestamp_with_time_zone(JoistUploads::CreatedAt))
                    .col(timestamp_with_time_zone(JoistUploads::UpdatedAt))
                    .col(timestamp_with_time_zone_null(JoistUploads::FinalizedAt))
                    .col(timestamp_with_time_zone_null(JoistUploads::AttachedAt))
                    .to_owned(),
            )
            .await?;
        for statement in [
            index(
                "idx_joist_uploads_status_created",
                &[JoistUploads::Status, JoistUploads::CreatedAt],
            ),
            index(
                "idx_joist_uploads_field_created",
                &[JoistUploads::Field, JoistUploads::CreatedAt],
            ),
            index("idx_joist_uploads_created", &[JoistUploads::CreatedAt]),
            index(
                "idx_joist_uploads_owner_created",
                &[JoistUploads::Owner, JoistUploads::CreatedAt],
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JoistUploads::Table).to_owned())
            .await
    }
}
