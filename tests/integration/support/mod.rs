//! Helpers shared by the integration tests.

pub mod fault_proxy;
pub mod handlers;
pub mod host;
pub mod images;
mod request;
pub mod stores;

pub use request::{Fresh, request, request_with};

use axum_test::TestServer;
use joist::Joist;
use loco_rs::app::AppContext;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const API: &str = "/api/joist";

/// A JSON POST to the API: the status and the JSON body (`null` when empty).
pub async fn post(server: &TestServer, call: &str, body: &Value) -> (u16, Value) {
    post_as(server, call, body, None).await
}

/// Like [`post`], with a bearer token.
pub async fn post_as(
    server: &TestServer,
    call: &str,
    body: &Value,
    bearer: Option<&str>,
) -> (u16, Value) {
    let mut request = server.post(&format!("{API}/{call}")).json(body);
    if let Some(token) = bearer {
        request = request.authorization_bearer(token);
    }
    let response = request.await;
    let status = response.status_code().as_u16();
    let text = response.text();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, json)
}

/// The host config's `initializers.joist` block, to change before boot.
pub fn joist_block(config: &mut loco_rs::config::Config) -> &mut Value {
    config
        .initializers
        .as_mut()
        .and_then(|initializers| initializers.get_mut("joist"))
        .expect("config/test.yaml has initializers.joist")
}

/// Asks `/parts` for `numbers` and PUTs each one's slice of `content` (parts of `part_size`
/// bytes), asserting the store takes each.
pub async fn put_parts(
    server: &TestServer,
    token: &str,
    numbers: &[u32],
    content: &[u8],
    part_size: usize,
) {
    let (status, body) = post(
        server,
        "parts",
        &json!({"token": token, "numbers": numbers}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for part in body["parts"].as_array().expect("parts") {
        let number = usize::try_from(part["number"].as_u64().expect("a number")).unwrap();
        let start = (number - 1) * part_size;
        let end = (start + part_size).min(content.len());
        assert_eq!(
            put_part(part, &content[start..end]).await.0,
            200,
            "part {number}"
        );
    }
}

/// A signed-in user's JWT, for the host's auth config.
pub fn jwt_for(ctx: &AppContext, pid: &str) -> String {
    let secret = &ctx.config.get_jwt_config().expect("jwt config").secret;
    loco_rs::auth::jwt::JWT::new(secret)
        .generate_token(3600, pid.to_string(), serde_json::Map::new())
        .expect("a token")
}

/// Prepares an upload and answers the response body (asserting 201).
pub async fn prepare(
    server: &TestServer,
    field: &str,
    filename: &str,
    size: usize,
    content_type: &str,
) -> Value {
    let (status, body) = post(
        server,
        "prepare",
        &json!({"field": field, "filename": filename, "size": size, "content_type": content_type}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// PUTs `bytes` to a part URL from the API with the headers it names; returns status and ETag.
pub async fn put_part(part: &Value, bytes: &[u8]) -> (u16, Option<String>) {
    let client = reqwest::Client::new();
    let mut request = client
        .put(part["url"].as_str().expect("url"))
        .body(bytes.to_vec());
    if let Some(headers) = part["headers"].as_object() {
        for (name, value) in headers {
            request = request.header(name, value.as_str().expect("header value"));
        }
    }
    let response = request.send().await.expect("the store answers");
    let etag = response
        .headers()
        .get("etag")
        .map(|etag| etag.to_str().unwrap().to_string());
    (response.status().as_u16(), etag)
}

/// Deterministic test bytes that start like a PDF (finalize checks the real type: declare them
/// `application/pdf` or `application/octet-stream`).
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..len)
        .map(|i| u8::try_from((i * 31 + usize::from(seed)) % 251).unwrap())
        .collect();
    let magic = b"%PDF-1.7\n";
    let start = magic.len().min(len);
    bytes[..start].copy_from_slice(&magic[..start]);
    bytes
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The object's bytes as the store holds them, `None` when absent.
pub async fn stored(ctx: &AppContext, key: &str) -> Option<Vec<u8>> {
    let joist = Joist::from_context(ctx).expect("joist is set up");
    let store = joist.store();
    let object = store
        .client()
        .get_object()
        .bucket(store.bucket())
        .key(key)
        .send()
        .await
        .ok()?;
    Some(
        object
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec(),
    )
}

/// Asserts that the store holds exactly `content` at `key` (compared by SHA-256).
pub async fn assert_holds(ctx: &AppContext, key: &str, content: &[u8], label: &str) {
    let held = stored(ctx, key)
        .await
        .unwrap_or_else(|| panic!("{label}: nothing stored at {key}"));
    assert_eq!(
        (held.len(), sha256(&held)),
        (content.len(), sha256(content)),
        "{label}"
    );
}

/// How many upload records exist.
pub async fn upload_count(ctx: &AppContext) -> u64 {
    joist::models::_entities::joist_uploads::Entity::find()
        .count(&ctx.db)
        .await
        .expect("count")
}

/// Waits (up to 10 s) until no upload event is pending: the suite's 20 ms sweeper may deliver
/// one (stamping its upload's record) a moment after the call that raised it answered.
pub async fn events_settled(ctx: &AppContext) {
    use joist::models::_entities::joist_events::{Column, Entity};
    use sea_orm::{ColumnTrait, QueryFilter};
    for _ in 0..500 {
        let pending = Entity::find()
            .filter(Column::Status.eq(joist::events::outbox::PENDING))
            .count(&ctx.db)
            .await
            .expect("count the pending events");
        if pending == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("upload events still pending after 10 s");
}

/// Uploads a whole file through the API (prepare, PUT every part, finalize) and returns the
/// finalize response.
pub async fn upload(
    server: &TestServer,
    field: &str,
    filename: &str,
    content: &[u8],
    content_type: &str,
) -> Value {
    let prepared = prepare(server, field, filename, content.len(), content_type).await;
    let token = prepared["token"].as_str().unwrap().to_string();
    let part_count = prepared["part_count"].as_u64().unwrap();
    let part_size = usize::try_from(prepared["part_size"].as_u64().unwrap()).unwrap();
    for number in 1..=part_count {
        let (_, body) = post(
            server,
            "parts",
            &json!({"token": token, "numbers": [number]}),
        )
        .await;
        let part = &body["parts"][0];
        let start = usize::try_from(number - 1).unwrap() * part_size;
        let end = (start + part_size).min(content.len());
        let (status, _) = put_part(part, &content[start..end]).await;
        assert_eq!(status, 200, "PUT of part {number}");
    }
    let (status, finalized) = post(server, "finalize", &json!({"token": token})).await;
    assert_eq!(status, 200, "{finalized}");
    finalized
}

/// A service the test needs is not reachable: fatal in the full suite
/// (`JOIST_REQUIRE_SERVICES=1`), a skip with a message under plain `cargo test`.
#[allow(clippy::print_stderr)]
pub fn service_missing(service: &str, error: &str) {
    assert!(
        std::env::var_os("JOIST_REQUIRE_SERVICES").is_none(),
        "{service} is required by the full suite but not reachable: {error}"
    );
    eprintln!("skipping the {service} part of this test: {error}");
}
