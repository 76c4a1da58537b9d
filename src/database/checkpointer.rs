//! SQLite's write-ahead log copied into the database on a connection of its own, so that no
//! request waits for it.
//!
//! In WAL mode a commit appends pages to the log; SQLite copies them into the database file (a
//! checkpoint: read the log, write the pages, sync the file) after the commit that takes the log
//! past `wal_autocheckpoint` pages (1,000), on the connection that committed. With one pooled
//! connection, as joist advises for SQLite, every request queued behind that commit waits for the
//! copy and the sync: at concurrency 16, 6–9 ms about every 60 `prepare`s, the tail of the
//! latency curve. [`start`] runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own
//! (its own SQLite thread) whenever the log has grown. A passive checkpoint neither waits for
//! nor blocks the writer and the readers; the pool's next write transaction finds the log copied
//! and starts it again from the beginning, so the log stays far below the pages that would make a
//! commit checkpoint. `wal_autocheckpoint` stays as it is: should this connection fail, the
//! commits checkpoint as before.

use std::time::Duration;

use sea_orm::{
    DatabaseConnection, DbErr,
    sqlx::{self, Connection, SqliteConnection, SqlitePool},
};

/// How long the checkpointer waits after a checkpoint that found new pages in the log. Measured
/// against 25, 50 and 100 ms in one run (BENCHMARKS.md): at concurrency 16 the longer pauses
/// gave a longer tail (p99 3.1–4.5 times p50, against 2.7–2.9), while the CPU per request did
/// not differ beyond its spread.
pub const BUSY_PAUSE: Duration = Duration::from_millis(10);

/// The longest it waits while the log stays as it was (each idle look doubles the wait).
pub const IDLE_PAUSE: Duration = Duration::from_millis(500);

/// Starts the checkpointer for `db` when it is a SQLite database in WAL mode (not one in
/// memory, not one in another journal mode). It ends when the pool is closed.
///
/// # Errors
/// When the journal mode cannot be read or the checkpointer's connection cannot be opened.
pub(super) async fn start(db: &DatabaseConnection) -> Result<(), DbErr> {
    let pool = db.get_sqlite_connection_pool().clone();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .map_err(sqlx_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Ok(());
    }
    let connection = SqliteConnection::connect_with(&pool.connect_options())
        .await
        .map_err(sqlx_error)?;
    tokio::spawn(run(pool, connection));
    Ok(())
}

/// Checkpoints until the pool is closed or the connection fails.
async fn run(pool: SqlitePool, mut connection: SqliteConnection) {
    let (mut pause, mut last) = (BUSY_PAUSE, Log::default());
    while !pool.is_closed() {
        match checkpoint(&mut connection).await {
            Ok(log) => {
                pause = next_pause(pause, log != last);
                last = log;
            }
            Err(error) => {
                tracing::warn!(%error, "joist's SQLite checkpointer stopped; commits checkpoint the write-ahead log again");
                return;
            }
        }
        tokio::time::sleep(pause).await;
    }
    // Closed with the pool: the pages that are still in the log are the pool's to checkpoint.
    let _ = connection.close().await;
}

/// What `PRAGMA wal_checkpoint` answers: the pages in the log and those copied into the database.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Log {
    pages: i64,
    copied: i64,
}

async fn checkpoint(connection: &mut SqliteConnection) -> Result<Log, sqlx::Error> {
    let (_busy, pages, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *connection)
        .await?;
    Ok(Log { pages, copied })
}

/// [`BUSY_PAUSE`] after a look that found the log changed; otherwise twice the last pause, up to
/// [`IDLE_PAUSE`].
fn next_pause(last: Duration, log_changed: bool) -> Duration {
    if log_changed {
        BUSY_PAUSE
    } else {
        (last * 2).min(IDLE_PAUSE)
    }
}

fn sqlx_error(error: sqlx::Error) -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::SqlxError(error.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_log_is_looked_at_again_soon_and_a_still_one_ever_less_often() {
        let mut pause = BUSY_PAUSE;
        let mut pauses = Vec::new();
        for _ in 0..8 {
            pause = next_pause(pause, false);
            pauses.push(pause.as_millis());
        }
        assert_eq!(pauses, [20, 40, 80, 160, 320, 500, 500, 500]);
        assert_eq!(next_pause(IDLE_PAUSE, true), BUSY_PAUSE);
    }
}
