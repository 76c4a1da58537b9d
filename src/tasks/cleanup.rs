//! `joist:cleanup`: abort stale and orphaned uploads, delete files never attached.

use std::time::Duration;

use async_trait::async_trait;
use loco_rs::{
    Result,
    app::AppContext,
    task::{Task, TaskInfo, Vars},
};

use crate::{
    JoistInitializer,
    cleanup::{self, CleanupOptions, Phase},
};

/// `cargo loco task joist:cleanup [dry_run:true] [stale_after:SECONDS] [unattached_ttl:SECONDS]`.
///
/// Defaults come from `cleanup_stale_after`, `cleanup_unattached_ttl` and `cleanup_batch`.
#[derive(Debug, Clone)]
pub struct Cleanup {
    joist: JoistInitializer,
}

impl Cleanup {
    /// The task, for the app's joist setup (its handlers hear of the uploads cleanup aborts).
    #[must_use]
    pub const fn new(joist: JoistInitializer) -> Self {
        Self { joist }
    }
}

fn seconds(vars: &Vars, name: &str, default: Duration) -> Result<Duration> {
    vars.cli_arg(name).map_or(Ok(default), |value| {
        value.parse().map(Duration::from_secs).map_err(|_| {
            loco_rs::Error::Message(format!("{name}:{value} is not a number of seconds"))
        })
    })
}

/// `[#########-----------]  45/100 stale uploads`.
fn bar(phase: Phase, done: u64, total: u64) -> String {
    const WIDTH: u64 = 20;
    let filled = (done.min(total) * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH);
    let filled = usize::try_from(filled).unwrap_or_default();
    format!(
        "[{}{}] {done:>5}/{total} {phase}",
        "#".repeat(filled),
        "-".repeat(20 - filled)
    )
}

#[async_trait]
impl Task for Cleanup {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "joist:cleanup".to_string(),
            detail: "abort stale and orphaned uploads, delete files never attached (dry_run:true to count only)".to_string(),
        }
    }

    #[allow(clippy::print_stdout)] // a CLI task: its output is the point
    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let joist = self.joist.ensure(ctx).await?;
        let defaults = CleanupOptions::from_config(joist.config());
        let options = CleanupOptions {
            dry_run: vars.cli_arg("dry_run").is_ok_and(|value| value == "true"),
            stale_after: seconds(vars, "stale_after", defaults.stale_after)?,
            unattached_ttl: seconds(vars, "unattached_ttl", defaults.unattached_ttl)?,
            ..defaults
        };
        let mut progress = |phase, done, total| println!("{}", bar(phase, done, total));
        let report = cleanup::run(ctx, &joist, options, &mut progress).await?;
        println!("{report}");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Phase, bar};

    #[test]
    fn draws_a_bar() {
        assert_eq!(
            bar(Phase::Stale, 5, 10),
            "[##########----------]     5/10 stale uploads"
        );
        assert_eq!(
            bar(Phase::Orphans, 0, 0),
            "[####################]     0/0 orphaned multipart uploads"
        );
    }
}
