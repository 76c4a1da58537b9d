//! Faults between the client, joist and the store, through a fault-injecting TCP proxy in front
//! of the embedded store: nothing is lost, every upload finishes with the right bytes.

use std::{path::Path, time::Duration};

use futures::{StreamExt, stream};
use joist::models::{Upload, UploadStatus};
use loco_rs::{
    app::{AppContext, Hooks},
    boot::StartMode,
    config::Config,
    environment::Environment,
};
use serde_json::{Value, json};

use crate::support::{
    assert_holds, bytes,
    fault_proxy::FaultProxy,
    host::{ARCHIVE, App},
    post, request_with, upload_count,
};

const MIB: usize = 1 << 20;

/// The embedded store of `config/test.yaml` (started once per test process).
fn embedded_store() -> std::net::SocketAddr {
    let mut config = loco_rs::environment::Environment::Test
        .load()
        .expect("config/test.yaml loads");
    let joist = crate::support::joist_block(&mut config);
    let root = joist["dev_endpoint"]["root"]
        .as_str()
        .expect("config/test.yaml has dev_endpoint.root");
    let bucket = joist["bucket"]
        .as_str()
        .expect("config/test.yaml has bucket");
    joist::dev_endpoint::ensure_running("127.0.0.1:0", Path::new(root), bucket)
        .expect("the embedded store starts")
}

/// Points joist at the store through `endpoint` (its own calls) and `public_endpoint` (the
/// URLs it signs for clients), under a prefix of its own, without a rate limit.
fn store_via(config: &mut Config, endpoint: &str, public_endpoint: &str) {
    let credentials = joist::dev_endpoint::credentials();
    let joist = crate::support::joist_block(config);
    let block = joist.as_object_mut().unwrap();
    block.remove("dev_endpoint");
    block.insert("endpoint".into(), json!(endpoint));
    block.insert("public_endpoint".into(), json!(public_endpoint));
    block.insert("path_style".into(), json!(true));
    block.insert("prepare_rate_limit".into(), json!(0));
    block.insert(
        "upload_prefix".into(),
        json!(format!("faults-{}/", uuid::Uuid::new_v4().simple())),
    );
    block.insert(
        "credentials".into(),
        json!({"access_key_id": credentials.access_key_id, "secret_access_key": credentials.secret_access_key}),
    );
}

/// A client that opens a connection per request (so a connection fault is a request fault) and
/// gives up on a request after 3 s.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

/// PUTs one part, retrying failures with a growing pause; returns the attempts it took.
async fn put_with_retries(http: &reqwest::Client, part: &Value, body: &[u8]) -> u32 {
    for attempt in 1..=12 {
        let mut request = http.put(part["url"].as_str().unwrap()).body(body.to_vec());
        if let Some(headers) = part["headers"].as_object() {
            for (name, value) in headers {
                request = request.header(name, value.as_str().unwrap());
            }
        }
        match request.send().await {
            Ok(response) if response.status() == 200 => return attempt,
            _ => tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await,
        }
    }
    panic!("part {} failed 12 times", part["number"]);
}

