//! One suite of upload scenarios, run unchanged against every store: the embedded endpoint,
//! Garage and MiniStack. Where stores differ in error codes, it asserts "4xx and nothing written".

use std::time::{Duration, SystemTime};

use axum_test::TestServer;
use base64::{Engine as _, engine::general_purpose::STANDARD};
use joist::{Joist, s3::presign::PresignRequest};
use loco_rs::{app::AppContext, boot::StartMode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::support::{
    assert_holds, bytes, host::PUBLIC_DOC, post, prepare, put_part, request_with, stored,
    stores::stores,
};

const MIB: usize = 1 << 20;

async fn single_upload(server: &TestServer, ctx: &AppContext, store: &str) {
    let content = bytes(3 * MIB, 21);
    let prepared = prepare(
        server,
        PUBLIC_DOC,
        "single.pdf",
        content.len(),
        "application/pdf",
    )
    .await;
    assert_eq!(
        put_part(&prepared["parts"][0], &content).await.0,
        200,
        "{store}"
    );
    let (status, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    assert_holds(ctx, finalized["key"].as_str().unwrap(), &content, store).await;
}

async fn multipart_upload(server: &TestServer, ctx: &AppContext, store: &str) {
    let content = bytes(10 * MIB + 1, 22);
    let prepared = prepare(
        server,
        PUBLIC_DOC,
        "multi.bin",
        content.len(),
        "application/octet-stream",
    )
    .await;
    let token = prepared["token"].as_str().unwrap();
    let mut etags = Vec::new();
    for (index, part) in prepared["parts"].as_array().unwrap().iter().enumerate() {
        let (status, etag) = put_part(part, &content[index * 5 * MIB..(index + 1) * 5 * MIB]).await;
        assert_eq!(status, 200, "{store}");
        etags.push(etag.unwrap());
    }
    let (_, progress) = post(server, "status", &json!({"token": token})).await;
    assert_eq!(
        progress["parts_done"].as_array().unwrap().len(),
        2,
        "{store}: {progress}"
    );
    // re-signing part 1 works as well as signing part 3 for the first time
    let (_, signed) = post(server, "parts", &json!({"token": token, "numbers": [1, 3]})).await;
    assert_eq!(
        put_part(&signed["parts"][0], &content[..5 * MIB]).await.0,
        200,
        "{store}"
    );
    let (status, etag) = put_part(&signed["parts"][1], &content[10 * MIB..]).await;
    assert_eq!(status, 200, "{store}");
    etags.push(etag.unwrap());
    let parts: Vec<Value> = etags
        .iter()
        .enumerate()
        .map(|(i, etag)| json!({"number": i + 1, "etag": etag}))
        .collect();
    let (status, first) = post(server, "finalize", &json!({"token": token, "parts": parts})).await;
    assert_eq!(status, 200, "{store}: {first}");
    let (_, again) = post(server, "finalize", &json!({"token": token})).await;
    assert_eq!(first, again, "{store}");
    assert_holds(ctx, first["key"].as_str().unwrap(), &content, store).await;
}

async fn abort(server: &TestServer, ctx: &AppContext, store: &str) {
    let content = bytes(10 * MIB + 1, 23);
    let prepared = prepare(
        server,
        PUBLIC_DOC,
        "gone.bin",
        content.len(),
        "application/octet-stream",
    )
    .await;
    put_part(&prepared["parts"][0], &content[..5 * MIB]).await;
    assert_eq!(
        post(server, "abort", &json!({"token": prepared["token"]}))
            .await
            .0,
        204,
        "{store}"
    );
    // Refused with a 4xx, or (Garage) answered before the body and the connection closed.
    let late = reqwest::Client::new()
        .put(prepared["parts"][1]["url"].as_str().unwrap())
        .body(content[5 * MIB..10 * MIB].to_vec())
        .send()
        .await
        .map(|response| response.status().as_u16());
    assert!(
        late.as_ref()
            .map_or(true, |status| (400..500).contains(status)),
        "{store}: a part after the abort is refused ({late:?})"
    );
    assert_eq!(
        stored(ctx, prepared["key"].as_str().unwrap()).await,
        None,
        "{store}"
    );
}

async fn wrong_length(server: &TestServer, ctx: &AppContext, store: &str) {
    let prepared = prepare(server, PUBLIC_DOC, "length.txt", 10, "text/plain").await;
    for body in [&b"123456789"[..], &b"12345678901"[..]] {
        let status = put_part(&prepared["parts"][0], body).await.0;
        assert!((400..500).contains(&status), "{store}: {status}");
    }
    assert_eq!(
        stored(ctx, prepared["key"].as_str().unwrap()).await,
        None,
        "{store}"
    );
}

async fn wrong_checksum(server: &TestServer, ctx: &AppContext, store: &str) {
    let content = b"checked content";
    let prepared = prepare(server, PUBLIC_DOC, "sum.txt", content.len(), "text/plain").await;
    let checksum = STANDARD.encode(Sha256::digest(content));
    let (_, signed) = post(
        server,
        "parts",
        &json!({"token": prepared["token"], "numbers": [1], "checksums": {"1": checksum}}),
    )
    .await;
    let part = &signed["parts"][0];
    assert_eq!(
        part["headers"]["x-amz-checksum-sha256"], checksum,
        "{store}"
    );
    let status = put_part(part, b"corrupt content").await.0;
    assert!(
        (400..500).contains(&status),
        "{store}: a body of another digest is refused ({status})"
    );
    assert_eq!(
        stored(ctx, prepared["key"].as_str().unwrap()).await,
        None,
        "{store}"
    );
    assert_eq!(
        put_part(part, content).await.0,
        200,
        "{store}: the right body is taken"
    );
    let (status, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    let id = finalized["upload"].as_str().unwrap().parse().unwrap();
    let record = joist::models::Upload::find(&ctx.db, id)
        .await
        .unwrap()
        .unwrap();
    // s3s-fs does not keep checksums
    if store != "embedded" {
        assert_eq!(
            record.checksum,
            Some(format!("sha256:{checksum}")),
            "{store}: finalize records the checksum"
        );
    }
}

/// Parts sent with their SHA-256: the stores that check part checksums refuse a corrupted part,
/// and the upload completes with the right ones.
async fn multipart_checksums(server: &TestServer, ctx: &AppContext, store: &str) {
    let content = bytes(10 * MIB + 1, 24);
    let prepared = prepare(
        server,
        PUBLIC_DOC,
        "summed.bin",
        content.len(),
        "application/octet-stream",
    )
    .await;
    let chunks: Vec<&[u8]> = content.chunks(5 * MIB).collect();
    let checksums: serde_json::Map<String, Value> = chunks
        .iter()
        .enumerate()
        .take(2)
        .map(|(index, chunk)| {
            (
                (index + 1).to_string(),
                json!(STANDARD.encode(Sha256::digest(chunk))),
            )
        })
        .collect();
    let (status, signed) = post(
        server,
        "parts",
        &json!({"token": prepared["token"], "numbers": [1, 2], "checksums": checksums}),
    )
    .await;
    assert_eq!(status, 200, "{store}: {signed}");
    let mut corrupted = chunks[0].to_vec();
    corrupted[0] ^= 0xff;
    let refused = put_part(&signed["parts"][0], &corrupted).await.0;
    if store != "embedded" {
        assert!(
            (400..500).contains(&refused),
            "{store}: a corrupted part is refused ({refused})"
        );
    }
    for (index, part) in signed["parts"].as_array().unwrap().iter().enumerate() {
        assert_eq!(put_part(part, chunks[index]).await.0, 200, "{store}");
    }
    let (_, last) = post(
        server,
        "parts",
        &json!({"token": prepared["token"], "numbers": [3]}),
    )
    .await;
    assert_eq!(
        put_part(&last["parts"][0], chunks[2]).await.0,
        200,
        "{store}"
    );
    let (status, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    assert_holds(ctx, finalized["key"].as_str().unwrap(), &content, store).await;
}

async fn expired_url(ctx: &AppContext, store: &str) {
    let joist = Joist::from_context(ctx).unwrap();
    let key = format!(
        "{}expired/{}.txt",
        joist.config().upload_prefix,
        Uuid::new_v4()
    );
    let request = PresignRequest {
        method: "PUT",
        key: &key,
        params: Vec::new(),
        headers: vec![("content-length", "5".to_string())],
        expires_in: Duration::from_mins(1),
    };
    let signer = joist.store().credentials().await.unwrap();
    let url = joist.store().presign(
        &request,
        SystemTime::now() - Duration::from_hours(1),
        &signer,
    );
    let status = put_part(&json!({"url": url, "headers": {}}), b"hello")
        .await
        .0;
    assert!((400..500).contains(&status), "{store}: {status}");
    assert_eq!(stored(ctx, &key).await, None, "{store}");
}

#[tokio::test]
async fn every_store_passes_the_same_upload_scenarios() {
    for store in stores() {
        let prefix = format!("conformance-{}/", Uuid::new_v4().simple());
        Box::pin(request_with(
            |config| store.configure(config, &prefix),
            StartMode::ServerOnly,
            |server, ctx| async move {
                single_upload(&server, &ctx, store.name).await;
                multipart_upload(&server, &ctx, store.name).await;
                abort(&server, &ctx, store.name).await;
                wrong_length(&server, &ctx, store.name).await;
                wrong_checksum(&server, &ctx, store.name).await;
                multipart_checksums(&server, &ctx, store.name).await;
                expired_url(&ctx, store.name).await;
            },
        ))
        .await;
    }
}
