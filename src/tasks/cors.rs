//! `joist:cors`: print the bucket CORS rule for the app's origins, or apply it with `apply:true`.

use async_trait::async_trait;
use loco_rs::{
    Result,
    app::AppContext,
    task::{Task, TaskInfo, Vars},
};

use crate::{config::JoistConfig, joist::store_for, s3::cors};

/// `cargo loco task joist:cors [origins:https://a.example,https://b.example] [apply:true]`.
///
/// Origins come from the `origins` argument, else `cors_origins` in the config, else the app's
/// `server.host`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cors;

fn origins(ctx: &AppContext, config: &JoistConfig, vars: &Vars) -> Vec<String> {
    if let Ok(listed) = vars.cli_arg("origins") {
        return listed
            .split(',')
            .map(|origin| origin.trim().to_string())
            .filter(|origin| !origin.is_empty())
            .collect();
    }
    if !config.cors_origins.is_empty() {
        return config.cors_origins.clone();
    }
    vec![ctx.config.server.host.trim_end_matches('/').to_string()]
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
        let config = JoistConfig::from_loco(&ctx.config).map_err(crate::Error::from)?;
        let store = store_for(&config)?;
        let origins = origins(ctx, &config, vars);
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
