//! What a cleanup run did.

use std::fmt;

use crate::s3::StoreError;

/// The phases of a run, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Aborting unfinished uploads past `stale_after`.
    Stale,
    /// Deleting finalized files never attached.
    Unattached,
    /// Aborting multipart uploads the store holds that no open upload owns.
    Orphans,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stale => "stale uploads",
            Self::Unattached => "unattached files",
            Self::Orphans => "orphaned multipart uploads",
        })
    }
}

/// The counts of a run (of a dry run: what it would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Unfinished uploads marked aborted (their multipart upload aborted, object deleted).
    pub stale_aborted: u64,
    /// Finalized, never-attached files deleted.
    pub unattached_deleted: u64,
    /// Store multipart uploads no open upload owns, aborted.
    pub orphans_aborted: u64,
    /// Store calls that failed (the next run retries them).
    pub store_errors: u64,
}

impl CleanupReport {
    pub(crate) const fn count_of(&mut self, phase: Phase) -> &mut u64 {
        match phase {
            Phase::Stale => &mut self.stale_aborted,
            Phase::Unattached => &mut self.unattached_deleted,
            Phase::Orphans => &mut self.orphans_aborted,
        }
    }

    pub(crate) fn count_store(&mut self, outcome: Result<(), StoreError>) {
        if let Err(error) = outcome {
            tracing::warn!(%error, "joist cleanup: a store call failed; the next run retries it");
            self.store_errors += 1;
        }
    }
}

impl fmt::Display for CleanupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would be " } else { "" };
        let lines = [
            (format!("stale uploads {verb}aborted"), self.stale_aborted),
            (
                format!("unattached files {verb}deleted"),
                self.unattached_deleted,
            ),
            (
                format!("orphaned multipart uploads {verb}aborted"),
                self.orphans_aborted,
            ),
            ("store errors".to_string(), self.store_errors),
        ];
        let width = lines
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or_default()
            + 1;
        write!(
            f,
            "joist cleanup{}",
            if self.dry_run {
                " (dry run: nothing changed)"
            } else {
                ""
            }
        )?;
        for (label, count) in lines {
            write!(f, "\n  {:<width$} {count}", format!("{label}:"))?;
        }
        Ok(())
    }
}
