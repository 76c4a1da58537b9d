//! The cleanup as a background job (for a schedule, or after an operator's action).

use async_trait::async_trait;
use loco_rs::{Result, app::AppContext, bgworker::BackgroundWorker};
use serde::{Deserialize, Serialize};

use crate::{
    Joist,
    cleanup::{self, CleanupOptions},
};

/// The job: a cleanup with the config's options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CleanupJob {
    /// Count only.
    #[serde(default)]
    pub dry_run: bool,
}

/// Runs [`CleanupJob`]s and logs their report.
#[derive(Clone)]
pub struct JoistCleanupWorker {
    ctx: AppContext,
}

impl std::fmt::Debug for JoistCleanupWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoistCleanupWorker").finish_non_exhaustive()
    }
}

#[async_trait]
impl BackgroundWorker<CleanupJob> for JoistCleanupWorker {
    fn build(ctx: &AppContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    fn class_name() -> String {
        "JoistCleanupWorker".to_string()
    }

    async fn perform(&self, job: CleanupJob) -> Result<()> {
        let joist = Joist::from_context(&self.ctx)?;
        let options = CleanupOptions {
            dry_run: job.dry_run,
            ..CleanupOptions::from_config(joist.config())
        };
        let report = cleanup::run(&self.ctx, &joist, options, &mut |_, _, _| {}).await?;
        tracing::info!(
            stale_aborted = report.stale_aborted,
            unattached_deleted = report.unattached_deleted,
            orphans_aborted = report.orphans_aborted,
            store_errors = report.store_errors,
            dry_run = report.dry_run,
            "joist cleanup done"
        );
        Ok(())
    }
}
