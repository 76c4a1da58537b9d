use insta::assert_json_snapshot;

use serde_json::{Value, json};

use crate::support::{assert_holds, bytes, host::PUBLIC_DOC, post, prepare, put_part, request};

const MIB: usize = 1 << 20;

fn etags(body: &Value) -> Vec<(u64, String)> {
    body["parts_done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| {
            (
                part["number"].as_u64().unwrap(),
                part["etag"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn can_upload_five_mib_five_mib_and_one_byte_in_windows() {
    request(|server, ctx| async move {
        let content = bytes(10 * MIB + 1, 3);
        let prepared = prepare(
            &server,
            PUBLIC_DOC,
            "big.bin",
            content.len(),
            "application/octet-stream",
        )
        .await;
        assert_eq!(prepared["mode"], "multipart");
        assert_eq!(prepared["part_count"], 3);
        assert_eq!(prepared["part_size"], 5 * MIB);
        let window: Vec<u64> = prepared["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|part| part["number"].as_u64().unwrap())
            .collect();
        assert_eq!(
            window,
            [1, 2],
            "the first window holds part_url_window URLs"
        );
        let token = prepared["token"].as_str().unwrap();

        let mut sent = Vec::new();
        for (index, part) in prepared["parts"].as_array().unwrap().iter().enumerate() {
            let start = index * 5 * MIB;
            let (status, etag) = put_part(part, &content[start..start + 5 * MIB]).await;
            assert_eq!(status, 200);
            sent.push(etag.expect("the store answers an ETag"));
        }

        let (status, progress) = post(&server, "status", &json!({"token": token})).await;
        assert_eq!(status, 200);
        assert_eq!(progress["status"], "uploading");
        let done = etags(&progress);
        assert_eq!(
            done.iter().map(|(number, _)| *number).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(
            done.iter()
                .map(|(_, etag)| etag.trim_matches('"').to_string())
                .collect::<Vec<_>>(),
            sent.iter()
                .map(|etag| etag.trim_matches('"').to_string())
                .collect::<Vec<_>>()
        );

        let (status, more) = post(&server, "parts", &json!({"token": token, "numbers": [3]})).await;
        assert_eq!(status, 200, "{more}");
        assert_json_snapshot!("parts_last_window", more, {
            ".parts[].url" => insta::dynamic_redaction(|value, _| {
                let url = value.as_str().unwrap();
                assert!(url.contains("partNumber=3") && url.contains("uploadId="), "{url}");
                assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bhost"), "{url}");
                "[presigned url]"
            }),
        });
        let (status, etag) = put_part(&more["parts"][0], &content[10 * MIB..]).await;
        assert_eq!(status, 200);
        sent.push(etag.unwrap());

        let parts: Vec<Value> = sent
            .iter()
            .enumerate()
            .map(|(i, etag)| json!({"number": i + 1, "etag": etag}))
            .collect();
        let (status, first) = post(
            &server,
            "finalize",
            &json!({"token": token, "parts": parts}),
        )
        .await;
        assert_eq!(status, 200, "{first}");
        let (status, again) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!(status, 200);
        assert_eq!(first, again, "a repeated finalize answers the same");

        assert_holds(
            &ctx,
            first["key"].as_str().unwrap(),
            &content,
            "stored bytes",
        )
        .await;
        let (_, settled) = post(&server, "status", &json!({"token": token})).await;
        assert_eq!(
            (
                settled["status"].as_str(),
                settled["parts_done"].as_array().map(Vec::len)
            ),
            (Some("finalized"), Some(0))
        );
    })
    .await;
}

async fn upload_all_parts(server: &axum_test::TestServer, content: &[u8]) -> (String, Vec<String>) {
    let prepared = prepare(
        server,
        PUBLIC_DOC,
        "parts.bin",
        content.len(),
        "application/octet-stream",
    )
    .await;
    let token = prepared["token"].as_str().unwrap().to_string();
    let (_, signed) = post(server, "parts", &json!({"token": token, "numbers": [3]})).await;
    let urls = [
        &prepared["parts"][0],
        &prepared["parts"][1],
        &signed["parts"][0],
    ];
    let mut etags = Vec::new();
    for (index, part) in urls.iter().enumerate() {
        let start = index * 5 * MIB;
        let end = (start + 5 * MIB).min(content.len());
        let (status, etag) = put_part(part, &content[start..end]).await;
        assert_eq!(status, 200);
        etags.push(etag.unwrap());
    }
    (token, etags)
}

#[tokio::test]
async fn wrong_part_etags_are_refused_and_the_upload_stays_finishable() {
    request(|server, ctx| async move {
        let content = bytes(10 * MIB + 1, 9);
        let (token, etags) = upload_all_parts(&server, &content).await;
        let forged = json!([
            {"number": 1, "etag": etags[0]},
            {"number": 2, "etag": "\"00000000000000000000000000000000\""},
            {"number": 3, "etag": etags[2]},
        ]);
        let (status, body) = post(
            &server,
            "finalize",
            &json!({"token": token, "parts": forged}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("etag_mismatch")),
            "{body}"
        );
        let (status, body) = post(
            &server,
            "finalize",
            &json!({"token": token, "parts": [{"number": 1, "etag": etags[0]}]}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("invalid_parts")),
            "{body}"
        );

        let (_, progress) = post(&server, "status", &json!({"token": token})).await;
        assert_eq!(progress["status"], "uploading");
        let (status, finalized) = post(&server, "finalize", &json!({"token": token})).await;
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
async fn finalize_before_every_part_landed_names_the_missing_ones() {
    request(|server, _ctx| async move {
        let content = bytes(10 * MIB + 1, 1);
        let prepared = prepare(
            &server,
            PUBLIC_DOC,
            "half.bin",
            content.len(),
            "application/octet-stream",
        )
        .await;
        let token = prepared["token"].as_str().unwrap();
        let (status, body) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["details"]["missing_parts"], json!([1, 2, 3]));
        put_part(&prepared["parts"][0], &content[..5 * MIB]).await;
        let (status, body) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["details"]["missing_parts"], json!([2, 3]));
        let (_, progress) = post(&server, "status", &json!({"token": token})).await;
        assert_eq!(progress["parts_done"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_five_tebibyte_prepare_answers_as_small_as_a_ten_mebibyte_one() {
    request(|server, _ctx| async move {
        let small = prepare(
            &server,
            crate::support::host::ARCHIVE,
            "small.bin",
            10 * MIB,
            "application/octet-stream",
        )
        .await;
        let huge = prepare(
            &server,
            crate::support::host::ARCHIVE,
            "huge.bin",
            5 << 40,
            "application/octet-stream",
        )
        .await;
        assert_eq!(huge["mode"], "multipart");
        let part_count = huge["part_count"].as_u64().unwrap();
        let part_size = huge["part_size"].as_u64().unwrap();
        assert!(
            part_count <= 10_000 && part_count * part_size >= 5 << 40,
            "{part_count} × {part_size}"
        );
        assert_eq!(
            huge["parts"].as_array().unwrap().len(),
            small["parts"].as_array().unwrap().len(),
            "one window each"
        );
        let (small_len, huge_len) = (small.to_string().len(), huge.to_string().len());
        assert!(huge_len < small_len + 64, "{huge_len} bytes vs {small_len}");
        for prepared in [small, huge] {
            let (status, _) = post(&server, "abort", &json!({"token": prepared["token"]})).await;
            assert_eq!(status, 204);
        }
    })
    .await;
}
