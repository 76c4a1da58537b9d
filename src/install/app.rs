//! `joist install`: the dependency, the migrations, the initializer, the database hook, the routes,
//! the Tera functions, the workers, the tasks and the config blocks.

use std::path::Path;

use super::{InstallError, Plan, Source, edit, render};

const UPLOADS: &str = include_str!("../../templates/uploads.rs");
const CONFIGS: [(&str, &str); 3] = [
    (
        "config/development.yaml",
        include_str!("../../templates/config/development.yaml"),
    ),
    (
        "config/test.yaml",
        include_str!("../../templates/config/test.yaml"),
    ),
    (
        "config/production.yaml",
        include_str!("../../templates/config/production.yaml"),
    ),
];

/// Plans joist's installation into the Loco app in `root`, taking joist from `source`.
///
/// # Errors
/// When `root` is not a Loco app or one of its files does not hold what a generated app holds.
pub fn install(root: &Path, source: &Source) -> Result<Plan, InstallError> {
    let mut plan = Plan::new(root);
    let manifest = plan
        .read("Cargo.toml")
        .map_err(|_| InstallError::NotALocoApp(root.display().to_string(), "no Cargo.toml"))?;
    if !manifest.contains("loco-rs") || !plan.exists("src/app.rs") {
        return Err(InstallError::NotALocoApp(
            root.display().to_string(),
            "Cargo.toml does not depend on loco-rs, or src/app.rs is missing",
        ));
    }
    let app_name = package_name(&manifest).unwrap_or("app").replace('_', "-");
    dependencies(&mut plan, source)?;
    migrations(&mut plan)?;
    uploads_module(&mut plan)?;
    app_hooks(&mut plan)?;
    view_engine(&mut plan)?;
    configs(&mut plan, &app_name)?;
    Ok(plan)
}

fn package_name(manifest: &str) -> Option<&str> {
    let package = &manifest[manifest.find("[package]")?..];
    let line = package
        .lines()
        .find(|line| line.trim_start().starts_with("name"))?;
    line.split('"').nth(1)
}

/// joist in `[dependencies]`, joist with its `testing` helpers in `[dev-dependencies]` (when the
/// app has that table, as `loco new` apps do), joist-migration in the migration crate.
fn dependencies(plan: &mut Plan, source: &Source) -> Result<(), InstallError> {
    for (file, table, crate_name, subfolder, features) in [
        ("Cargo.toml", "dependencies", "joist", "", &[][..]),
        (
            "Cargo.toml",
            "dev-dependencies",
            "joist",
            "",
            &["testing"][..],
        ),
        (
            "migration/Cargo.toml",
            "dependencies",
            "joist-migration",
            "migration",
            &[][..],
        ),
    ] {
        let manifest = plan.read(file)?;
        let header = format!("[{table}]");
        let start = manifest.lines().position(|line| line.trim() == header);
        if start.is_none() && table == "dev-dependencies" {
            plan.skip(format!("{file}: no [{table}] table"));
            continue;
        }
        let listed = start.is_some_and(|start| {
            manifest
                .lines()
                .skip(start + 1)
                .take_while(|line| !line.starts_with('['))
                .any(|line| line.starts_with(&format!("{crate_name} =")))
        });
        if listed {
            plan.skip(format!("{file}: {crate_name} in [{table}]"));
            continue;
        }
        let line = source.dependency(crate_name, subfolder, features);
        let updated = edit::add_dependency(file, &manifest, table, &line)?;
        plan.write(
            file,
            updated,
            format!("{file}: added {crate_name} to [{table}]"),
        );
    }
    Ok(())
}

