//! The uploads model on SQLite and PostgreSQL.

use futures::future::join_all;
use joist::{
    models::{
        Upload, UploadStatus,
        insert_queue::InsertQueue,
        uploads::{Changes, NewUpload},
    },
    s3::plan::UploadPlan,
};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    Statement,
};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

use crate::support::{Fresh, host::Migrator};

fn new_upload(key: &str) -> NewUpload {
    NewUpload {
        id: Uuid::new_v4(),
        field: "car.owners_manual".into(),
        key: key.into(),
        filename: "manual.pdf".into(),
        content_type: "application/pdf".into(),
        plan: UploadPlan::new(12 << 20, 5 << 20, 5 << 20).unwrap(),
        s3_upload_id: Some("mpu-1".into()),
        owner: Some("alice".into()),
        checksum: None,
        landing_key: None,
        event: None,
    }
}

/// Runs `test` on SQLite and on PostgreSQL (a fresh database, when reachable; the full suite,
/// `JOIST_REQUIRE_SERVICES=1`, insists on it).
async fn on_each_database<F, Fut>(test: F)
where
    F: Fn(&'static str, DatabaseConnection) -> Fut,
    Fut: Future<Output = ()>,
{
    let postgres = std::env::var("JOIST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let reachable = match Database::connect(&postgres).await {
        Ok(db) => db.close().await.is_ok(),
        Err(error) => {
            crate::support::service_missing("PostgreSQL", &error.to_string());
            false
        }
    };
    let kinds: &[(&'static str, &str)] = if reachable {
        &[("sqlite", "sqlite"), ("postgres", &postgres)]
    } else {
        &[("sqlite", "sqlite")]
    };
    for (name, configured) in kinds {
        let (fresh, url) = Fresh::create(configured).await;
        let db = Database::connect(&url).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        test(name, db.clone()).await;
        db.close().await.ok();
        fresh.remove().await;
    }
}

#[tokio::test]
async fn records_an_upload_and_reads_its_plan() {
    on_each_database(|name, db| async move {
        let created = Upload::create(&db, new_upload("k/1/manual.pdf"))
            .await
            .unwrap();
        let found = Upload::find(&db, created.id).await.unwrap().unwrap();
        assert_eq!(found, created, "{name}");
        assert_eq!(
            (found.status, found.plan().part_count),
            (UploadStatus::Prepared, 3),
            "{name}"
        );
        assert!(found.is_open());
    })
    .await;
}

#[tokio::test]
async fn keys_are_unique() {
    on_each_database(|name, db| async move {
        Upload::create(&db, new_upload("k/dup/manual.pdf"))
            .await
            .unwrap();
        assert!(
            Upload::create(&db, new_upload("k/dup/manual.pdf"))
                .await
                .is_err(),
            "{name}"
        );
    })
    .await;
}

#[tokio::test]
async fn uploads_prepared_together_share_a_statement_and_each_gets_its_own_answer() {
    on_each_database(|name, db| async move {
        let queue = InsertQueue::default();
        let insert_all = |uploads: Vec<NewUpload>| {
            let (db, queue) = (&db, &queue);
            join_all(uploads.into_iter().map(move |new| async move {
                let (id, key) = (new.id, new.key.clone());
                let created = match Upload::create_within_cap(db, queue, new, 0).await {
                    Ok(within) => within.map_err(|n| format!("capped at {n}")),
                    Err(error) => Err(error.to_string()),
                };
                (id, key, created)
            }))
        };
        // 40 keys, then two of them again: the statement holding those fails, and every
        // upload in it gets its own answer
        let mut uploads: Vec<_> = (0..40).map(|n| new_upload(&format!("q/{n}"))).collect();
        uploads.extend(["q/3", "q/17"].map(new_upload));
        let answers = insert_all(uploads).await;
        for (id, key, created) in &answers[..40] {
            let created = created.as_ref().expect("a distinct key is recorded");
            assert_eq!((&created.id, &created.key), (id, key), "{name}");
        }
        for (_, _, created) in &answers[40..] {
            let refused = created.as_ref().expect_err("a duplicate key is refused");
            assert!(refused.to_lowercase().contains("unique"), "{name}: {refused}");
        }

        let later = insert_all((0..20).map(|n| new_upload(&format!("r/{n}"))).collect()).await;
        assert!(later.iter().all(|(id, _, created)| created
            .as_ref()
            .is_ok_and(|upload| upload.id == *id)));
        let stored = Upload::find_all(&db, &later.iter().map(|(id, ..)| *id).collect::<Vec<_>>())
            .await
            .unwrap();
        assert_eq!(stored.len(), 20, "{name}");
        if name == "postgres" {
            // rows written by one statement share its transaction id
            let statements = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT count(DISTINCT xmin::text) AS n FROM joist_uploads WHERE key LIKE 'r/%'",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            assert!(statements < 20, "20 uploads took {statements} statements");
        }
    })
    .await;
}

/// Like a load client's workers: each sends its next upload as soon as the last one is answered,
/// so records keep arriving just as a drain of the queue finds it empty and ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_stream_of_uploads_from_sixteen_writers_loses_none() {
    on_each_database(|name, db| async move {
        let queue = InsertQueue::default();
        let writers = (0..16).map(|writer| {
            let (db, queue) = (db.clone(), queue.clone());
            tokio::spawn(async move {
                for n in 0..250 {
                    let new = new_upload(&format!("s/{writer}/{n}"));
                    Upload::create_within_cap(&db, &queue, new, 0)
                        .await
                        .unwrap()
                        .unwrap();
                }
            })
        });
        for writer in join_all(writers).await {
            writer.unwrap_or_else(|error| panic!("{name}: {error}"));
        }
        let stored = joist::models::_entities::joist_uploads::Entity::find()
            .count(&db)
            .await
            .unwrap();
        assert_eq!(stored, 16 * 250, "{name}");
    })
    .await;
}

#[tokio::test]
async fn only_one_of_two_racing_transitions_wins() {
    on_each_database(|name, db| async move {
        let upload = Upload::create(&db, new_upload(&format!("k/{name}/race.pdf")))
            .await
            .unwrap();
        let finalize = Upload::transition(
            &db,
            upload.id,
            &[UploadStatus::Prepared],
            UploadStatus::Finalized,
            Changes {
                finalized: true,
                etag: Some("abc".into()),
                ..Changes::default()
            },
        );
        let abort = Upload::transition(
            &db,
            upload.id,
            &[UploadStatus::Prepared],
            UploadStatus::Aborted,
            Changes::default(),
        );
        let (finalized, aborted) = tokio::join!(finalize, abort);
        let (finalized, aborted) = (finalized.unwrap(), aborted.unwrap());
        assert!(
            finalized.is_some() ^ aborted.is_some(),
            "{name}: exactly one wins"
        );
        let now = Upload::find(&db, upload.id).await.unwrap().unwrap();
        if let Some(winner) = finalized {
            assert_eq!(
                (now.status, now.etag.as_deref(), now.finalized_at.is_some()),
                (UploadStatus::Finalized, Some("abc"), true),
                "{name}"
            );
            assert_eq!(winner, now);
        } else {
            assert_eq!(now.status, UploadStatus::Aborted, "{name}");
        }
        let late = Upload::transition(
            &db,
            upload.id,
            &[UploadStatus::Prepared],
            UploadStatus::Failed,
            Changes::default(),
        )
        .await
        .unwrap();
        assert_eq!(late, None, "{name}: a settled upload does not move");
    })
    .await;
}
