//! The `joist_uploads` entity.

use sea_orm::entity::prelude::*;
use serde::Serialize;

/// Where an upload is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded and signed; nothing uploaded yet.
    #[sea_orm(string_value = "prepared")]
    Prepared,
    /// The client asked for part URLs: bytes are on their way.
    #[sea_orm(string_value = "uploading")]
    Uploading,
    /// In the store at its size; its checks (scanners, promotion from quarantine) run in the
    /// background.
    #[sea_orm(string_value = "checking")]
    Checking,
    /// Verified in the store; waiting to be attached to a record.
    #[sea_orm(string_value = "finalized")]
    Finalized,
    /// Attached to a record through its field value.
    #[sea_orm(string_value = "attached")]
    Attached,
    /// Given up by the client; the multipart upload is aborted, the object deleted.
    #[sea_orm(string_value = "aborted")]
    Aborted,
    /// What landed in the store did not match what was prepared.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Its content failed a check (its type, its image dimensions): the object was deleted.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// The object was deleted.
    #[sea_orm(string_value = "deleted")]
    Deleted,
}

impl Status {
    /// Every status, in life order.
    pub const ALL: [Self; 9] = [
        Self::Prepared,
        Self::Uploading,
        Self::Checking,
        Self::Finalized,
        Self::Attached,
        Self::Aborted,
        Self::Failed,
        Self::Rejected,
        Self::Deleted,
    ];

    /// The name as stored.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Prepared => "prepared",
            Self::Uploading => "uploading",
            Self::Checking => "checking",
            Self::Finalized => "finalized",
            Self::Attached => "attached",
            Self::Aborted => "aborted",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Deleted => "deleted",
        }
    }

    /// The status a name stands for.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.name() == name)
    }
}

/// How the bytes go up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One presigned PUT.
    #[sea_orm(string_value = "single")]
    Single,
    /// A multipart upload.
    #[sea_orm(string_value = "multipart")]
    Multipart,
}

/// One upload.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "joist_uploads")]
pub struct Model {
    /// The upload's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The field it was prepared for.
    pub field: String,
    /// The object key (unique).
    #[sea_orm(unique)]
    pub key: String,
    /// The filename as the user gave it, cleaned.
    pub filename: String,
    /// The declared content type.
    pub content_type: String,
    /// The declared size in bytes.
    pub size: i64,
    /// Where it is in its life.
    pub status: Status,
    /// Single or multipart.
    pub mode: Mode,
    /// Size of every part but the last.
    pub part_size: i64,
    /// The store's multipart upload id.
    pub s3_upload_id: Option<String>,
    /// The object's ETag once finalized.
    pub etag: Option<String>,
    /// The object's checksum, when the client sent one.
    pub checksum: Option<String>,
    /// Who prepared it (`None` for anonymous).
    pub owner: Option<String>,
    /// Why it failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// When it was prepared.
    pub created_at: DateTimeWithTimeZone,
    /// Last change.
    pub updated_at: DateTimeWithTimeZone,
    /// When it was finalized.
    pub finalized_at: Option<DateTimeWithTimeZone>,
    /// When it was attached.
    pub attached_at: Option<DateTimeWithTimeZone>,
    /// How many times event handlers ran for it (failed attempts included).
    pub event_attempts: i32,
    /// The last event handler error, cleared when a later attempt succeeds.
    #[sea_orm(column_type = "Text", nullable)]
    pub event_error: Option<String>,
    /// What the engine found in the file at finalize (`detected_type`, and for images `width`,
    /// `height`, `orientation`: see [`crate::FileMetadata`]), and what host handlers added.
    #[sea_orm(column_type = "Json", nullable)]
    pub metadata: Option<serde_json::Value>,
    /// Where a quarantined upload's bytes land (under the quarantine prefix) until finalize
    /// promotes them to `key`; `None` when they go to `key` directly.
    #[sea_orm(column_type = "Text", nullable)]
    pub landing_key: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
