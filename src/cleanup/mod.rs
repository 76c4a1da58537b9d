//! Cleanup: aborts stale and orphaned multipart uploads and deletes files never attached.
//!
//! Every change is decided on the record first (a conditional state change, so concurrent runs
//! and racing requests resolve to one result) and carried out in the store after; a store call
//! that fails leaves an orphan the next run finds. Attached files are never touched.

mod report;

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use loco_rs::app::AppContext;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

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
    sweep(
        ctx,
        joist,
        options,
        Sweep::stale(options),
        &mut report,
        progress,
    )
    .await?;
    sweep(
        ctx,
        joist,
        options,
        Sweep::unattached(options),
        &mut report,
        progress,
    )
    .await?;
    abort_orphans(ctx, joist, options, &mut report, progress).await?;
    if !options.dry_run {
        crate::limits::forget_finished_windows(&ctx.db, std::time::SystemTime::now()).await?;
    }
    Ok(report)
}

const OPEN: [UploadStatus; 2] = [UploadStatus::Prepared, UploadStatus::Uploading];

/// What one record phase selects and what it moves the records to.
struct Sweep {
    phase: Phase,
    condition: Condition,
    order: Column,
    from: &'static [UploadStatus],
    to: UploadStatus,
    note: &'static str,
}

impl Sweep {
    fn stale(options: CleanupOptions) -> Self {
        Self {
            phase: Phase::Stale,
            condition: Condition::all()
                .add(Column::Status.is_in(OPEN))
                .add(Column::CreatedAt.lt(cutoff(options.stale_after))),
            order: Column::CreatedAt,
            from: &OPEN,
            to: UploadStatus::Aborted,
            note: "abandoned: aborted by cleanup",
        }
    }

    fn unattached(options: CleanupOptions) -> Self {
        Self {
            phase: Phase::Unattached,
            condition: Condition::all()
                .add(Column::Status.eq(UploadStatus::Finalized))
                .add(Column::FinalizedAt.lt(cutoff(options.unattached_ttl))),
            order: Column::FinalizedAt,
            from: &[UploadStatus::Finalized],
            to: UploadStatus::Deleted,
            note: "never attached: deleted by cleanup",
        }
    }
}

/// Moves the records `sweep` selects, a batch at a time, then cleans their objects in the store.
async fn sweep(
    ctx: &AppContext,
    joist: &Joist,
    options: CleanupOptions,
    sweep: Sweep,
    report: &mut CleanupReport,
    progress: &mut (dyn FnMut(Phase, u64, u64) + Send),
) -> crate::Result<()> {
    let selected = || Entity::find().filter(sweep.condition.clone());
    let total = selected().count(&ctx.db).await?;
    progress(sweep.phase, 0, total);
    if options.dry_run {
        *report.count_of(sweep.phase) = total;
        return Ok(());
    }
    loop {
        let batch = selected()
            .order_by_asc(sweep.order)
            .limit(options.batch_size)
            .all(&ctx.db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for upload in batch {
            let changes = Changes {
                error: Some(sweep.note.into()),
                ..Changes::default()
            };
            let event = (sweep.to == UploadStatus::Aborted)
                .then(|| joist.listening(UploadEventKind::Finalized, &upload.field))
                .flatten();
            let to = (sweep.from, sweep.to);
            let Some(moved) =
                Upload::transition_raising(&ctx.db, upload.id, to, changes, event).await?
            else {
                continue;
            };
            *report.count_of(sweep.phase) += 1;
            if let Some(s3_upload_id) = &moved.s3_upload_id
                && sweep.to == UploadStatus::Aborted
            {
                report.count_store(joist.store().abort(moved.landing(), s3_upload_id).await);
            }
            for key in moved.stored_keys() {
                report.count_store(joist.store().delete(&key).await);
            }
            events::raise(ctx, joist, moved.id, event).await;
            progress(sweep.phase, *report.count_of(sweep.phase), total);
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
    let config = joist.config();
    let quarantined = format!(
        "{}{}",
        config.checks.quarantine_prefix, config.upload_prefix
    );
    let mut listed = joist
        .store()
        .list_multipart_uploads(&config.upload_prefix)
        .await?;
    listed.extend(joist.store().list_multipart_uploads(&quarantined).await?);
    let mut orphans = Vec::new();
    for upload in listed
        .into_iter()
        .filter(|upload| upload.initiated.is_some_and(|at| at <= old_enough))
    {
        let record = Upload::find_by_stored_key(&ctx.db, &upload.key).await?;
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
