//! Concurrent `prepare`s recorded together: one `INSERT … RETURNING` of many rows instead of one
//! statement, one commit and one pooled connection per upload.
//!
//! Nothing waits to fill a batch. The first record to arrive is inserted at once, alone; the
//! records that arrive while that statement runs go in the next one, and so on until none are
//! waiting. One upload at a time pays no delay; under load, SQLite (one writer, one fsync per
//! commit) and PostgreSQL (one round trip and commit per statement) do a fraction of the work.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{
    _entities::joist_uploads::{ActiveModel, Entity, Model},
    uploads::NewUpload,
};

/// The most rows one statement inserts (SQLite binds at most 32,766 values; a row has 22).
const MAX_BATCH: usize = 64;

type Answer = oneshot::Sender<Result<Model, DbErr>>;

/// Batches the inserts of concurrent [`Upload::create_within_cap`](super::Upload::create_within_cap)
/// calls that need no transaction (no unfinished-upload cap to hold, no event to record). One
/// queue serves a process; [`Joist::inserts`](crate::Joist::inserts) holds it.
#[derive(Debug, Clone, Default)]
pub struct InsertQueue {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    waiting: Vec<(Uuid, ActiveModel, Answer)>,
    draining: bool,
}

impl InsertQueue {
    /// Records `new`, in one statement with the uploads that wait beside it.
    ///
    /// # Errors
    /// The insert's error: a duplicate key fails only its own upload.
    pub async fn insert(&self, db: &DatabaseConnection, new: NewUpload) -> Result<Model, DbErr> {
        let (answer, answered) = oneshot::channel();
        let id = new.id;
        let record = new.into_record();
        let start = {
            let mut state = self.lock();
            state.waiting.push((id, record, answer));
            !std::mem::replace(&mut state.draining, true)
        };
        if start {
            // Its own task: a request dropped mid-way (the client went away) stops nothing.
            let drain = Drain {
                queue: self.clone(),
                done: false,
            };
            tokio::spawn(drain.run(db.clone()));
        }
        answered
            .await
            .unwrap_or_else(|_| Err(DbErr::Custom("the upload insert was dropped".into())))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Inserts what waits until nothing does, and says so under the same lock that found the queue
/// empty (a record that arrives after that starts the next drain). Dropped before that (its task
/// unwound by a panic), it lets the next arrival start another and drops what still waits, whose
/// callers then get an error instead of waiting forever.
struct Drain {
    queue: InsertQueue,
    done: bool,
}

impl Drain {
    async fn run(mut self, db: DatabaseConnection) {
        loop {
            let batch: Vec<_> = {
                let mut state = self.queue.lock();
                if state.waiting.is_empty() {
                    state.draining = false;
                    self.done = true;
                    return;
                }
                let take = state.waiting.len().min(MAX_BATCH);
                state.waiting.drain(..take).collect()
            };
            insert_batch(&db, batch).await;
        }
    }
}

impl Drop for Drain {
    fn drop(&mut self) {
        if !self.done {
            let mut state = self.queue.lock();
            state.draining = false;
            state.waiting.clear();
        }
    }
}

async fn insert_batch(db: &DatabaseConnection, mut batch: Vec<(Uuid, ActiveModel, Answer)>) {
    if batch.len() == 1 {
        // alone: no statement of many to fall back from, so nothing to keep a copy for
        let (_, record, answer) = batch.pop().unwrap();
        let _ = answer.send(insert_one(db, record).await);
        return;
    }
    let mut answers = HashMap::with_capacity(batch.len());
    let mut records = Vec::with_capacity(batch.len());
    for (id, record, answer) in batch {
        answers.insert(id, answer);
        records.push((id, record));
    }
    let together = records.iter().map(|(_, record)| record.clone()).collect();
    match insert_rows(db, together).await {
        Ok(inserted) => {
            for model in inserted {
                if let Some(answer) = answers.remove(&model.id) {
                    let _ = answer.send(Ok(model));
                }
            }
        }
        // No connection for this batch: none for any of its records either.
        Err(DbErr::ConnectionAcquire(error)) => {
            for answer in answers.into_values() {
                let _ = answer.send(Err(DbErr::ConnectionAcquire(error)));
            }
        }
        // One bad record (a duplicate key) fails the whole statement: each record alone then,
        // for its own answer.
        Err(_) => {
            for (id, record) in records {
                let result = insert_one(db, record).await;
                if let Some(answer) = answers.remove(&id) {
                    let _ = answer.send(result);
                }
            }
        }
    }
}

/// Inserts `record` alone and answers the row as stored.
pub(super) async fn insert_one(
    db: &impl sea_orm::ConnectionTrait,
    record: ActiveModel,
) -> Result<Model, DbErr> {
    insert_rows(db, vec![record])
        .await?
        .pop()
        .ok_or(DbErr::RecordNotInserted)
}

/// Inserts `records` (at least one) in one statement and answers the rows as stored.
///
/// Read to the end, not to the first row: SQLite runs its WAL auto-checkpoint only when a write
/// statement steps to completion. SeaORM's single-row `exec_with_returning` resets the statement
/// after the row instead, so under a steady stream of prepares the WAL grew without bound
/// (hundreds of MB) until some other write checkpointed it all at once, holding the connection
/// for 300 ms and more.
async fn insert_rows(
    db: &impl sea_orm::ConnectionTrait,
    records: Vec<ActiveModel>,
) -> Result<Vec<Model>, DbErr> {
    Entity::insert_many(records).exec_with_returning(db).await
}
