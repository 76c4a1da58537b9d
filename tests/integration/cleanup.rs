//! Cleanup against real stores: stale, orphaned, unattached, attached and fresh uploads mixed.

use std::time::Duration;

use chrono::Utc;
use insta::assert_snapshot;
use joist::{
    Joist, Owner,
    cleanup::{self, CleanupOptions, CleanupReport},
    models::{
        _entities::joist_uploads::{Column, Entity},
        Upload, UploadStatus,
    },
    s3::StoreError,
};
use loco_rs::{app::AppContext, boot::StartMode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use crate::support::{
    bytes, host::PUBLIC_DOC, prepare, put_part, request_with, stored, stores::stores, upload,
};

const DAY: Duration = Duration::from_hours(24);

fn options(dry_run: bool, stale_after: Duration) -> CleanupOptions {
    CleanupOptions {
        dry_run,
        stale_after,
        unattached_ttl: DAY,
        batch_size: 2,
    }
}

async fn backdate(ctx: &AppContext, id: Uuid, column: Column) {
    let three_days_ago = Utc::now().fixed_offset() - chrono::Duration::days(3);
    Entity::update_many()
        .col_expr(column, Expr::value(three_days_ago))
        .filter(Column::Id.eq(id))
        .exec(&ctx.db)
        .await
        .unwrap();
}

async fn status(ctx: &AppContext, id: Uuid) -> UploadStatus {
    Upload::find(&ctx.db, id).await.unwrap().unwrap().status
}

async fn run(ctx: &AppContext, options: CleanupOptions) -> CleanupReport {
    let joist = Joist::from_context(ctx).unwrap();
    cleanup::run(ctx, &joist, options, &mut |_, _, _| {})
        .await
        .unwrap()
}

/// (stale aborted, unattached deleted, orphans aborted, store errors).
fn counts(report: &CleanupReport) -> (u64, u64, u64, u64) {
    (
        report.stale_aborted,
        report.unattached_deleted,
        report.orphans_aborted,
        report.store_errors,
    )
}

fn id(body: &serde_json::Value) -> Uuid {
    body["upload"].as_str().unwrap().parse().unwrap()
}

/// One upload of each kind cleanup must tell apart.
struct Mix {
    stale: serde_json::Value,
    attached: serde_json::Value,
    unattached: serde_json::Value,
    fresh: serde_json::Value,
    orphan: String,
}

async fn seed_mix(server: &axum_test::TestServer, ctx: &AppContext, orphan_key: &str) -> Mix {
    let joist = Joist::from_context(ctx).unwrap();
    let content = bytes((10 << 20) + 1, 8);
    let stale = prepare(
        server,
        PUBLIC_DOC,
        "stale.bin",
        content.len(),
        "application/octet-stream",
    )
    .await;
    put_part(&stale["parts"][0], &content[..5 << 20]).await;
    backdate(ctx, id(&stale), Column::CreatedAt).await;

    let attached = upload(server, PUBLIC_DOC, "kept.txt", b"kept", "text/plain").await;
    joist
        .attach(
            &ctx.db,
            PUBLIC_DOC,
            attached["field_value"].as_str().unwrap(),
            &Owner::Anonymous,
        )
        .await
        .unwrap();
    backdate(ctx, id(&attached), Column::FinalizedAt).await;
    backdate(ctx, id(&attached), Column::CreatedAt).await;

    let unattached = upload(
        server,
        PUBLIC_DOC,
        "forgotten.txt",
        b"forgotten",
        "text/plain",
    )
    .await;
    backdate(ctx, id(&unattached), Column::FinalizedAt).await;

    let fresh = prepare(
        server,
        PUBLIC_DOC,
        "fresh.bin",
        content.len(),
        "application/octet-stream",
    )
    .await;
    let orphan = joist
        .store()
        .create_multipart(orphan_key, "application/octet-stream")
        .await
        .unwrap();
    Mix {
        stale,
        attached,
        unattached,
        fresh,
        orphan,
    }
}

#[tokio::test]
async fn cleans_stale_orphaned_and_unattached_uploads_and_never_touches_attached_ones() {
    for store in stores() {
        let prefix = format!("cleanup-{}/", Uuid::new_v4().simple());
        let orphan_key = format!("{prefix}orphan/{}/lost.bin", Uuid::new_v4());
        request_with(
            |config| store.configure(config, &prefix),
            StartMode::ServerOnly,
            |server, ctx| async move {
                let joist = Joist::from_context(&ctx).unwrap();
                let Mix {
                    stale,
                    attached,
                    unattached,
                    fresh,
                    orphan,
                } = seed_mix(&server, &ctx, &orphan_key).await;
                let dry = run(&ctx, options(true, DAY)).await;
                assert_eq!(counts(&dry), (1, 1, 0, 0), "{}", store.name);
                assert_eq!(
                    status(&ctx, id(&stale)).await,
                    UploadStatus::Prepared,
                    "a dry run changes nothing"
                );
                assert!(
                    stored(&ctx, unattached["key"].as_str().unwrap())
                        .await
                        .is_some()
                );

                let report = run(&ctx, options(false, DAY)).await;
                assert_snapshot!("first_run", report.to_string());
                let stale_record = Upload::find(&ctx.db, id(&stale)).await.unwrap().unwrap();
                assert_eq!(stale_record.status, UploadStatus::Aborted);
                assert_eq!(
                    joist
                        .store()
                        .list_parts(
                            &stale_record.key,
                            stale_record.s3_upload_id.as_deref().unwrap()
                        )
                        .await,
                    Err(StoreError::NotFound),
                    "{}: the stale multipart upload is aborted in the store",
                    store.name
                );
                assert_eq!(status(&ctx, id(&unattached)).await, UploadStatus::Deleted);
                assert_eq!(
                    stored(&ctx, unattached["key"].as_str().unwrap()).await,
                    None
                );
                assert_eq!(status(&ctx, id(&attached)).await, UploadStatus::Attached);
                assert_eq!(
                    stored(&ctx, attached["key"].as_str().unwrap())
                        .await
                        .as_deref(),
                    Some(&b"kept"[..])
                );
                assert_eq!(status(&ctx, id(&fresh)).await, UploadStatus::Prepared);
                assert!(
                    joist.store().list_parts(&orphan_key, &orphan).await.is_ok(),
                    "a fresh orphan waits"
                );

                let again = run(&ctx, options(false, DAY)).await;
                assert_eq!(counts(&again), (0, 0, 0, 0), "idempotent");

                let everything = run(&ctx, options(false, Duration::ZERO)).await;
                assert_eq!(counts(&everything), (1, 0, 1, 0), "{}", store.name);
                assert_eq!(
                    joist.store().list_parts(&orphan_key, &orphan).await,
                    Err(StoreError::NotFound)
                );
                assert_eq!(status(&ctx, id(&attached)).await, UploadStatus::Attached);
                assert!(
                    stored(&ctx, attached["key"].as_str().unwrap())
                        .await
                        .is_some()
                );
            },
        )
        .await;
    }
}

#[tokio::test]
async fn concurrent_cleanups_abort_each_upload_once() {
    let prefix = format!("cleanup-{}/", Uuid::new_v4().simple());
    Box::pin(request_with(
        |config| stores()[0].configure(config, &prefix),
        StartMode::ServerOnly,
        |server, ctx| async move {
            let mut ids = Vec::new();
            for index in 0..7 {
                let prepared = prepare(
                    &server,
                    PUBLIC_DOC,
                    &format!("s{index}.bin"),
                    (10 << 20) + 1,
                    "application/octet-stream",
                )
                .await;
                backdate(&ctx, id(&prepared), Column::CreatedAt).await;
                ids.push(id(&prepared));
            }
            let (first, second) = tokio::join!(
                run(&ctx, options(false, DAY)),
                run(&ctx, options(false, DAY))
            );
            assert_eq!(first.stale_aborted + second.stale_aborted, 7);
            assert_eq!(first.store_errors + second.store_errors, 0);
            for id in ids {
                assert_eq!(status(&ctx, id).await, UploadStatus::Aborted);
            }
        },
    ))
    .await;
}
