//! Checks that outlive the finalize request (scans and promotions of large files): run in this
//! process right away, and resumed by the sweeper of any instance when the process that ran them
//! died (the upload stayed `checking` past `checks.check_lease`).

use std::time::Duration;

use chrono::Utc;
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};
use uuid::Uuid;

use super::{checks, error::ApiError};
use crate::{
    Joist,
    events::UploadEventKind,
    models::{
        _entities::joist_uploads::{Column, Entity},
        Upload, UploadStatus,
        uploads::Changes,
    },
};

/// Stale checks resumed per sweep.
const RESUMED_PER_SWEEP: u64 = 100;

/// Runs upload `id`'s checks in the background.
pub fn spawn(ctx: &AppContext, joist: &Joist, id: Uuid) {
    let (ctx, joist) = (ctx.clone(), joist.clone());
    tokio::spawn(async move {
        if let Err(error) = run(&ctx, &joist, id).await {
            // The upload stays `checking`: the sweeper runs it again after `check_lease`.
            tracing::warn!(upload = %id, code = error.code, message = error.message, "joist background check did not finish");
        }
    });
}

/// Checks upload `id` (when it is still `checking`) and records the outcome.
///
/// # Errors
/// When the store, a scanner or the database cannot answer: the upload stays `checking`.
pub async fn run(ctx: &AppContext, joist: &Joist, id: Uuid) -> Result<(), ApiError> {
    let Some(upload) = Upload::find(&ctx.db, id).await? else {
        return Ok(());
    };
    if upload.status != UploadStatus::Checking {
        return Ok(());
    }
    let event = joist.listening(UploadEventKind::Finalized, &upload.field);
    let Some(located) = checks::locate(joist.store(), &upload).await? else {
        // Promotion copies before it deletes, so this is an object deleted behind joist's back.
        let changes = Changes {
            error: Some("the file is no longer in the store".into()),
            ..Changes::default()
        };
        let to = (&[UploadStatus::Checking][..], UploadStatus::Failed);
        if let Some(failed) = Upload::transition_raising(&ctx.db, id, to, changes, event).await? {
            crate::events::raise(ctx, joist, failed.id, event).await;
        }
        return Ok(());
    };
    let from = (&[UploadStatus::Checking][..], event);
    match checks::check_and_record(ctx, joist, &upload, from, located).await {
        // A refusal is recorded with the upload (rejected); nothing more to do.
        Err(error) if error.status.is_client_error() => Ok(()),
        outcome => outcome.map(|_| ()),
    }
}

/// Claims the uploads whose background check has not finished within `checks.check_lease` and
/// runs them again; answers how many.
///
/// # Errors
/// When the database fails.
pub async fn resume_stale(ctx: &AppContext, joist: &Joist) -> Result<usize, DbErr> {
    let lease = Duration::from_secs(joist.config().checks.check_lease);
    let now = Utc::now();
    let cutoff = (now - lease).fixed_offset();
    let stale: Vec<Uuid> = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Status.eq(UploadStatus::Checking))
        .filter(Column::UpdatedAt.lt(cutoff))
        .limit(RESUMED_PER_SWEEP)
        .into_tuple()
        .all(&ctx.db)
        .await?;
    let mut resumed = 0;
    for id in stale {
        // One instance wins the claim; the others see a fresh `updated_at`.
        let claimed = Entity::update_many()
            .col_expr(Column::UpdatedAt, Expr::value(now.fixed_offset()))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(UploadStatus::Checking))
            .filter(Column::UpdatedAt.lt(cutoff))
            .exec(&ctx.db)
            .await?;
        if claimed.rows_affected == 1 {
            spawn(ctx, joist, id);
            resumed += 1;
        }
    }
    Ok(resumed)
}
