//! Scanning with a real clamd (scripts/clamd starts one with a test signature for EICAR): EICAR
//! is refused and deleted (or kept in quarantine for review), a clean file passes, over TCP and a
//! Unix socket; a scanner that is down or answers garbage never lets a file through.

use axum_test::TestServer;
use joist::models::{Upload, UploadStatus};
use loco_rs::{app::AppContext, boot::StartMode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::support::{
    assert_holds,
    host::{PUBLIC_DOC, QUARANTINED},
    joist_block, post, prepare, put_part, request_with, service_missing, stored,
};

/// The EICAR test file: every scanner's agreed, harmless test of "infected".
const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

fn clamd(variable: &str) -> Option<String> {
    let address = std::env::var(variable).ok();
    if address.is_none() {
        service_missing(
            "clamd",
            &format!("{variable} is not set (scripts/test starts clamd)"),
        );
    }
    address
}

/// Uploads `content` as text to `field` and finalizes: the prepared upload, the finalize answer.
async fn finalized(server: &TestServer, field: &str, content: &[u8]) -> (Value, (u16, Value)) {
    let prepared = prepare(server, field, "notes.txt", content.len(), "text/plain").await;
    assert_eq!(put_part(&prepared["parts"][0], content).await.0, 200);
    let answer = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    (prepared, answer)
}

async fn record(ctx: &AppContext, prepared: &Value) -> Upload {
    let id = Uuid::parse_str(prepared["upload"].as_str().unwrap()).unwrap();
    Upload::find(&ctx.db, id).await.unwrap().unwrap()
}

async fn scan_with(address: String, checks: Value) {
    request_with(
        |config| {
            let mut checks = checks;
            checks["clamd"] = json!(address);
            joist_block(config)["checks"] = checks;
        },
        StartMode::ServerOnly,
        |server, ctx| async move {
            let (prepared, (status, body)) = finalized(&server, PUBLIC_DOC, EICAR).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (422, Some("infected")),
                "{body}"
            );
            assert_eq!(body["error"]["details"]["scanner"], "clamav");
            assert!(
                body["error"]["details"]["signature"]
                    .as_str()
                    .unwrap()
                    .starts_with("Joist-Test-EICAR"),
                "{body}"
            );
            let upload = record(&ctx, &prepared).await;
            assert_eq!(upload.status, UploadStatus::Rejected);
            assert!(upload.error.unwrap().contains("Joist-Test-EICAR"));
            assert_eq!(
                stored(&ctx, &upload.key).await,
                None,
                "the infected file is deleted"
            );

            let clean = b"nothing to see here";
            let (_, (status, body)) = finalized(&server, PUBLIC_DOC, clean).await;
            assert_eq!(status, 200, "{body}");
            assert_holds(&ctx, body["key"].as_str().unwrap(), clean, "clean").await;
        },
    )
    .await;
}

#[tokio::test]
async fn clamd_refuses_eicar_and_passes_a_clean_file_over_tcp_and_a_unix_socket() {
    for variable in ["JOIST_TEST_CLAMD", "JOIST_TEST_CLAMD_SOCKET"] {
        if let Some(address) = clamd(variable) {
            scan_with(address, json!({})).await;
        }
    }
}

#[tokio::test]
async fn a_rejected_quarantined_file_can_be_kept_for_review() {
    let Some(address) = clamd("JOIST_TEST_CLAMD") else {
        return;
    };
    request_with(
        |config| {
            joist_block(config)["checks"] = json!({"clamd": address, "keep_rejected": true});
        },
        StartMode::ServerOnly,
        |server, ctx| async move {
            let (prepared, (status, body)) = finalized(&server, QUARANTINED, EICAR).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (422, Some("infected")),
                "{body}"
            );
            let upload = record(&ctx, &prepared).await;
            assert_eq!(
                stored(&ctx, upload.landing()).await.as_deref(),
                Some(EICAR),
                "kept in quarantine"
            );
            assert_eq!(stored(&ctx, &upload.key).await, None, "never promoted");
        },
    )
    .await;
}

/// A TCP server that answers every connection with `answer` (after reading what it is sent).
async fn fake_clamd(answer: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0; 1 << 16];
            let _ = socket.read(&mut buffer).await;
            let _ = socket.write_all(answer).await;
        }
    });
    format!("tcp://{address}")
}

#[tokio::test]
async fn a_scanner_that_is_down_or_answers_garbage_lets_nothing_through() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("tcp://{}", listener.local_addr().unwrap())
    };
    let garbage = fake_clamd(b"\xff\xfe what is this\0").await;
    for address in [closed, garbage] {
        let retry = address.clone();
        request_with(
            |config| {
                joist_block(config)["checks"] = json!({"clamd": retry, "scan_timeout": 5});
            },
            StartMode::ServerOnly,
            |server, ctx| async move {
                let (prepared, (status, body)) = finalized(&server, PUBLIC_DOC, b"fine text").await;
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (503, Some("scanner_unavailable")),
                    "{body}"
                );
                let upload = record(&ctx, &prepared).await;
                assert!(
                    upload.is_open(),
                    "the upload waits for a scanner: {:?}",
                    upload.status
                );
                assert!(
                    stored(&ctx, &upload.key).await.is_some(),
                    "and its file stays"
                );
            },
        )
        .await;
        request_with(
            |config| {
                joist_block(config)["checks"] =
                    json!({"clamd": address, "scan_unavailable": "reject"});
            },
            StartMode::ServerOnly,
            |server, ctx| async move {
                let (prepared, (status, body)) = finalized(&server, PUBLIC_DOC, b"fine text").await;
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (422, Some("scan_failed")),
                    "{body}"
                );
                assert_eq!(record(&ctx, &prepared).await.status, UploadStatus::Rejected);
            },
        )
        .await;
    }
}
