//! Cleanup: aborts stale and orphaned multipart uploads and deletes files never attached.
//!
//! Every change is decided on the record first (a conditional state change, so concurrent runs
//! and racing requests resolve to one result) and carried out in the store after; a store call
//! that fails leaves an orphan the next run finds. Attached files are never touched.

mod report;

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use loco_rs::app::AppContext;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

pub use report::{CleanupReport, Phase};

use crate::{
    Joist,
    events::{self, UploadEventKind},
    models::{
        _entities::joist_uploads::{Column, Entity},
        Upload, UploadStatus,
        uploads::Changes,
    },
};

/// What a run does.
#[derive(Debug, Clone, Copy)]
pub struct CleanupOptions {
    /// Count only; change nothing.
    pub dry_run: bool,
    /// Unfinished uploads (and store multipart uploads) older than this are abandoned.
    pub stale_after: Duration,
    /// Finalized files not attached within this are deleted.
    pub unattached_ttl: Duration,
    /// Records handled per query.
    pub batch_size: u64,
}

impl CleanupOptions {
    /// The options the config sets (`cleanup_stale_after`, `cleanup_unattached_ttl`, `cleanup_batch`).
    #[must_use]
    pub const fn from_config(config: &crate::JoistConfig) -> Self {
        Self {
            dry_run: false,
            stale_after: Duration::from_secs(config.cleanup_stale_after),
            unattached_ttl: Duration::from_secs(config.cleanup_unattached_ttl),
            batch_size: config.cleanup_batch,
        }
    }
}

fn cutoff(age: Duration) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX)
}

/// Runs a cleanup, reporting progress as `(phase, done, total)`.
///
/// # Errors
/// When the database fails or the store cannot list multipart uploads.
pub async fn run(
    ctx: &AppContext,
    joist: &Joist,
    options: CleanupOptions,
    progress: &mut (dyn FnMut(Phase, u64, u64) + Send),
) -> crate::Result<CleanupReport> {
    let mut report = CleanupReport {
        dry_run: options.dry_run,
        ..CleanupReport::default()
    };
    abandon_stale(ctx, joist, options, &mut report, progress).await?;
    delete_unattached(ctx, joist, options, &mut report, progress).await?;
    abort_orphans(ctx, joist, options, &mut report, progress).await?;
    Ok(report)
}

const OPEN: [UploadStatus; 2] = [UploadStatus::Prepared, UploadStatus::Uploading];

async fn abandon_stale(
    ctx: &AppContext,
    joist: &Joist,
    options: CleanupOptions,
    report: &mut CleanupReport,
    progress: &mut (dyn FnMut(Phase, u64, u64) + Send),
) -> crate::Result<()> {
    let stale = || {
        Entity::find()
            .filter(Column::Status.is_in(OPEN))
            .filter(Column::CreatedAt.lt(cutoff(options.stale_after)))
    };
    let total = stale().count(&ctx.db).await?;
    progress(Phase::Stale, 0, total);
    if options.dry_run {
        report.stale_aborted = total;
        return Ok(());
    }
    loop {
        let batch = stale()
            .order_by_asc(Column::CreatedAt)
            .limit(options.batch_size)
            .all(&ctx.db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for upload in batch {
            let changes = Changes {
                error: Some("abandoned: aborted by cleanup".into()),
                ..Changes::default()
            };
            let Some(aborted) =
                Upload::transition(&ctx.db, upload.id, &OPEN, UploadStatus::Aborted, changes)
                    .await?
            else {
                continue;
            };
            report.stale_aborted += 1;
            if let Some(s3_upload_id) = &aborted.s3_upload_id {
                report.count_store(joist.store().abort(&aborted.key, s3_upload_id).await);
            }
            report.count_store(joist.store().delete(&aborted.key).await);
            events::raise(ctx, joist, &aborted, UploadEventKind::Finalized).await;
            progress(Phase::Stale, report.stale_aborted, total);
        }
    }
    Ok(())
}

async fn delete_unattached(
    ctx: &AppContext,
    joist: &Joist,
    options: CleanupOptions,
    report: &mut CleanupReport,
    progress: &mut (dyn FnMut(Phase, u64, u64) + Send),
) -> crate::Result<()> {
    let unattached = || {
        Entity::find()
            .filter(Column::Status.eq(UploadStatus::Finalized))
            .filter(Column::FinalizedAt.lt(cutoff(options.unattached_ttl)))
    };
    let total = unattached().count(&ctx.db).await?;
    progress(Phase::Unattached, 0, total);
    if options.dry_run {
        report.unattached_deleted = total;
        return Ok(());
    }
    loop {
        let batch = unattached()
            .order_by_asc(Column::FinalizedAt)
            .limit(options.batch_size)
            .all(&ctx.db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for upload in batch {
            let changes = Changes {
                error: Some("never attached: deleted by cleanup".into()),
                ..Changes::default()
            };
            let deleted = Upload::transition(
                &ctx.db,
                upload.id,
                &[UploadStatus::Finalized],
                UploadStatus::Deleted,
                changes,
            )
            .await?;
            if let Some(deleted) = deleted {
                report.unattached_deleted += 1;
                report.count_store(joist.store().delete(&deleted.key).await);
                progress(Phase::Unattached, report.unattached_deleted, total);
            }
        }
    }
    Ok(())
}

async fn abort_orphans(
    ctx: &AppContext,
    joist: &Joist,
    options: CleanupOptions,
    report: &mut CleanupReport,
    progress: &mut (dyn FnMut(Phase, u64, u64) + Send),
) -> crate::Result<()> {
    let old_enough = SystemTime::now()
        .checked_sub(options.stale_after)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let listed = joist
        .store()
        .list_multipart_uploads(&joist.config().upload_prefix)
        .await?;
    let mut orphans = Vec::new();
    for upload in listed
        .into_iter()
        .filter(|upload| upload.initiated.is_some_and(|at| at <= old_enough))
    {
        let record = Upload::find_by_key(&ctx.db, &upload.key).await?;
        let tracked = record.is_some_and(|record| {
            record.is_open() && record.s3_upload_id.as_deref() == Some(upload.upload_id.as_str())
        });
        if !tracked {
            orphans.push(upload);
        }
    }
    let total = u64::try_from(orphans.len()).unwrap_or(u64::MAX);
    progress(Phase::Orphans, 0, total);
    if options.dry_run {
        report.orphans_aborted = total;
        return Ok(());
    }
    for orphan in orphans {
        report.count_store(joist.store().abort(&orphan.key, &orphan.upload_id).await);
        report.orphans_aborted += 1;
        progress(Phase::Orphans, report.orphans_aborted, total);
    }
    Ok(())
}
