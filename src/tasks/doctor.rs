//! `joist:doctor`: probe the store and print each problem with its fix.

use async_trait::async_trait;
use loco_rs::{
    Result,
    app::AppContext,
    task::{Task, TaskInfo, Vars},
};

use crate::{JoistInitializer, doctor};

/// `cargo loco task joist:doctor [origins:https://a.example,https://b.example]`; fails when a
/// probe fails.
#[derive(Debug, Clone)]
pub struct Doctor {
    joist: JoistInitializer,
}

impl Doctor {
    /// The task, for the app's joist setup.
    #[must_use]
    pub const fn new(joist: JoistInitializer) -> Self {
        Self { joist }
    }
}

#[async_trait]
impl Task for Doctor {
    fn task(&self) -> TaskInfo {
        TaskInfo {
            name: "joist:doctor".to_string(),
            detail: "probe the store: credentials, bucket, multipart, CORS from each origin, STS"
                .to_string(),
        }
    }

    #[allow(clippy::print_stdout)] // a CLI task: its output is the point
    async fn run(&self, ctx: &AppContext, vars: &Vars) -> Result<()> {
        let joist = self.joist.ensure(ctx).await?;
        let origins = super::origins(ctx, joist.config(), Some(vars));
        let probes = doctor::run(&joist, &origins).await;
        for probe in &probes {
            println!("{probe}");
        }
        if doctor::healthy(&probes) {
            Ok(())
        } else {
            Err(loco_rs::Error::Message(
                "joist:doctor found problems (see above)".to_string(),
            ))
        }
    }
}
