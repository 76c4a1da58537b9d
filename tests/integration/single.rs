use std::time::Duration;

use insta::assert_json_snapshot;
use joist::Joist;
use serde_json::json;

use crate::support::{
    assert_holds, bytes, host::PUBLIC_DOC, post, prepare, put_part, request, stored,
};

#[tokio::test]
async fn can_upload_a_single_byte() {
    request(|server, ctx| async move {
        let prepared = prepare(&server, PUBLIC_DOC, "one byte.txt", 1, "text/plain").await;
        assert_json_snapshot!("prepare_single", prepared, {
            ".upload" => "[uuid]",
            ".token" => "[token]",
            ".key" => insta::dynamic_redaction(|value, _| {
                let key = value.as_str().unwrap();
                assert!(key.starts_with("uploads/test.public_doc/") && key.ends_with("/one_byte.txt"), "{key}");
                "uploads/test.public_doc/[uuid]/one_byte.txt"
            }),
            ".expires_at" => "[date]",
            ".parts[].url" => insta::dynamic_redaction(|value, _| {
                let url = value.as_str().unwrap();
                assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "{url}");
                assert!(url.contains("X-Amz-Expires=600"), "{url}");
                "[presigned url]"
            }),
        });
        let (status, _) = put_part(&prepared["parts"][0], b"x").await;
        assert_eq!(status, 200);
        let (status, finalized) = post(&server, "finalize", &json!({"token": prepared["token"]})).await;
        assert_eq!(status, 200, "{finalized}");
        assert_eq!(finalized["size"], 1);
        assert_eq!(finalized["filename"], "one byte.txt");
        assert_eq!(finalized["content_type"], "text/plain");
        assert_eq!(finalized["key"], prepared["key"]);
        assert_eq!(stored(&ctx, prepared["key"].as_str().unwrap()).await.as_deref(), Some(&b"x"[..]));
    })
    .await;
}

#[tokio::test]
async fn can_upload_a_few_mebibytes_in_one_put() {
    request(|server, ctx| async move {
        let content = bytes(3 << 20, 7);
        let prepared = prepare(
            &server,
            PUBLIC_DOC,
            "manual.pdf",
            content.len(),
            "application/pdf",
        )
        .await;
        assert_eq!(prepared["mode"], "single");
        let (status, _) = put_part(&prepared["parts"][0], &content).await;
        assert_eq!(status, 200);
        let (status, finalized) =
            post(&server, "finalize", &json!({"token": prepared["token"]})).await;
        assert_eq!(status, 200, "{finalized}");
        assert_holds(
            &ctx,
            finalized["key"].as_str().unwrap(),
            &content,
            "stored bytes",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_store_refuses_a_body_of_another_length() {
    request(|server, ctx| async move {
        let prepared = prepare(&server, PUBLIC_DOC, "short.txt", 10, "text/plain").await;
        for wrong in [&b"123456789"[..], &b"12345678901"[..]] {
            let (status, _) = put_part(&prepared["parts"][0], wrong).await;
            assert!((400..500).contains(&status), "{status}");
        }
        assert_eq!(stored(&ctx, prepared["key"].as_str().unwrap()).await, None);
        let (status, body) = post(&server, "finalize", &json!({"token": prepared["token"]})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("upload_incomplete"))
        );
    })
    .await;
}

/// A browser that cached an `<img>`'s answer (fetched without `Origin`) must not hand it to a
/// later `fetch` of the same URL: the embedded endpoint varies every answer on `Origin`.
#[tokio::test]
async fn the_embedded_endpoint_varies_every_answer_on_origin() {
    request(|server, ctx| async move {
        let prepared = prepare(&server, PUBLIC_DOC, "one byte.txt", 1, "text/plain").await;
        assert_eq!(put_part(&prepared["parts"][0], b"x").await.0, 200);
        let joist = Joist::from_context(&ctx).unwrap();
        let url = joist.store().download_url(
            prepared["key"].as_str().unwrap(),
            Duration::from_mins(1),
            Vec::new(),
        );
        let client = reqwest::Client::new();
        let answer = |origin: Option<&'static str>| {
            let mut get = client.get(&url);
            if let Some(origin) = origin {
                get = get.header("origin", origin);
            }
            async move {
                let response = get.send().await.expect("the embedded endpoint answers");
                let header = |name| {
                    response
                        .headers()
                        .get_all(name)
                        .iter()
                        .map(|value| value.to_str().unwrap().to_string())
                        .collect::<Vec<_>>()
                };
                (
                    response.status().as_u16(),
                    header("vary"),
                    header("access-control-allow-origin"),
                )
            }
        };
        assert_eq!(answer(None).await, (200, vec!["Origin".into()], vec![]));
        assert_eq!(
            answer(Some("http://localhost:5150")).await,
            (
                200,
                vec!["Origin".into()],
                vec!["http://localhost:5150".into()]
            )
        );
    })
    .await;
}
