//! Abuse limits on `prepare`, counted where every app instance sees the same numbers: how often
//! one owner (or one client address) may prepare, in fixed one-minute windows, in the database
//! (`joist_limit_counters`, one atomic upsert per call) or in Redis (`limits_redis`: `INCR` and
//! `EXPIRE` in one transaction); and the unfinished-upload cap, held by a per-owner row lock
//! in the same transaction as the upload's insert (see [`crate::models::Upload::create_within_cap`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// One minute, the window `prepare_rate_limit` counts in.
const WINDOW: Duration = Duration::from_mins(1);

/// A limit's counter could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The database failed the counter's query.
    #[error("joist limit counter (database): {0}")]
    Database(#[from] DbErr),
    /// Redis failed or could not be reached.
    #[error("joist limit counter (Redis): {0}")]
    Redis(#[from] redis::RedisError),
}

/// Where the counters live.
#[derive(Clone)]
enum Counters {
    Database,
    Redis(redis::aio::ConnectionManager),
}

/// Counts calls per client key in one-minute windows shared by every app instance.
#[derive(Clone)]
pub struct RateLimiter {
    limit: u32,
    counters: Counters,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.limit)
            .field("redis", &matches!(self.counters, Counters::Redis(_)))
            .finish()
    }
}

/// The window `now` falls in: its start (Unix seconds) and what is left of it.
fn window(now: SystemTime) -> (i64, Duration) {
    let seconds = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let start = seconds - seconds % WINDOW.as_secs();
    let left = Duration::from_secs(start + WINDOW.as_secs() - seconds);
    (i64::try_from(start).unwrap_or(i64::MAX), left)
}

impl RateLimiter {
    /// A limiter allowing `limit` calls per minute per key (0: any number), counting in the
    /// database.
    #[must_use]
    pub const fn in_database(limit: u32) -> Self {
        Self {
            limit,
            counters: Counters::Database,
        }
    }

    /// Like [`Self::in_database`], counting in the Redis at `url` (connected on first use and
    /// reconnected when the connection drops).
    ///
    /// # Errors
    /// When `url` is not a Redis URL.
    pub fn in_redis(limit: u32, url: &str) -> Result<Self, LimitError> {
        let client = redis::Client::open(url)?;
        let manager = redis::aio::ConnectionManager::new_lazy_with_config(
            client,
            redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(3)))
                .set_response_timeout(Some(Duration::from_secs(3))),
        )?;
        Ok(Self {
            limit,
            counters: Counters::Redis(manager),
        })
    }

    /// Counts a call by `key` at `now`. `Ok(Err(wait))`: the key used up its calls in this
    /// window, and may call again after `wait`.
    ///
    /// # Errors
    /// When the counter's store fails.
    pub async fn check(
        &self,
        db: &impl ConnectionTrait,
        key: &str,
        now: SystemTime,
    ) -> Result<Result<(), Duration>, LimitError> {
        if self.limit == 0 {
            return Ok(Ok(()));
        }
        let (start, left) = window(now);
        let count = match &self.counters {
            Counters::Database => count_in_database(db, &format!("rate:{key}"), start).await?,
            Counters::Redis(manager) => {
                let mut connection = manager.clone();
                let redis_key = format!("joist:rate:{key}:{start}");
                let (count,): (i64,) = redis::pipe()
                    .atomic()
                    .incr(&redis_key, 1)
                    .expire(&redis_key, 2 * WINDOW.as_secs().cast_signed())
                    .ignore()
                    .query_async(&mut connection)
                    .await?;
                count
            }
        };
        Ok(if count > i64::from(self.limit) {
            Err(left)
        } else {
            Ok(())
        })
    }
}

/// `sql` with its `?` placeholders as `backend` spells them (`$1`, `$2`, ... on PostgreSQL).
fn numbered(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_string();
    }
    let mut position = 0;
    sql.chars()
        .map(|c| {
            if c == '?' {
                position += 1;
                format!("${position}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Adds one to `key`'s counter for the window starting at `start` (a new window starts at 1),
/// in one statement, and answers the new count.
async fn count_in_database(db: &impl ConnectionTrait, key: &str, start: i64) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let sql = numbered(
        backend,
        "INSERT INTO joist_limit_counters (key, window_start, count) VALUES (?, ?, 1) \
         ON CONFLICT (key) DO UPDATE SET \
         count = CASE WHEN joist_limit_counters.window_start = excluded.window_start \
         THEN joist_limit_counters.count + 1 ELSE 1 END, \
         window_start = excluded.window_start RETURNING count",
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            &sql,
            [key.into(), start.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the counter upsert returned no row".into()))?;
    row.try_get_by_index::<i32>(0).map(i64::from)
}

/// Takes `key`'s row lock until the transaction `db` ends: concurrent holders of the same key
/// wait for each other, on PostgreSQL (the row) as on SQLite (the write lock).
///
/// # Errors
/// When the query fails.
pub async fn lock_key(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    let (start, _) = window(SystemTime::now());
    count_in_database(db, &format!("lock:{key}"), start)
        .await
        .map(|_| ())
}

/// Deletes the counters of windows that ended before `now` (cleanup).
///
/// # Errors
/// When the query fails.
pub async fn forget_finished_windows(
    db: &impl ConnectionTrait,
    now: SystemTime,
) -> Result<u64, DbErr> {
    let (start, _) = window(now);
    let backend = db.get_database_backend();
    let sql = numbered(
        backend,
        "DELETE FROM joist_limit_counters WHERE window_start < ?",
    );
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            &sql,
            [start.into()],
        ))
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        let sql = "INSERT INTO t (a, b) VALUES (?, ?)";
        assert_eq!(numbered(DbBackend::Sqlite, sql), sql);
        assert_eq!(
            numbered(DbBackend::Postgres, sql),
            "INSERT INTO t (a, b) VALUES ($1, $2)"
        );
    }

    #[test]
    fn windows_are_whole_minutes() {
        let at = |seconds| UNIX_EPOCH + Duration::from_secs(seconds);
        assert_eq!(window(at(120)), (120, Duration::from_mins(1)));
        assert_eq!(window(at(179)), (120, Duration::from_secs(1)));
        assert_eq!(window(at(180)), (180, Duration::from_mins(1)));
    }
}