fn migrations(plan: &mut Plan) -> Result<(), InstallError> {
    const FILE: &str = "migration/src/lib.rs";
    let lib = plan.read(FILE)?;
    if lib.contains("joist_migration::migrations()") {
        plan.skip(format!("{FILE}: joist's migrations"));
        return Ok(());
    }
    let start = edit::position(
        FILE,
        &lib,
        "fn migrations() -> Vec<Box<dyn MigrationTrait>> {",
    )?;
    let lib = edit::replace(
        FILE,
        &lib,
        start,
        "vec![",
        "let mut migrations: Vec<Box<dyn MigrationTrait>> = vec![",
    )?;
    let marker = edit::position(FILE, &lib, "// inject-above")?;
    let lib = edit::replace(
        FILE,
        &lib,
        marker,
        "]\n",
        "];\n        migrations.extend(joist_migration::migrations());\n        migrations\n",
    )?;
    plan.write(
        FILE,
        lib,
        format!("{FILE}: appended joist's migrations to the Migrator"),
    );
    Ok(())
}

fn uploads_module(plan: &mut Plan) -> Result<(), InstallError> {
    if plan.exists("src/uploads.rs") {
        plan.skip("src/uploads.rs: upload fields");
    } else {
        plan.write(
            "src/uploads.rs",
            UPLOADS.to_string(),
            "src/uploads.rs: the upload fields and joist's setup",
        );
    }
    let lib = plan.read("src/lib.rs")?;
    if lib.lines().any(|line| line.trim() == "pub mod uploads;") {
        plan.skip("src/lib.rs: the uploads module");
    } else {
        plan.write(
            "src/lib.rs",
            format!("{}\npub mod uploads;\n", lib.trim_end()),
            "src/lib.rs: declared the uploads module",
        );
    }
    Ok(())
}

/// `fn name(…_ctx: &AppContext…)` renamed to take `ctx` (and `_queue` to `queue`), so inserted
/// lines can use them.
fn use_ctx(file: &str, text: &str, signature: &str) -> Result<String, InstallError> {
    let start = edit::position(file, text, signature)?;
    let end = start + text[start..].find('{').unwrap_or(0);
    let head = text[start..end]
        .replace("_ctx: &AppContext", "ctx: &AppContext")
        .replace("_queue: &Queue", "queue: &Queue");
    Ok(format!("{}{head}{}", &text[..start], &text[end..]))
}

fn app_hooks(plan: &mut Plan) -> Result<(), InstallError> {
    const FILE: &str = "src/app.rs";
    let mut app = plan.read(FILE)?;
    let mut added = Vec::new();
    if !app.contains("crate::uploads::joist()),") {
        let start = edit::position(FILE, &app, "async fn initializers(")?;
        app = edit::insert_after(
            FILE,
            &app,
            start,
            "Ok(vec![",
            "\n            Box::new(crate::uploads::joist()),\n            ",
        )?;
        added.push("the joist initializer");
    }
    if !app.contains("joist::database::reopen_pool") {
        if app.contains("fn after_context(") {
            plan.skip(format!(
                "{FILE}: has its own after_context: call \
                 joist::database::reopen_pool(ctx) in it"
            ));
        } else {
            app = edit::insert_before(
                FILE,
                &app,
                0,
                "async fn initializers(",
                "async fn after_context(ctx: AppContext) -> Result<AppContext> {\
                 \n        joist::database::reopen_pool(ctx).await\
                 \n    }\n\n    ",
            )?;
            added.push("the database pool hook (PRAGMAs on every connection)");
        }
    }
    if !app.contains("joist::routes(ctx)") {
        app = use_ctx(FILE, &app, "fn routes(")?;
        let start = edit::position(FILE, &app, "fn routes(")?;
        let anchor =
            edit::position(FILE, &app[start..], "AppRoutes::with_default_routes()")? + start;
        let line_end = anchor + app[anchor..].find('\n').unwrap_or(app.len() - anchor);
        app.insert_str(
            line_end,
            "\n            .add_route(joist::routes(ctx))\n            .add_route(joist::admin_routes(ctx))",
        );
        added.push("the API and admin routes");
    }
    if !app.contains("JoistUploadEventWorker") {
        if !app.contains("BackgroundWorker") {
            return Err(InstallError::Unrecognised {
                file: FILE.into(),
                expected: "`BackgroundWorker` imported from `loco_rs::bgworker`".into(),
            });
        }
        app = use_ctx(FILE, &app, "async fn connect_workers(")?;
        let start = edit::position(FILE, &app, "async fn connect_workers(")?;
        app = edit::insert_after(
            FILE,
            &app,
            start,
            "{",
            "\n        queue.register(joist::workers::JoistUploadEventWorker::build(ctx)).await?;\
             \n        queue.register(joist::workers::JoistCleanupWorker::build(ctx)).await?;",
        )?;
        added.push("the event and cleanup workers");
    }
    if !app.contains("joist::tasks::Cleanup") {
        let start = edit::position(FILE, &app, "fn register_tasks(")?;
        app = edit::insert_after(
            FILE,
            &app,
            start,
            "// tasks-inject (do not remove)",
            "\n        tasks.register(joist::tasks::Cors::new(crate::uploads::joist()));\
             \n        tasks.register(joist::tasks::Cleanup::new(crate::uploads::joist()));\
             \n        tasks.register(joist::tasks::Doctor::new(crate::uploads::joist()));",
        )?;
        added.push("the joist:cors, joist:cleanup and joist:doctor tasks");
    }
    if added.is_empty() {
        plan.skip(format!("{FILE}: initializer, routes, workers and tasks"));
    } else {
        plan.write(FILE, app, format!("{FILE}: added {}", added.join(", ")));
    }
    Ok(())
}

