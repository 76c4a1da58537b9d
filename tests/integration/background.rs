//! Checks that may take long run in the background: finalize answers 202 `checking`, `/status`
//! gives the field value (or the rejection) once they ran, and a check whose process died is run
//! again by the sweeper.

use std::time::Duration;

use axum_test::TestServer;
use joist::models::{
    _entities::joist_uploads::{Column, Entity},
    Upload, UploadStatus,
};
use loco_rs::{app::AppContext, boot::StartMode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    assert_holds, bytes,
    host::{PUBLIC_DOC, QUARANTINED},
    joist_block, post, prepare, put_part, request_with, service_missing, stored,
};

const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// Polls `/status` until the upload is no longer `checking`; answers the last status body.
async fn after_checks(server: &TestServer, token: &Value) -> Value {
    for _ in 0..500 {
        let (status, body) = post(server, "status", &json!({"token": token})).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "checking" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the upload stayed checking");
}

/// Prepares and PUTs `content` as `content_type` to `field`.
async fn landed(server: &TestServer, field: &str, content: &[u8], content_type: &str) -> Value {
    let prepared = prepare(server, field, "file.txt", content.len(), content_type).await;
    assert_eq!(put_part(&prepared["parts"][0], content).await.0, 200);
    prepared
}

#[tokio::test]
async fn scans_run_in_the_background_and_status_gives_the_outcome() {
    let Some(clamd) = std::env::var("JOIST_TEST_CLAMD").ok() else {
        service_missing(
            "clamd",
            "JOIST_TEST_CLAMD is not set (scripts/test starts clamd)",
        );
        return;
    };
    request_with(
        |config| {
            joist_block(config)["checks"] = json!({"clamd": clamd, "background_above": 1});
        },
        StartMode::ServerOnly,
        |server, _ctx| async move {
            let prepared = landed(&server, PUBLIC_DOC, b"clean words", "text/plain").await;
            let (status, body) =
                post(&server, "finalize", &json!({"token": prepared["token"]})).await;
            assert_eq!(
                (status, &body["status"]),
                (202, &json!("checking")),
                "{body}"
            );
            let done = after_checks(&server, &prepared["token"]).await;
            assert_eq!(done["status"], "finalized", "{done}");
            assert!(done["finalized"]["field_value"].is_string(), "{done}");
            assert_eq!(done["finalized"]["metadata"]["detected_type"], "text/plain");
            // A repeated finalize answers the value too.
            let (status, again) =
                post(&server, "finalize", &json!({"token": prepared["token"]})).await;
            assert_eq!(
                (status, &again["field_value"]),
                (200, &done["finalized"]["field_value"])
            );

            let prepared = landed(&server, PUBLIC_DOC, EICAR, "text/plain").await;
            let (status, _) = post(&server, "finalize", &json!({"token": prepared["token"]})).await;
            assert_eq!(status, 202);
            let done = after_checks(&server, &prepared["token"]).await;
            assert_eq!(done["status"], "rejected", "{done}");
            assert!(
                done["error"].as_str().unwrap().contains("Joist-Test-EICAR"),
                "{done}"
            );
            assert!(done.get("finalized").is_none());
        },
    )
    .await;
}

async fn record(ctx: &AppContext, prepared: &Value) -> Upload {
    let id = Uuid::parse_str(prepared["upload"].as_str().unwrap()).unwrap();
    Upload::find(&ctx.db, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_check_whose_process_died_is_run_again_by_the_sweeper() {
    request_with(
        |config| {
            joist_block(config)["checks"] = json!({"background_above": 1, "check_lease": 1});
        },
        StartMode::ServerOnly,
        |server, ctx| async move {
            let content = bytes(1 << 20, 71);
            let prepared = landed(&server, QUARANTINED, &content, "application/pdf").await;
            let upload = record(&ctx, &prepared).await;
            // As a process leaves it when it dies right after recording `checking`.
            let long_ago = chrono::Utc::now().fixed_offset() - chrono::Duration::minutes(5);
            Entity::update_many()
                .col_expr(Column::Status, Expr::value(UploadStatus::Checking))
                .col_expr(Column::UpdatedAt, Expr::value(long_ago))
                .filter(Column::Id.eq(upload.id))
                .exec(&ctx.db)
                .await
                .unwrap();
            let done = after_checks(&server, &prepared["token"]).await;
            assert_eq!(done["status"], "finalized", "{done}");
            assert_holds(&ctx, &upload.key, &content, "promoted by the sweeper").await;
            assert_eq!(stored(&ctx, upload.landing()).await, None);
        },
    )
    .await;
}
