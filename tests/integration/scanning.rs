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

/// Finalizes a small text upload with `checks` (and `clamd` at `address`): the upload and the
/// finalize answer's status and code.
async fn finalized_with(address: String, mut checks: Value) -> (Upload, u16, String, bool) {
    checks["clamd"] = json!(address);
    let outcome = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = outcome.clone();
    request_with(
        |config| joist_block(config)["checks"] = checks,
        StartMode::ServerOnly,
        |server, ctx| async move {
            let (prepared, (status, body)) = finalized(&server, PUBLIC_DOC, b"fine text").await;
            let upload = record(&ctx, &prepared).await;
            let kept = stored(&ctx, &upload.key).await.is_some();
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            *seen.lock().unwrap() = Some((upload, status, code, kept));
        },
    )
    .await;
    let outcome = outcome.lock().unwrap().take();
    outcome.expect("the test ran")
}

#[tokio::test]
async fn a_scanner_that_is_down_or_answers_garbage_lets_nothing_through() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("tcp://{}", listener.local_addr().unwrap())
    };
    // Down: the upload waits (503, open, its file kept), or is rejected, by config.
    let (upload, status, code, kept) =
        finalized_with(closed.clone(), json!({"scan_timeout": 5})).await;
    assert_eq!((status, code.as_str()), (503, "scanner_unavailable"));
    assert!(
        upload.is_open() && kept,
        "the upload waits for a scanner: {:?}",
        upload.status
    );
    let (upload, status, code, kept) =
        finalized_with(closed, json!({"scan_unavailable": "reject"})).await;
    assert_eq!(
        (status, code.as_str(), upload.status, kept),
        (422, "scan_failed", UploadStatus::Rejected, false)
    );

    // Garbage: no verdict will come of it, so it is rejected with what the scanner said.
    let garbage = fake_clamd(b"\xff\xfe what is this\0").await;
    let (upload, status, code, kept) = finalized_with(garbage, json!({})).await;
    assert_eq!(
        (status, code.as_str(), upload.status, kept),
        (422, "scan_failed", UploadStatus::Rejected, false)
    );
    assert!(upload.error.unwrap().contains("what is this"));
}
