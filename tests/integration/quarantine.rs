//! Quarantine on every store: uploads land under `quarantine/`, finalize promotes them to their
//! key by a server-side copy once every check passed, and a finalize stopped half-way through a
//! promotion (a crash) completes it when repeated. Also the multipart copy used above 5 GiB.

use axum_test::TestServer;
use joist::{Joist, models::Upload};
use loco_rs::{app::AppContext, boot::StartMode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    assert_holds, bytes,
    host::{ARCHIVE, QUARANTINED},
    post, prepare, put_part, put_parts, request_with, stored,
    stores::stores,
    upload,
};

const MIB: usize = 1 << 20;

async fn record(ctx: &AppContext, prepared: &Value) -> Upload {
    let id = Uuid::parse_str(prepared["upload"].as_str().unwrap()).unwrap();
    Upload::find(&ctx.db, id).await.unwrap().unwrap()
}

/// Prepares and PUTs `content` (one part) to the quarantined field: the prepared upload, its record.
async fn landed(
    server: &TestServer,
    ctx: &AppContext,
    content: &[u8],
    name: &str,
) -> (Value, Upload) {
    let prepared = prepare(server, QUARANTINED, name, content.len(), "application/pdf").await;
    assert!(
        prepared["parts"][0]["url"]
            .as_str()
            .unwrap()
            .contains("/quarantine/"),
        "{prepared}"
    );
    assert_eq!(put_part(&prepared["parts"][0], content).await.0, 200);
    let upload = record(ctx, &prepared).await;
    (prepared, upload)
}

async fn promotes_after_the_checks(server: &TestServer, ctx: &AppContext, store: &str) {
    let content = bytes(2 * MIB, 61);
    let (prepared, upload) = landed(server, ctx, &content, "single.pdf").await;
    let landing = upload.landing_key.clone().expect("a landing key");
    assert!(landing.starts_with("quarantine/"), "{landing}");
    assert_eq!(
        stored(ctx, &upload.key).await,
        None,
        "{store}: nothing at the key before finalize"
    );
    let (status, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    assert_holds(ctx, &upload.key, &content, store).await;
    assert_eq!(
        stored(ctx, &landing).await,
        None,
        "{store}: the quarantine copy is gone"
    );

    let content = bytes(10 * MIB + 3, 62);
    let prepared = prepare(
        server,
        QUARANTINED,
        "multi.pdf",
        content.len(),
        "application/pdf",
    )
    .await;
    let token = prepared["token"].as_str().unwrap();
    put_parts(server, token, &[1, 2], &content, 5 * MIB).await;
    put_parts(server, token, &[3], &content, 5 * MIB).await;
    let (status, finalized) = post(server, "finalize", &json!({"token": token})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    let upload = record(ctx, &prepared).await;
    assert_holds(ctx, &upload.key, &content, store).await;
    assert_eq!(stored(ctx, upload.landing()).await, None, "{store}");

    let lying = b"MZ\x90\x00 an executable named .pdf";
    let (prepared, upload) = landed(server, ctx, lying, "lying.pdf").await;
    let (status, refused) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("content_mismatch")),
        "{store}"
    );
    assert_eq!(
        stored(ctx, upload.landing()).await,
        None,
        "{store}: the rejected file is deleted"
    );
    assert_eq!(
        stored(ctx, &upload.key).await,
        None,
        "{store}: and never promoted"
    );
}

