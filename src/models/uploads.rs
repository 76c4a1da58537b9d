//! Creating uploads and moving them between states, race-safely.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{
    _entities::joist_uploads::{ActiveModel, Column, Entity, Model, Status},
    insert_queue::{InsertQueue, insert_one},
};
use crate::{
    events::{UploadEventKind, outbox},
    s3::plan::UploadPlan,
};

/// What `prepare` records.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// The upload's id (also in its key).
    pub id: Uuid,
    /// The field.
    pub field: String,
    /// The object key.
    pub key: String,
    /// The cleaned filename.
    pub filename: String,
    /// The normalized content type.
    pub content_type: String,
    /// How it goes up.
    pub plan: UploadPlan,
    /// The store's multipart upload id.
    pub s3_upload_id: Option<String>,
    /// Who prepared it.
    pub owner: Option<String>,
    /// The file's checksum as the client declared it (`sha256:<base64>`), signed into its URLs.
    pub checksum: Option<String>,
    /// Where the bytes land until finalize promotes them (quarantine), if not `key`.
    pub landing_key: Option<String>,
    /// The `prepared` event, recorded with the upload by [`Upload::create_within_cap`] (`None`:
    /// no handler listens).
    pub event: Option<UploadEventKind>,
}

/// Columns a state change may set besides the status.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The object's ETag.
    pub etag: Option<String>,
    /// The object's checksum.
    pub checksum: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Stamp `finalized_at`.
    pub finalized: bool,
    /// Stamp `attached_at`.
    pub attached: bool,
    /// Replace the `metadata` column.
    pub metadata: Option<serde_json::Value>,
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl NewUpload {
    /// The row to insert, stamped `now`.
    pub(super) fn into_record(self) -> ActiveModel {
        let now = Utc::now().fixed_offset();
        ActiveModel {
            id: Set(self.id),
            field: Set(self.field),
            key: Set(self.key),
            filename: Set(self.filename),
            content_type: Set(self.content_type),
            size: Set(to_i64(self.plan.size)),
            status: Set(Status::Prepared),
            mode: Set(self.plan.mode),
            part_size: Set(to_i64(self.plan.part_size)),
            s3_upload_id: Set(self.s3_upload_id),
            checksum: Set(self.checksum),
            etag: Set(None),
            owner: Set(self.owner),
            error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            finalized_at: Set(None),
            attached_at: Set(None),
            event_attempts: Set(0),
            event_error: Set(None),
            metadata: Set(None),
            landing_key: Set(self.landing_key),
        }
    }
}

impl Model {
    /// Records a prepared upload.
    ///
    /// # Errors
    /// When the insert fails (e.g. a duplicate key).
    pub async fn create(db: &impl ConnectionTrait, new: NewUpload) -> Result<Self, DbErr> {
        insert_one(db, new.into_record()).await
    }

    /// Records `new`, and its `prepared` event when it has one, in one transaction, unless its
    /// owner already has `cap` unfinished uploads (0: no cap); then answers `Err` with their
    /// number. The count and the insert hold the owner's lock row, so concurrent prepares by
    /// one owner, on any instance, never pass the cap together. With neither a cap to hold nor
    /// an event to record, the upload goes through `inserts`, in one statement with the uploads
    /// prepared beside it.
    ///
    /// # Errors
    /// When a query fails.
    pub async fn create_within_cap(
        db: &DatabaseConnection,
        inserts: &InsertQueue,
        new: NewUpload,
        cap: u64,
    ) -> Result<Result<Self, u64>, DbErr> {
        let owner = new.owner.clone().filter(|_| cap > 0);
        let event = new.event;
        if owner.is_none() && event.is_none() {
            return Ok(Ok(inserts.insert(db, new).await?));
        }
        let transaction = db.begin().await?;
        if let Some(owner) = owner {
            crate::limits::lock_key(&transaction, &format!("unfinished:{owner}")).await?;
            let unfinished = Self::unfinished_count(&transaction, &owner).await?;
            if unfinished >= cap {
                transaction.rollback().await?;
                return Ok(Err(unfinished));
            }
        }
        let upload = Self::create(&transaction, new).await?;
        if let Some(kind) = event {
            outbox::record(&transaction, upload.id, kind).await?;
        }
        transaction.commit().await?;
        Ok(Ok(upload))
    }

