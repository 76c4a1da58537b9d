use loco_rs::schema::*;
use sea_orm_migration::prelude::*;

/// Adds `{{column}}`, the object key of the `{{field}}` upload, to `{{table}}`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_column(m, "{{table}}", "{{column}}", ColType::TextNull).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        remove_column(m, "{{table}}", "{{column}}").await
    }
}
