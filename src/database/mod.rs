//! The host's database pool, reopened so that Loco's `database.run_on_start` holds on every
//! pooled connection and a busy connection is not pinged before each query.
//!
//! loco-rs 1.2 runs `run_on_start` (for SQLite, when the config has none, its own PRAGMAs:
//! WAL, `synchronous = NORMAL`, a 5 s busy timeout, …) once, on whichever connection the pool
//! hands out first. Connections opened later (the pool replaces an idle one after
//! `idle_timeout`, or opens more up to `max_connections`) get SQLite's defaults instead:
//! `synchronous = FULL`, one `fsync` per commit, and no busy timeout. And SeaORM pings a
//! connection every time it leaves the pool: one more round trip to PostgreSQL, or hand-off to
//! sqlx's SQLite thread, per query. [`reopen_pool`] opens the pool again with the same settings,
//! runs the statements on each new connection, as Loco intends, and pings only a connection
//! that has been idle for [`PING_AFTER_IDLE`]. On a SQLite database in WAL mode it also starts
//! a [`checkpointer`], which copies the write-ahead log into the database on a connection of its
//! own instead of on the pool's.

pub mod checkpointer;

use std::{sync::Arc, time::Duration};

use loco_rs::{app::AppContext, config};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DbErr,
    sqlx::{self, AssertSqlSafe},
};

/// How long a PostgreSQL connection may sit idle in the pool before it is pinged on the way
/// out (HikariCP's `aliveBypassWindowMs` is the same half second): a dropped connection is
/// found before a query uses it, and a busy one goes straight to work.
pub const PING_AFTER_IDLE: Duration = Duration::from_millis(500);

/// What loco-rs 1.2 runs on a SQLite database when `database.run_on_start` is not set.
pub const LOCO_SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA mmap_size = 134217728;
PRAGMA journal_size_limit = 67108864;
PRAGMA cache_size = 2000;
PRAGMA busy_timeout = 5000;";

/// Replaces `ctx.db` with a pool that runs `database.run_on_start` (Loco's SQLite PRAGMAs when
/// it is not set) on every connection it opens and pings a PostgreSQL connection only after
/// [`PING_AFTER_IDLE`], and closes the pool Loco opened. On a SQLite database in WAL mode it
/// starts the [`checkpointer`], which ends when the pool is closed. Call it from the host's
/// `Hooks::after_context`; `joist install` adds that hook.
///
/// A SQLite connection is never pinged: it is a file in this process, not a socket that can go
/// stale.
///
/// ```no_run
/// use loco_rs::{Result, app::AppContext};
///
/// async fn after_context(ctx: AppContext) -> Result<AppContext> {
///     joist::database::reopen_pool(ctx).await
/// }
/// ```
///
/// # Errors
/// When the database cannot be opened again, a connection refuses the statements, or the
/// checkpointer's connection cannot be opened.
pub async fn reopen_pool(mut ctx: AppContext) -> loco_rs::Result<AppContext> {
    let backend = ctx.db.get_database_backend();
    let statements: Option<Arc<str>> = match (&ctx.config.database.run_on_start, backend) {
        (Some(statements), _) => Some(statements.as_str().into()),
        (None, DatabaseBackend::Sqlite) => Some(LOCO_SQLITE_PRAGMAS.into()),
        (None, _) => None,
    };
    let pool = open(&ctx.config.database, backend, statements).await?;
    if backend == DatabaseBackend::Sqlite {
        checkpointer::start(&pool).await?;
    }
    let loco_pool = std::mem::replace(&mut ctx.db, pool);
    loco_pool.close().await?;
    Ok(ctx)
}

/// The pool as loco-rs 1.2's `db::connect` builds it, with `statements` run on each connection.
async fn open(
    config: &config::Database,
    backend: DatabaseBackend,
    statements: Option<Arc<str>>,
) -> Result<sea_orm::DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(&config.uri);
    options
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .connect_timeout(Duration::from_millis(config.connect_timeout))
        .idle_timeout(Duration::from_millis(config.idle_timeout))
        .sqlx_logging(config.enable_logging);
    if let Some(acquire_timeout) = config.acquire_timeout {
        options.acquire_timeout(Duration::from_millis(acquire_timeout));
    }
    match backend {
        DatabaseBackend::Sqlite => {
            options.test_before_acquire(false);
            if let Some(statements) = statements {
                options.map_sqlx_sqlite_pool_opts(move |pool| {
                    run_on_connect(pool, statements.clone())
                });
            }
        }
        DatabaseBackend::Postgres => {
            options.test_before_acquire_if_idle_for(PING_AFTER_IDLE);
            if let Some(statements) = statements {
                options.map_sqlx_postgres_pool_opts(move |pool| {
                    run_on_connect(pool, statements.clone())
                });
            }
        }
        other => {
            return Err(DbErr::BackendNotSupported {
                db: other.as_str(),
                ctx: "joist::database",
            });
        }
    }
    Database::connect(options).await
}

/// `pool` running `statements` on every connection it opens.
fn run_on_connect<DB: sqlx::Database>(
    pool: sqlx::pool::PoolOptions<DB>,
    statements: Arc<str>,
) -> sqlx::pool::PoolOptions<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    pool.after_connect(move |connection, _| {
        let sql = sqlx::raw_sql(AssertSqlSafe(statements.clone()));
        Box::pin(async move { sql.execute(connection).await.map(|_| ()) })
    })
}
