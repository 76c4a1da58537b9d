//! The `cars` entity.

use sea_orm::entity::prelude::*;

/// A car, with its owner's manual in the bucket.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cars")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Name.
    pub name: String,
    /// The attached manual (its object key).
    #[sea_orm(column_type = "Text", nullable)]
    pub owners_manual: Option<joist::S3File>,
    /// Created.
    pub created_at: DateTimeWithTimeZone,
    /// Updated.
    pub updated_at: DateTimeWithTimeZone,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
