//! The `joist_admin_actions` entity: what operators did in the admin views.

use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One admin action on one upload.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "joist_admin_actions")]
pub struct Model {
    /// The log entry's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The confirmed form's nonce: one action per nonce and upload, so a resubmitted form does
    /// nothing twice.
    pub nonce: Uuid,
    /// The upload acted on (its record may be gone since).
    pub upload_id: Uuid,
    /// The upload's object key when acted on.
    pub upload_key: String,
    /// `delete`, `abort` or `rerun_finalize`.
    pub action: String,
    /// Who did it, as the admin authorizer named them.
    pub admin: String,
    /// What happened.
    #[sea_orm(column_type = "Text")]
    pub outcome: String,
    /// When.
    pub created_at: DateTimeWithTimeZone,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
