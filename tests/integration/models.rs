//! The uploads model on SQLite and PostgreSQL.

use joist::{
    models::{
        Upload, UploadStatus,
        uploads::{Changes, NewUpload},
    },
    s3::plan::UploadPlan,
};
use sea_orm::{Database, DatabaseConnection};
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