fn view_engine(plan: &mut Plan) -> Result<(), InstallError> {
    const FILE: &str = "src/initializers/view_engine.rs";
    if !plan.exists(FILE) {
        plan.skip(format!(
            "{FILE}: no view engine (an API-only app), so no Tera functions to register"
        ));
        return Ok(());
    }
    let view = plan.read(FILE)?;
    if view.contains("joist::views::register") {
        plan.skip(format!("{FILE}: joist's Tera functions"));
        return Ok(());
    }
    let mut view = use_ctx(FILE, &view, "async fn after_routes(")?;
    let start = edit::position(FILE, &view, "async fn after_routes(")?;
    view = edit::insert_before(
        FILE,
        &view,
        start,
        "let tera_engine",
        "let joist = joist::Joist::from_context(ctx)?;\n        ",
    )?;
    let register = "joist::views::register(tera, &joist);";
    if view.contains("build_with_post_process(move |tera| {") {
        view = edit::insert_after(
            FILE,
            &view,
            start,
            "build_with_post_process(move |tera| {",
            &format!("\n                {register}"),
        )?;
    }
    if view.contains("engines::TeraView::build()?") {
        view = view.replace(
            "engines::TeraView::build()?",
            &format!(
                "engines::TeraView::build_with_post_process(move |tera| {{\n                {register}\n                Ok(())\n            }})?"
            ),
        );
    }
    if !view.contains(register) {
        return Err(InstallError::Unrecognised {
            file: FILE.into(),
            expected: "`TeraView::build()` or `TeraView::build_with_post_process(…)`".into(),
        });
    }
    plan.write(
        FILE,
        view,
        format!("{FILE}: registered joist_field and joist_media with Tera"),
    );
    Ok(())
}

fn configs(plan: &mut Plan, app_name: &str) -> Result<(), InstallError> {
    for (file, block) in CONFIGS {
        if !plan.exists(file) {
            plan.skip(format!("{file}: not in this app"));
            continue;
        }
        let config = plan.read(file)?;
        if config.lines().any(|line| line == "  joist:") {
            plan.skip(format!("{file}: initializers.joist"));
            continue;
        }
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let block = render(block, &[("app", app_name), ("secret", &secret)]);
        let updated = if config.lines().any(|line| line == "initializers:") {
            edit::insert_after(file, &config, 0, "\ninitializers:\n", &block)?
        } else {
            format!("{}\n\ninitializers:\n{block}", config.trim_end())
        };
        plan.write(file, updated, format!("{file}: added initializers.joist"));
    }
    Ok(())
}
