//! STS mode on MiniStack, which enforces session policies: each upload's URLs are signed with
//! temporary credentials that can write that upload's key and nothing else.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use joist::{
    Joist,
    s3::{
        credentials::TimedCredentials,
        presign::{PresignRequest, SigningCredentials},
    },
};
use loco_rs::boot::StartMode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    assert_holds, bytes, host::PUBLIC_DOC, post, prepare, put_part, request_with, service_missing,
    stored, stores::stores,
};

fn query(url: &str, name: &str) -> Option<String> {
    url.split_once('?')?
        .1
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .map(str::to_string)
}

fn client_with(exposed: &Value) -> aws_sdk_s3::Client {
    let credentials = Credentials::new(
        exposed["access_key_id"].as_str().unwrap(),
        exposed["secret_access_key"].as_str().unwrap(),
        exposed["session_token"].as_str().map(str::to_string),
        None,
        "joist-test",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(exposed["region"].as_str().unwrap().to_string()))
        .endpoint_url(exposed["endpoint"].as_str().unwrap())
        .force_path_style(true)
        .credentials_provider(credentials)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[tokio::test]
async fn sts_credentials_confine_each_upload_to_its_own_key() {
    let Some(store) = stores().into_iter().find(|store| store.name == "ministack") else {
        return;
    };
    let Ok(role) = std::env::var("JOIST_TEST_MINISTACK_STS_ROLE") else {
        service_missing(
            "MiniStack's STS role",
            "JOIST_TEST_MINISTACK_STS_ROLE is not set",
        );
        return;
    };
    let prefix = format!("sts-{}/", Uuid::new_v4().simple());
    let other = format!("{prefix}elsewhere/{}.txt", Uuid::new_v4());
    let configure = |config: &mut loco_rs::config::Config| {
        store.configure(config, &prefix);
        let joist = crate::support::joist_block(config);
        joist["upload_sts_arn"] = json!(role);
        joist["sts_expose_credentials"] = json!(true);
    };
    Box::pin(request_with(
        configure,
        StartMode::ServerOnly,
        |server, ctx| async move {
            let joist = Joist::from_context(&ctx).unwrap();
            let root_key = joist
                .config()
                .credentials
                .as_ref()
                .unwrap()
                .access_key_id
                .clone();

            let probes = joist::doctor::run(&joist, &[]).await;
            let sts = probes.iter().find(|probe| probe.name == "sts").unwrap();
            assert!(
                matches!(sts.outcome, joist::doctor::Outcome::Ok(_)),
                "{sts}"
            );

            let prepared = prepare(&server, PUBLIC_DOC, "sts.txt", 5, "text/plain").await;
            let exposed = &prepared["credentials"];
            assert_eq!(
                (exposed["key"].as_str(), exposed["bucket"].as_str()),
                (prepared["key"].as_str(), Some(joist.store().bucket()))
            );
            let url = prepared["parts"][0]["url"].as_str().unwrap();
            assert!(query(url, "X-Amz-Security-Token").is_some(), "{url}");
            let signer = query(url, "X-Amz-Credential").unwrap();
            assert!(
                signer.starts_with(exposed["access_key_id"].as_str().unwrap())
                    && !signer.starts_with(&root_key),
                "{signer}"
            );

            // the upload itself works
            assert_eq!(put_part(&prepared["parts"][0], b"hello").await.0, 200);
            let (status, finalized) =
                post(&server, "finalize", &json!({"token": prepared["token"]})).await;
            assert_eq!(status, 200, "{finalized}");

            another_key_is_refused(&ctx, exposed, &other).await;
            multipart_keeps_its_credentials(&server, &ctx).await;
        },
    ))
    .await;
}

/// The exposed credentials cannot write `other`, with the SDK or through a presigned URL.
async fn another_key_is_refused(ctx: &loco_rs::app::AppContext, exposed: &Value, other: &str) {
    let joist = Joist::from_context(ctx).unwrap();
    // those credentials cannot write another key, with the SDK or through a presigned URL
    let sdk = client_with(exposed)
        .put_object()
        .bucket(joist.store().bucket())
        .key(other)
        .body(b"intruder".to_vec().into())
        .send()
        .await;
    assert!(sdk.is_err(), "the session policy refuses another key");
    let temporary = SigningCredentials {
        access_key_id: exposed["access_key_id"].as_str().unwrap().to_string(),
        secret_access_key: exposed["secret_access_key"].as_str().unwrap().to_string(),
        session_token: exposed["session_token"].as_str().map(str::to_string),
    };
    let request = PresignRequest {
        method: "PUT",
        key: other,
        params: Vec::new(),
        headers: vec![("content-length", "8".to_string())],
        expires_in: Duration::from_mins(5),
    };
    let forged = joist.store().presign(
        &request,
        SystemTime::now(),
        &TimedCredentials {
            credentials: temporary,
            expires_at: None,
        },
    );
    let status = put_part(&json!({"url": forged, "headers": {}}), b"intruder")
        .await
        .0;
    assert!(
        (400..500).contains(&status),
        "a URL for another key is refused ({status})"
    );
    assert_eq!(stored(ctx, other).await, None);
}

/// Multipart works with the temporary credentials, reused across the upload's calls.
async fn multipart_keeps_its_credentials(
    server: &axum_test::TestServer,
    ctx: &loco_rs::app::AppContext,
) {
    // multipart too, and the upload keeps its credentials across calls
    let content = bytes((10 << 20) + 1, 31);
    let multipart = prepare(
        server,
        PUBLIC_DOC,
        "sts.bin",
        content.len(),
        "application/octet-stream",
    )
    .await;
    let first = query(
        multipart["parts"][0]["url"].as_str().unwrap(),
        "X-Amz-Credential",
    );
    let (_, more) = post(
        server,
        "parts",
        &json!({"token": multipart["token"], "numbers": [3]}),
    )
    .await;
    assert_eq!(
        query(
            more["parts"][0]["url"].as_str().unwrap(),
            "X-Amz-Credential"
        ),
        first,
        "reused until near expiry"
    );
    let urls = [
        &multipart["parts"][0],
        &multipart["parts"][1],
        &more["parts"][0],
    ];
    for (index, part) in urls.iter().enumerate() {
        let end = ((index + 1) * (5 << 20)).min(content.len());
        assert_eq!(
            put_part(part, &content[index * (5 << 20)..end]).await.0,
            200
        );
    }
    let (status, finalized) = post(server, "finalize", &json!({"token": multipart["token"]})).await;
    assert_eq!(status, 200, "{finalized}");
    assert_holds(
        ctx,
        finalized["key"].as_str().unwrap(),
        &content,
        "sts multipart",
    )
    .await;
}
