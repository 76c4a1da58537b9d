//! The events' outbox (`joist_events`): an event is recorded in the transaction of the state
//! change that raises it, claimed for delivery with a lease, and settled after its handlers ran.
//! A crash at any point leaves it pending; once its lease or retry time passes, the sweeper of
//! any instance delivers it again.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::UploadEventKind;
use crate::models::_entities::joist_events::{ActiveModel, Column, Entity, Model};

/// Waiting for (more) delivery.
pub const PENDING: &str = "pending";
/// Every handler succeeded.
pub const DELIVERED: &str = "delivered";
/// Gave up after `event_retries` retries.
pub const FAILED: &str = "failed";

fn after(duration: Duration) -> chrono::DateTime<chrono::FixedOffset> {
    (Utc::now() + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX))
        .fixed_offset()
}

impl UploadEventKind {
    /// The kind as stored.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Prepared => "prepared",
            Self::Finalized => "finalized",
        }
    }

    /// The kind stored as `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Prepared, Self::Finalized]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// Records a pending event of `kind` for `upload`, due now; run it in the state change's
/// transaction.
///
/// # Errors
/// When the insert fails.
pub async fn record(
    db: &impl ConnectionTrait,
    upload: Uuid,
    kind: UploadEventKind,
) -> Result<Uuid, DbErr> {
    let now = Utc::now().fixed_offset();
    let id = Uuid::new_v4();
    Entity::insert(ActiveModel {
        id: Set(id),
        upload_id: Set(upload),
        kind: Set(kind.name().to_string()),
        status: Set(PENDING.to_string()),
        attempts: Set(0),
        handled: Set(String::new()),
        due_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Claims up to `limit` pending events that are due (of `upload` only, when given): each is
/// pushed `lease` into the future by a conditional update, so of several sweepers only one
/// claims it, and it comes due again if its delivery never settles (a crash).
///
/// # Errors
/// When a query fails.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    upload: Option<Uuid>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    let now = Utc::now().fixed_offset();
    let pending = Entity::find().filter(Column::Status.eq(PENDING));
    let due = match upload {
        // An upload has a few events: their due times are compared here, not bound into the
        // query, where SQLite would plan the statement again for every new bound time (STAT4).
        Some(upload) => {
            let mut due: Vec<Model> = pending
                .filter(Column::UploadId.eq(upload))
                .all(db)
                .await?
                .into_iter()
                .filter(|event| event.due_at <= now)
                .collect();
            due.sort_by_key(|event| event.due_at);
            due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            due
        }
        None => {
            pending
                .filter(Column::DueAt.lte(now))
                .order_by_asc(Column::DueAt)
                .limit(limit)
                .all(db)
                .await?
        }
    };
    let until = after(lease);
    let mut claimed = Vec::with_capacity(due.len());
    for event in due {
        let result = Entity::update_many()
            .col_expr(Column::DueAt, Expr::value(until))
            .filter(Column::Id.eq(event.id))
            .filter(Column::Status.eq(PENDING))
            .filter(Column::DueAt.eq(event.due_at))
            .exec(db)
            .await?;
        if result.rows_affected == 1 {
            claimed.push(event);
        }
    }
    Ok(claimed)
}

/// The event with this id.
///
/// # Errors
/// When the query fails.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// The handlers that already succeeded, by position.
#[must_use]
pub fn handled(event: &Model) -> Vec<usize> {
    event
        .handled
        .split(',')
        .filter_map(|position| position.parse().ok())
        .collect()
}

/// How one delivery went.
#[derive(Debug)]
pub struct Delivery {
    /// The handlers that have succeeded by now, by position.
    pub handled: Vec<usize>,
    /// The first handler error of this delivery.
    pub error: Option<String>,
}

/// Settles one delivery of `event`: delivered when no handler failed; else due again after
/// `backoff` doubled per earlier attempt, or failed for good past `retries` retries. Answers
/// the status it is left in.
///
/// # Errors
/// When the update fails.
pub async fn settle(
    db: &impl ConnectionTrait,
    event: &Model,
    delivery: Delivery,
    retries: u32,
    backoff: Duration,
) -> Result<&'static str, DbErr> {
    let attempts = event.attempts.saturating_add(1);
    let earlier = u32::try_from(attempts - 1).unwrap_or(u32::MAX);
    let (status, due_at) = match &delivery.error {
        None => (DELIVERED, Utc::now().fixed_offset()),
        Some(_) if earlier >= retries => (FAILED, Utc::now().fixed_offset()),
        Some(_) => (PENDING, after(backoff.saturating_mul(1 << earlier.min(16)))),
    };
    let handled = delivery
        .handled
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(Column::Attempts, Expr::value(attempts))
        .col_expr(Column::Handled, Expr::value(handled))
        .col_expr(Column::DueAt, Expr::value(due_at))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now().fixed_offset()));
    if let Some(error) = delivery.error {
        update = update.col_expr(Column::LastError, Expr::value(error));
    }
    update
        .filter(Column::Id.eq(event.id))
        .filter(Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(status)
}

/// The events recorded for `upload`, oldest first.
///
/// # Errors
/// When the query fails.
pub async fn of_upload(db: &impl ConnectionTrait, upload: Uuid) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::UploadId.eq(upload))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await
}
