//! The `joist_events` entity: the upload events' outbox.

use sea_orm::entity::prelude::*;

/// One raised event, recorded with the state change that raised it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "joist_events")]
pub struct Model {
    /// The event's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The upload it is about.
    pub upload_id: Uuid,
    /// `prepared` or `finalized`.
    pub kind: String,
    /// `pending` (to deliver), `delivered` or `failed` (gave up).
    pub status: String,
    /// Deliveries tried so far.
    pub attempts: i32,
    /// The positions (among the event's handlers) of those that already succeeded, comma-separated:
    /// a retry runs only the others.
    #[sea_orm(column_type = "Text")]
    pub handled: String,
    /// When it is next due: a pending event past this time is (re)delivered by the sweeper.
    pub due_at: DateTimeWithTimeZone,
    /// The last handler error.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When it was raised.
    pub created_at: DateTimeWithTimeZone,
    /// When it last changed.
    pub updated_at: DateTimeWithTimeZone,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