/// Calls the API until it answers something other than a 5xx (what a client does when the
/// store or the app has a moment of trouble); returns that answer.
async fn call_until_served(
    server: &axum_test::TestServer,
    call: &str,
    body: &Value,
) -> (u16, Value) {
    for _ in 0..20 {
        let answer = post(server, call, body).await;
        if answer.0 < 500 {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{call} stayed unavailable");
}

/// Uploads `content` part by part through faults; returns the finalize answer and the retries.
async fn upload_through_faults(
    server: &axum_test::TestServer,
    http: &reqwest::Client,
    name: &str,
    content: &[u8],
) -> (Value, u32) {
    let (status, prepared) = call_until_served(
        server,
        "prepare",
        &json!({"field": ARCHIVE, "filename": name, "size": content.len(), "content_type": "application/zip"}),
    )
    .await;
    assert_eq!(status, 201, "{prepared}");
    let token = prepared["token"].as_str().unwrap();
    let part_size = usize::try_from(prepared["part_size"].as_u64().unwrap()).unwrap();
    let mut retries = 0;
    for number in 1..=prepared["part_count"].as_u64().unwrap() {
        let (parts_status, parts) = call_until_served(
            server,
            "parts",
            &json!({"token": token, "numbers": [number]}),
        )
        .await;
        let start = usize::try_from(number - 1).unwrap() * part_size;
        let end = (start + part_size).min(content.len());
        assert_eq!(parts_status, 200, "{name}: part {number}: {parts}");
        retries += put_with_retries(http, &parts["parts"][0], &content[start..end]).await - 1;
    }
    let (status, finalized) = call_until_served(server, "finalize", &json!({"token": token})).await;
    assert_eq!(status, 200, "{name}: {finalized}");
    (finalized, retries)
}

#[tokio::test]
async fn fifty_uploads_from_one_byte_to_200_mib_survive_failing_part_requests() {
    let store = embedded_store();
    let proxy = FaultProxy::start(store).await;
    let direct = format!("http://{store}");
    proxy.reset_every(10);
    proxy.stall_every(37);
    let public = proxy.url.clone();
    request_with(
        |config| store_via(config, &direct, &public),
        StartMode::ServerOnly,
        |server, ctx| async move {
            let http = http();
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let sizes: Vec<usize> = (0..50)
                .map(|i| ((200 * MIB) as f64).powf(f64::from(i) / 49.0).round() as usize)
                .collect();
            let results: Vec<(String, usize, u8, u32)> = stream::iter(sizes.iter().enumerate())
                .map(|(index, size)| {
                    let (server, http) = (&server, &http);
                    async move {
                        let seed = u8::try_from(index).unwrap();
                        let content = bytes(*size, seed);
                        let (finalized, retries) =
                            upload_through_faults(server, http, &format!("f{index}.bin"), &content)
                                .await;
                        (
                            finalized["key"].as_str().unwrap().to_string(),
                            *size,
                            seed,
                            retries,
                        )
                    }
                })
                .buffer_unordered(4)
                .collect()
                .await;
            let (connections, injected) = proxy.counts();
            assert!(
                injected * 20 >= connections,
                "about one request in ten failed: {injected} of {connections}"
            );
            let retries: u32 = results.iter().map(|(_, _, _, retries)| retries).sum();
            assert!(
                retries >= injected - 5,
                "the client retried the failed parts: {retries} retries, {injected} faults"
            );
            for (key, size, seed, _) in &results {
                assert_holds(&ctx, key, &bytes(*size, *seed), key).await;
            }
            assert_eq!(results.len(), 50);
        },
    )
    .await;
}

#[tokio::test]
async fn a_stopped_store_gets_503_and_the_same_upload_finishes_when_it_is_back() {
    let proxy = FaultProxy::start(embedded_store()).await;
    let url = proxy.url.clone();
    request_with(|config| store_via(config, &url, &url), StartMode::ServerOnly, |server, ctx| async move {
        let http = http();
        let content = bytes(11 * MIB, 7);
        let prepare_body = json!({"field": ARCHIVE, "filename": "big.zip", "size": content.len(), "content_type": "application/zip"});

        proxy.set_down(true);
        let (status, body) = post(&server, "prepare", &prepare_body).await;
        assert_eq!((status, body["error"]["code"].as_str()), (503, Some("store_unavailable")), "{body}");
        assert_eq!(upload_count(&ctx).await, 0, "a failed prepare records nothing");

        proxy.set_down(false);
        let (status, prepared) = post(&server, "prepare", &prepare_body).await;
        assert_eq!(status, 201, "{prepared}");
        let token = prepared["token"].as_str().unwrap();
        for number in 1..=3_usize {
            let (_, parts) = post(&server, "parts", &json!({"token": token, "numbers": [number]})).await;
            let start = (number - 1) * 5 * MIB;
            put_with_retries(&http, &parts["parts"][0], &content[start..(start + 5 * MIB).min(content.len())]).await;
        }

        proxy.set_down(true);
        let (status, body) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (503, Some("store_unavailable")), "{body}");
        let id = prepared["upload"].as_str().unwrap().parse().unwrap();
        let record = Upload::find(&ctx.db, id).await.unwrap().unwrap();
        assert_eq!(record.status, UploadStatus::Uploading, "the record waits, unchanged");
        let (status, body) = post(&server, "status", &json!({"token": token})).await;
        assert_eq!(status, 503, "{body}");

        proxy.set_down(false);
        let (status, finalized) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!(status, 200, "{finalized}");
        assert_holds(&ctx, prepared["key"].as_str().unwrap(), &content, "after the store came back").await;
    })
    .await;
}

/// Boots a second instance of the host on the same database and store, as a restarted app.
async fn restarted(ctx: &AppContext) -> axum_test::TestServer {
    let boot = App::boot(
        StartMode::ServerOnly,
        &Environment::Test,
        ctx.config.clone(),
    )
    .await
    .expect("the host boots again");
    axum_test::TestServer::new(
        boot.router
            .expect("a router")
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .expect("a test server")
}

#[tokio::test]
async fn a_client_resumes_after_the_app_restarts_mid_upload() {
    let direct = format!("http://{}", embedded_store());
    request_with(|config| store_via(config, &direct, &direct), StartMode::ServerOnly, |server, ctx| async move {
        let http = http();
        let content = bytes(11 * MIB + 3, 9);
        let (_, prepared) = post(
            &server,
            "prepare",
            &json!({"field": ARCHIVE, "filename": "resume.zip", "size": content.len(), "content_type": "application/zip"}),
        )
        .await;
        let token = prepared["token"].as_str().unwrap();
        let (_, parts) = post(&server, "parts", &json!({"token": token, "numbers": [1]})).await;
        put_with_retries(&http, &parts["parts"][0], &content[..5 * MIB]).await;
        drop(server);

        let server = restarted(&ctx).await;
        let (status, state) = post(&server, "status", &json!({"token": token})).await;
        assert_eq!(status, 200, "{state}");
        let done: Vec<u64> = state["parts_done"].as_array().unwrap().iter().map(|part| part["number"].as_u64().unwrap()).collect();
        assert_eq!(done, [1], "the new instance knows what the store holds");
        for number in 2..=3_usize {
            let (_, parts) = post(&server, "parts", &json!({"token": token, "numbers": [number]})).await;
            let start = (number - 1) * 5 * MIB;
            put_with_retries(&http, &parts["parts"][0], &content[start..(start + 5 * MIB).min(content.len())]).await;
        }
        let (status, finalized) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!(status, 200, "{finalized}");
        assert_holds(&ctx, prepared["key"].as_str().unwrap(), &content, "resumed").await;
    })
    .await;
}
