//! The admin's action log: each action claimed once per confirmed form, then its outcome.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TryInsertResult, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    _entities::joist_admin_actions::{ActiveModel, Column, Entity, Model},
    Upload,
};

/// The outcome an action has until it finishes (what a crash mid-action leaves).
pub const STARTED: &str = "started";

impl Model {
    /// Logs that `admin` starts `action` on `upload` for the form `nonce`. Returns the entry's id,
    /// or `None` when this form already did it (a resubmission).
    ///
    /// # Errors
    /// When the insert fails.
    pub async fn claim(
        db: &impl ConnectionTrait,
        nonce: Uuid,
        upload: &Upload,
        action: &str,
        admin: &str,
    ) -> Result<Option<Uuid>, DbErr> {
        let id = Uuid::new_v4();
        let entry = ActiveModel {
            id: Set(id),
            nonce: Set(nonce),
            upload_id: Set(upload.id),
            upload_key: Set(upload.key.clone()),
            action: Set(action.to_string()),
            admin: Set(admin.to_string()),
            outcome: Set(STARTED.to_string()),
            created_at: Set(Utc::now().fixed_offset()),
        };
        let inserted = Entity::insert(entry)
            .on_conflict_do_nothing_on([Column::Nonce, Column::UploadId])
            .exec_without_returning(db)
            .await?;
        Ok(matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0).then_some(id))
    }

    /// Records how the action `id` ended.
    ///
    /// # Errors
    /// When the update fails.
    pub async fn finish(db: &impl ConnectionTrait, id: Uuid, outcome: &str) -> Result<(), DbErr> {
        Entity::update_many()
            .col_expr(Column::Outcome, Expr::value(outcome))
            .filter(Column::Id.eq(id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// The latest `limit` actions on `upload_id`, newest first.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn for_upload(
        db: &impl ConnectionTrait,
        upload_id: Uuid,
        limit: u64,
    ) -> Result<Vec<Self>, DbErr> {
        Entity::find()
            .filter(Column::UploadId.eq(upload_id))
            .order_by_desc(Column::CreatedAt)
            .limit(limit)
            .all(db)
            .await
    }

    /// What the confirmed form `nonce` did, in the order it did it.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn for_nonce(db: &impl ConnectionTrait, nonce: Uuid) -> Result<Vec<Self>, DbErr> {
        Entity::find()
            .filter(Column::Nonce.eq(nonce))
            .order_by_asc(Column::CreatedAt)
            .all(db)
            .await
    }
}
