//! `joist:cors`: print the bucket CORS rule for the app's origins, or apply it with `apply:true`.

use async_trait::async_trait;
use loco_rs::{
    Result,
    app::AppContext,
    task::{Task, TaskInfo, Vars},
};

use crate::{JoistInitializer, s3::cors};

/// `cargo loco task joist:cors [origins:https://a.example,https://b.example] [apply:true]`.
///
/// Origins come from the `origins` argument, else `cors_origins` in the config, else the app's
/// `server.host`.
#[derive(Debug, Clone)]
pub struct Cors {
    joist: JoistInitializer,
}

impl Cors {
    /// The task, for the app's joist setup.
    #[must_use]
    pub const fn new(joist: JoistInitializer) -> Self {
        Self { joist }
    }
}

#[async_trait]
impl Task for Cors {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "joist:cors".to_string(),
            detail: "print the bucket CORS rule joist needs; `apply:true` puts it on the bucket"
                .to_string(),
        }
    }

    #[allow(clippy::print_stdout)] // a CLI task: its output is the point
    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let joist = self.joist.ensure(ctx).await?;
        let store = joist.store();
        let origins = super::origins(ctx, joist.config(), Some(vars));
        let rule = cors::rule_json(&origins);
        println!("{}", serde_json::to_string_pretty(&rule)?);
        if vars.cli_arg("apply").is_ok_and(|apply| apply == "true") {
            store
                .apply_cors(&origins)
                .await
                .map_err(crate::Error::from)?;
            println!("applied to bucket `{}`", store.bucket());
        } else {
            println!(
                "(not applied: run with apply:true to put it on bucket `{}`)",
                store.bucket()
            );
        }
        Ok(())
    }
}