    /// The upload with this id.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Self>, DbErr> {
        Entity::find_by_id(id).one(db).await
    }

    /// The uploads among `ids` that exist, in the order of `ids`.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn find_all(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Self>, DbErr> {
        let mut found = Entity::find()
            .filter(Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        found.sort_by_key(|upload| ids.iter().position(|id| *id == upload.id));
        Ok(found)
    }

    /// The upload of an object key (what an `S3File` holds).
    ///
    /// # Errors
    /// When the query fails.
    pub async fn find_by_key(db: &impl ConnectionTrait, key: &str) -> Result<Option<Self>, DbErr> {
        Entity::find().filter(Column::Key.eq(key)).one(db).await
    }

    /// The uploads of the object keys among `keys` that have one, in no particular order.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn find_all_by_key(
        db: &impl ConnectionTrait,
        keys: &[&str],
    ) -> Result<Vec<Self>, DbErr> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        Entity::find()
            .filter(Column::Key.is_in(keys.iter().copied()))
            .all(db)
            .await
    }

    /// The upload whose bytes are at `key`: its key, or its landing key in quarantine.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn find_by_stored_key(
        db: &impl ConnectionTrait,
        key: &str,
    ) -> Result<Option<Self>, DbErr> {
        Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(Column::Key.eq(key))
                    .add(Column::LandingKey.eq(key)),
            )
            .one(db)
            .await
    }

    /// Like [`Self::transition`], recording `event` (when given) in the same transaction, so
    /// the event exists exactly when the state change does.
    ///
    /// # Errors
    /// When a query fails.
    pub async fn transition_raising(
        db: &DatabaseConnection,
        id: Uuid,
        (from, to): (&[Status], Status),
        changes: Changes,
        event: Option<UploadEventKind>,
    ) -> Result<Option<Self>, DbErr> {
        let Some(kind) = event else {
            return Self::transition(db, id, from, to, changes).await;
        };
        let transaction = db.begin().await?;
        let moved = Self::transition(&transaction, id, from, to, changes).await?;
        if moved.is_some() {
            outbox::record(&transaction, id, kind).await?;
        }
        transaction.commit().await?;
        Ok(moved)
    }

    /// Moves upload `id` to `to` (setting `changes`) only if its status is still one of `from`.
    /// Returns the updated record, or `None` when another call changed it first.
    ///
    /// # Errors
    /// When a query fails.
    pub async fn transition(
        db: &impl ConnectionTrait,
        id: Uuid,
        from: &[Status],
        to: Status,
        changes: Changes,
    ) -> Result<Option<Self>, DbErr> {
        let now = Utc::now().fixed_offset();
        let mut update = Entity::update_many()
            .col_expr(Column::Status, Expr::value(to))
            .col_expr(Column::UpdatedAt, Expr::value(now));
        if let Some(etag) = changes.etag {
            update = update.col_expr(Column::Etag, Expr::value(etag));
        }
        if let Some(checksum) = changes.checksum {
            update = update.col_expr(Column::Checksum, Expr::value(checksum));
        }
        if let Some(error) = changes.error {
            update = update.col_expr(Column::Error, Expr::value(error));
        }
        if let Some(metadata) = changes.metadata {
            update = update.col_expr(Column::Metadata, Expr::value(metadata));
        }
        if changes.finalized {
            update = update.col_expr(Column::FinalizedAt, Expr::value(now));
        }
        if changes.attached {
            update = update.col_expr(Column::AttachedAt, Expr::value(now));
        }
        // One statement, `UPDATE … RETURNING` (SQLite and PostgreSQL both have it): the row as
        // this change left it, with no second query for another change to slip in before.
        let moved = update
            .filter(Column::Id.eq(id))
            .filter(Column::Status.is_in(from.iter().copied()))
            .exec_with_returning(db)
            .await?;
        Ok(moved.into_iter().next())
    }

    /// Marks a prepared upload `uploading` (its bytes are on their way) and returns its status now.
    ///
    /// # Errors
    /// When a query fails.
    pub async fn mark_uploading(&self, db: &impl ConnectionTrait) -> Result<Status, DbErr> {
        if self.status != Status::Prepared {
            return Ok(self.status);
        }
        let moved = Self::transition(
            db,
            self.id,
            &[Status::Prepared],
            Status::Uploading,
            Changes::default(),
        )
        .await?;
        Ok(match moved {
            Some(upload) => upload.status,
            None => Self::find(db, self.id)
                .await?
                .map_or(self.status, |upload| upload.status),
        })
    }

    /// Records one event handler attempt and its outcome (`None`: it succeeded).
    ///
    /// # Errors
    /// When the query fails.
    pub async fn record_event_attempt(
        db: &impl ConnectionTrait,
        id: Uuid,
        error: Option<String>,
    ) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(
                Column::EventAttempts,
                Expr::col(Column::EventAttempts).add(1),
            )
            .col_expr(Column::EventError, Expr::value(error))
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now().fixed_offset()))
            .filter(Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Merges `values` into the upload's metadata (keys of `values` win).
    ///
    /// # Errors
    /// When a query fails.
    pub async fn merge_metadata(
        db: &impl ConnectionTrait,
        id: Uuid,
        values: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), DbErr> {
        match Self::find(db, id).await? {
            Some(upload) => upload.save_metadata_with(db, values).await,
            None => Ok(()),
        }
    }

    /// Merges `values` into this record's metadata, as read, and saves it: for a caller that
    /// already holds the record (see [`Self::merge_metadata`]).
    ///
    /// # Errors
    /// When the update fails.
    pub async fn save_metadata_with(
        &self,
        db: &impl ConnectionTrait,
        values: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(Column::Metadata, Expr::value(self.metadata_with(values)))
            .filter(Column::Id.eq(self.id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// How many of `owner`'s uploads are unfinished (prepared or uploading).
    ///
    /// # Errors
    /// When the query fails.
    pub async fn unfinished_count(db: &impl ConnectionTrait, owner: &str) -> Result<u64, DbErr> {
        Entity::find()
            .filter(Column::Owner.eq(owner))
            .filter(Column::Status.is_in([Status::Prepared, Status::Uploading]))
            .count(db)
            .await
    }

    /// Where the client's bytes go: the landing key under the quarantine prefix for a
    /// quarantined upload (until finalize promotes them to `key`), else `key`.
    #[must_use]
    pub fn landing(&self) -> &str {
        self.landing_key.as_deref().unwrap_or(&self.key)
    }

    /// Every key the upload's bytes may be under: `key`, the landing key in quarantine, and
    /// the keys of the variants recorded in its metadata.
    #[must_use]
    pub fn stored_keys(&self) -> Vec<String> {
        let variants = crate::FileMetadata::of(self).variants;
        std::iter::once(self.key.clone())
            .chain(self.landing_key.clone())
            .chain(
                variants
                    .keys()
                    .map(|name| crate::variants::key(&self.key, name)),
            )
            .collect()
    }

    /// The upload's plan, as recorded.
    #[must_use]
    pub fn plan(&self) -> UploadPlan {
        UploadPlan::recorded(
            self.mode,
            self.byte_size(),
            u64::try_from(self.part_size).unwrap_or_default(),
        )
    }

    /// The declared size in bytes.
    #[must_use]
    pub fn byte_size(&self) -> u64 {
        u64::try_from(self.size).unwrap_or_default()
    }

    /// The `metadata` column with `values` merged in (keys of `values` win).
    #[must_use]
    pub fn metadata_with(
        &self,
        values: serde_json::Map<String, serde_json::Value>,
    ) -> serde_json::Value {
        let mut metadata = match &self.metadata {
            Some(serde_json::Value::Object(existing)) => existing.clone(),
            _ => serde_json::Map::new(),
        };
        metadata.extend(values);
        serde_json::Value::Object(metadata)
    }

    /// Whether bytes may still be uploaded.
    #[must_use]
    pub const fn is_open(&self) -> bool {
        matches!(self.status, Status::Prepared | Status::Uploading)
    }
}