async fn a_stopped_promotion_completes_when_finalize_is_repeated(
    server: &TestServer,
    ctx: &AppContext,
    store: &str,
) {
    let joist = Joist::from_context(ctx).unwrap();
    // Stopped after the copy, before the quarantine copy was deleted: both exist.
    let content = bytes(MIB, 63);
    let (prepared, upload) = landed(server, ctx, &content, "copied.pdf").await;
    joist
        .store()
        .copy(upload.landing(), &upload.key, content.len() as u64)
        .await
        .unwrap();
    let (status, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    assert_holds(ctx, &upload.key, &content, store).await;
    assert_eq!(stored(ctx, upload.landing()).await, None, "{store}");

    // Stopped after the quarantine copy was deleted, before the state was recorded.
    let content = bytes(MIB, 64);
    let (prepared, upload) = landed(server, ctx, &content, "moved.pdf").await;
    joist
        .store()
        .copy(upload.landing(), &upload.key, content.len() as u64)
        .await
        .unwrap();
    joist.store().delete(upload.landing()).await.unwrap();
    let (status, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    assert_eq!(
        finalized["metadata"]["detected_type"], "application/pdf",
        "{store}: checked again"
    );
    assert_holds(ctx, &upload.key, &content, store).await;
}

async fn copies_in_parts(server: &TestServer, ctx: &AppContext, store: &str) {
    let content = bytes(12 * MIB + 5, 65);
    let source = upload(
        server,
        ARCHIVE,
        "source.bin",
        &content,
        "application/octet-stream",
    )
    .await;
    let from = source["key"].as_str().unwrap();
    let to = format!("{from}.copy");
    let joist = Joist::from_context(ctx).unwrap();
    joist
        .store()
        .copy_in_parts(from, &to, content.len() as u64, 5 * MIB as u64)
        .await
        .unwrap();
    assert_holds(ctx, &to, &content, store).await;
    joist.store().delete(&to).await.unwrap();
}

#[tokio::test]
async fn quarantined_uploads_are_promoted_on_every_store() {
    for store in stores() {
        let prefix = format!("quarantine-{}/", Uuid::new_v4().simple());
        Box::pin(request_with(
            |config| store.configure(config, &prefix),
            StartMode::ServerOnly,
            |server, ctx| async move {
                promotes_after_the_checks(&server, &ctx, store.name).await;
                a_stopped_promotion_completes_when_finalize_is_repeated(&server, &ctx, store.name)
                    .await;
                copies_in_parts(&server, &ctx, store.name).await;
            },
        ))
        .await;
    }
}

/// 1 MiB blocks, each stamped with its index: distinct, cheap to make, checkable anywhere.
fn block(index: u64) -> Vec<u8> {
    static BASE: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| bytes(MIB, 66));
    let mut block = BASE.clone();
    block[..8].copy_from_slice(&index.to_be_bytes());
    block
}

#[tokio::test]
async fn six_gib_are_promoted_by_upload_part_copy_on_garage() {
    const SIZE: u64 = 6 << 30;
    const PART: u64 = 512 << 20;
    let Some(store) = crate::support::stores::garage() else {
        return;
    };
    let prefix = format!("big-{}/", Uuid::new_v4().simple());
    request_with(
        |config| {
            store.configure(config, &prefix);
            crate::support::joist_block(config)["part_size"] = json!("512 MiB");
        },
        StartMode::ServerOnly,
        |server, ctx| async move {
            let prepared = prepare(
                &server,
                QUARANTINED,
                "big.bin",
                usize::try_from(SIZE).unwrap(),
                "application/octet-stream",
            )
            .await;
            assert_eq!(prepared["part_count"], 12, "{prepared}");
            let token = prepared["token"].as_str().unwrap();
            let blocks_per_part = PART / MIB as u64;
            for number in 1..=12_u64 {
                let (_, signed) = post(
                    &server,
                    "parts",
                    &json!({"token": token, "numbers": [number]}),
                )
                .await;
                let first = (number - 1) * blocks_per_part;
                let body: Vec<u8> = (first..first + blocks_per_part).flat_map(block).collect();
                assert_eq!(
                    put_part(&signed["parts"][0], &body).await.0,
                    200,
                    "part {number}"
                );
            }
            let (status, body) = post(&server, "finalize", &json!({"token": token})).await;
            assert_eq!(
                (status, &body["status"]),
                (202, &json!("checking")),
                "{body}"
            );
            let mut done = Value::Null;
            for _ in 0..1200 {
                let (_, now) = post(&server, "status", &json!({"token": token})).await;
                if now["status"] != "checking" {
                    done = now;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert_eq!(done["status"], "finalized", "{done}");
            let upload = record(&ctx, &prepared).await;
            let joist = Joist::from_context(&ctx).unwrap();
            let object = joist
                .store()
                .head(&upload.key)
                .await
                .unwrap()
                .expect("promoted");
            assert_eq!(object.size, SIZE);
            assert_eq!(
                joist.store().head(upload.landing()).await.unwrap(),
                None,
                "the quarantine copy is gone"
            );
            // Blocks from the start, each part boundary and the end are where they belong.
            for index in [
                0,
                blocks_per_part - 1,
                blocks_per_part,
                6 * blocks_per_part + 7,
                SIZE / MIB as u64 - 1,
            ] {
                let start = index * MIB as u64;
                let range = joist
                    .store()
                    .client()
                    .get_object()
                    .bucket(joist.store().bucket())
                    .key(&upload.key)
                    .range(format!("bytes={start}-{}", start + MIB as u64 - 1))
                    .send()
                    .await
                    .unwrap();
                let read = range.body.collect().await.unwrap().into_bytes();
                assert!(read[..] == block(index)[..], "block {index}");
            }
            joist.store().delete(&upload.key).await.unwrap();
        },
    )
    .await;
}
