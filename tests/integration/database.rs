//! `joist::database::reopen_pool`: `database.run_on_start` (Loco's SQLite
//! PRAGMAs when it is not set) holds on every pooled connection, where loco-rs runs it on one.

use std::time::{Duration, Instant};

use joist::{
    models::{Upload, uploads::NewUpload},
    s3::plan::UploadPlan,
};
use loco_rs::{
    app::{AppContext, Hooks},
    environment::Environment,
};
use sea_orm::{DatabaseConnection, sqlx};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use crate::support::{
    Fresh,
    host::{App, Migrator},
};

/// An app context on `uri` whose pool keeps two connections open (and idle ones for a minute),
/// as Loco boots it.
async fn loco_context(uri: &str, run_on_start: Option<&str>) -> AppContext {
    let mut config = App::load_config(&Environment::Test).await.unwrap();
    config.database.uri = uri.into();
    config.database.min_connections = 2;
    config.database.max_connections = 2;
    config.database.idle_timeout = 60_000;
    config.database.run_on_start = run_on_start.map(Into::into);
    let db = loco_rs::db::connect(&config.database).await.unwrap();
    AppContext::builder(Environment::Test, db, config).build()
}

/// `PRAGMA name` read on both connections of a SQLite pool, each held while the other is read.
async fn sqlite_pragma(db: &DatabaseConnection, name: &str) -> [i64; 2] {
    let pool = db.get_sqlite_connection_pool();
    let mut connections = [pool.acquire().await.unwrap(), pool.acquire().await.unwrap()];
    let mut values = [0; 2];
    for (connection, value) in connections.iter_mut().zip(&mut values) {
        let query = sqlx::AssertSqlSafe(format!("PRAGMA {name}"));
        *value = sqlx::query_scalar(query)
            .fetch_one(&mut **connection)
            .await
            .unwrap();
    }
    values
}

#[tokio::test]
async fn loco_s_sqlite_pragmas_hold_on_every_connection() {
    let (fresh, uri) = Fresh::create("sqlite").await;
    let ctx = loco_context(&uri, None).await;
    // loco-rs alone: the PRAGMAs reached one of the two connections; the other has SQLite's
    // defaults (synchronous FULL = 2, no busy timeout).
    let mut loco = sqlite_pragma(&ctx.db, "synchronous").await;
    loco.sort_unstable();
    assert_eq!(loco, [1, 2], "the contrast this test relies on");

    let ctx = joist::database::reopen_pool(ctx).await.unwrap();
    assert_eq!(sqlite_pragma(&ctx.db, "synchronous").await, [1, 1]);
    assert_eq!(sqlite_pragma(&ctx.db, "busy_timeout").await, [5000, 5000]);
    assert_eq!(sqlite_pragma(&ctx.db, "foreign_keys").await, [1, 1]);
    assert_eq!(sqlite_pragma(&ctx.db, "cache_size").await, [2000, 2000]);
    ctx.db.close().await.unwrap();
    fresh.remove().await;
}

#[tokio::test]
async fn the_config_s_own_run_on_start_holds_on_every_sqlite_connection() {
    let (fresh, uri) = Fresh::create("sqlite").await;
    let own = "PRAGMA busy_timeout = 1234; PRAGMA synchronous = FULL;";
    let ctx = loco_context(&uri, Some(own)).await;
    let ctx = joist::database::reopen_pool(ctx).await.unwrap();
    assert_eq!(sqlite_pragma(&ctx.db, "busy_timeout").await, [1234, 1234]);
    assert_eq!(sqlite_pragma(&ctx.db, "synchronous").await, [2, 2]);
    ctx.db.close().await.unwrap();
    fresh.remove().await;
}

/// The file a `sqlite://path?…` URI names.
fn sqlite_path(uri: &str) -> String {
    uri.strip_prefix("sqlite://")
        .and_then(|rest| rest.split_once('?'))
        .map(|(path, _)| path.to_string())
        .unwrap()
}

