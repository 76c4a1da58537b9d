//! Boots the dummy host on a fresh database (SQLite file, or a new PostgreSQL database when
//! `DATABASE_URL` points at one) and hands the test an in-process server.

use std::{future::Future, net::SocketAddr};

use axum_test::TestServer;
use loco_rs::{
    app::{AppContext, Hooks},
    boot::StartMode,
    config::Config,
    environment::Environment,
};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

use super::host::App;

/// A database made for one test and dropped after it.
pub enum Fresh {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Fresh {
    /// A fresh database of the kind `configured` names; returns it and its URL.
    pub async fn create(configured: &str) -> (Self, String) {
        let name = format!("joist_test_{}", Uuid::new_v4().simple());
        if configured.starts_with("postgres") {
            let (base, _) = configured
                .rsplit_once('/')
                .expect("a database name in DATABASE_URL");
            let admin_url = format!("{base}/postgres");
            let admin = Database::connect(&admin_url)
                .await
                .expect("PostgreSQL reachable");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            admin.close().await.ok();
            (
                Self::Postgres {
                    admin_url,
                    name: name.clone(),
                },
                format!("{base}/{name}"),
            )
        } else {
            let path = std::env::temp_dir().join(format!("{name}.sqlite"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (Self::Sqlite(path), url)
        }
    }

    /// Drops the database.
    pub async fn remove(self) {
        match self {
            Self::Sqlite(path) => {
                let _ = std::fs::remove_file(path);
            }
            Self::Postgres { admin_url, name } => {
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("PostgreSQL reachable");
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .expect("drop database");
            }
        }
    }
}

/// Runs `test` against the dummy host booted on a fresh database.
pub async fn request<F, Fut>(test: F)
where
    F: FnOnce(TestServer, AppContext) -> Fut,
    Fut: Future<Output = ()>,
{
    request_with(|_| {}, StartMode::ServerOnly, test).await;
}

/// Like [`request`], with the config changed by `configure` and booted in `mode`.
pub async fn request_with<C, F, Fut>(configure: C, mode: StartMode, test: F)
where
    C: FnOnce(&mut Config),
    F: FnOnce(TestServer, AppContext) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut config = App::load_config(&Environment::Test)
        .await
        .expect("config/test.yaml loads");
    let (database, url) = Fresh::create(&config.database.uri).await;
    config.database.uri = url;
    configure(&mut config);
    let boot = App::boot(mode, &Environment::Test, config)
        .await
        .expect("the host boots");
    let router = boot.router.clone().expect("a router");
    let server = TestServer::new(router.into_make_service_with_connect_info::<SocketAddr>())
        .expect("a test server");
    let ctx = boot.app_context.clone();
    test(server, ctx.clone()).await;
    ctx.db.close_by_ref().await.ok();
    drop(boot);
    database.remove().await;
}
