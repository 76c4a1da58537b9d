//! The demo's CLI: `cargo run -p joist-demo -- start` (Loco's usual commands).

use joist_demo::app::App;
use loco_rs::cli;
use migration::Migrator;

#[tokio::main]
async fn main() -> loco_rs::Result<()> {
    // Run from the repository root (`cargo run -p joist-demo`), the demo still finds its config,
    // database and storage folder in its own directory.
    if !std::path::Path::new("config/development.yaml").exists() {
        std::env::set_current_dir(env!("CARGO_MANIFEST_DIR"))?;
    }
    cli::main::<App, Migrator>().await
}