/// The record of a 10 MiB upload, the `n`th of a test.
fn new_upload(n: usize) -> NewUpload {
    let id = Uuid::new_v4();
    NewUpload {
        id,
        field: "backup.archive".into(),
        key: format!("uploads/backup.archive/{id}/{n}.bin"),
        filename: format!("{n}.bin"),
        content_type: "application/octet-stream".into(),
        plan: UploadPlan::new(10 << 20, 16 << 20, 16 << 20).unwrap(),
        s3_upload_id: None,
        owner: None,
        checksum: None,
        landing_key: None,
        event: None,
    }
}

/// SQLite checkpoints its write-ahead log into the database every 1,000 pages, but only after a
/// write statement that ran to its end: a stream of recorded uploads (each `INSERT … RETURNING`)
/// must keep the log near that size, not grow it until some other write checkpoints it all at
/// once while holding the only connection (seen as 500 ms pool timeouts under load). The pool is
/// loco-rs's own, without joist's checkpointer: that one copies the log on a connection of its
/// own, concurrently, and how far it lags behind the inserts depends on the machine's load.
#[tokio::test]
async fn recording_uploads_keeps_sqlite_s_write_ahead_log_checkpointed() {
    let (fresh, uri) = Fresh::create("sqlite").await;
    let ctx = loco_context(&uri, None).await;
    Migrator::up(&ctx.db, None).await.unwrap();
    let path = sqlite_path(&uri);
    let wal_pages = || std::fs::metadata(format!("{path}-wal")).map_or(0, |wal| wal.len() / 4096);
    // Each record writes several pages (the row and its five indexes): some 4,000 in all.
    for n in 0..400 {
        Upload::create(&ctx.db, new_upload(n)).await.unwrap();
    }
    let (pages, checkpoint_at) = (wal_pages(), 1000);
    assert!(
        pages < checkpoint_at + 200,
        "the write-ahead log holds {pages} pages; SQLite checkpoints at {checkpoint_at}"
    );
    ctx.db.close().await.unwrap();
    fresh.remove().await;
}

/// A recorded upload reaches the database file, not only the write-ahead log, although no commit
/// took the log past the 1,000 pages at which SQLite would checkpoint on the pool's connection:
/// joist's checkpointer copied it on its own. With loco-rs's pool alone the record stays in the
/// log.
#[tokio::test]
async fn the_checkpointer_copies_the_write_ahead_log_while_no_commit_would() {
    let (fresh, uri) = Fresh::create("sqlite").await;
    let loco = loco_context(&uri, None).await;
    Migrator::up(&loco.db, None).await.unwrap();
    let path = sqlite_path(&uri);
    let in_database_file = |key: &str| {
        let file = std::fs::read(&path).unwrap();
        file.windows(key.len()).any(|bytes| bytes == key.as_bytes())
    };
    let before = Upload::create(&loco.db, new_upload(0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !in_database_file(&before.key),
        "the contrast this test relies on: without joist's checkpointer the record stays in the log"
    );

    let ctx = joist::database::reopen_pool(loco).await.unwrap();
    let after = Upload::create(&ctx.db, new_upload(1)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !in_database_file(&after.key) {
        assert!(
            Instant::now() < deadline,
            "the record is still only in the write-ahead log after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ctx.db.close().await.unwrap();
    fresh.remove().await;
}

#[tokio::test]
async fn a_postgres_run_on_start_holds_on_every_connection() {
    let url = std::env::var("JOIST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if let Err(error) = sea_orm::Database::connect(&url).await {
        crate::support::service_missing("PostgreSQL", &error.to_string());
        return;
    }
    let ctx = loco_context(&url, Some("SET statement_timeout = 4321")).await;
    let ctx = joist::database::reopen_pool(ctx).await.unwrap();
    let pool = ctx.db.get_postgres_connection_pool();
    let mut first = pool.acquire().await.unwrap();
    let mut second = pool.acquire().await.unwrap();
    for connection in [&mut first, &mut second] {
        let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(timeout, "4321ms");
    }
    drop((first, second));
    ctx.db.close().await.unwrap();
}
