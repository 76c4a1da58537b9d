//! The S3 calls of Uppy's `@uppy/aws-s3`, answered in S3's XML through the upload token.

use axum::http::{HeaderName, HeaderValue};
use axum_test::TestServer;
use serde_json::json;

use crate::support::{
    API, assert_holds, bytes, host::PUBLIC_DOC, post, prepare, put_part, request,
};

const MIB: usize = 1 << 20;

/// An Uppy control call: status, `content-type`, `x-amz-error-code` and the XML body.
async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, String, Option<String>, String) {
    let url = format!("{API}/uppy/{path}");
    let mut request = match method {
        "GET" => server.get(&url),
        "POST" => server.post(&url),
        "DELETE" => server.delete(&url),
        _ => server.put(&url),
    };
    if let Some(token) = token {
        request = request.add_header(
            HeaderName::from_static("x-joist-token"),
            HeaderValue::from_str(token).unwrap(),
        );
    }
    let response = request.await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_string())
    };
    (
        response.status_code().as_u16(),
        header("content-type").unwrap_or_default(),
        header("x-amz-error-code"),
        response.text(),
    )
}

fn element<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    xml.split(&format!("<{name}>"))
        .skip(1)
        .filter_map(|rest| rest.split(&format!("</{name}>")).next())
        .collect()
}

#[tokio::test]
async fn can_upload_a_multipart_upload_through_uppys_s3_calls() {
    request(|server, ctx| async move {
        let content = bytes(10 * MIB + 1, 7);
        let prepared = prepare(
            &server,
            PUBLIC_DOC,
            "uppy.bin",
            content.len(),
            "application/octet-stream",
        )
        .await;
        let token = prepared["token"].as_str().unwrap();
        let key = prepared["key"].as_str().unwrap();

        let (status, content_type, _, created) = call(&server, "POST", "create", Some(token)).await;
        assert_eq!((status, content_type.as_str()), (200, "application/xml"));
        assert!(
            created.contains("<InitiateMultipartUploadResult>"),
            "{created}"
        );
        assert_eq!(element(&created, "UploadId"), [token]);
        assert_eq!(element(&created, "Key"), [key]);

        let (_, etag) = put_part(&prepared["parts"][0], &content[..5 * MIB]).await;
        let (status, _, _, listed) = call(&server, "GET", "upload", Some(token)).await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(element(&listed, "PartNumber"), ["1"]);
        let listed_etag = element(&listed, "ETag")[0].replace("&quot;", "");
        assert_eq!(listed_etag, etag.unwrap().trim_matches('"'));
        assert_eq!(element(&listed, "Size"), [(5 * MIB).to_string()]);

        put_part(&prepared["parts"][1], &content[5 * MIB..10 * MIB]).await;
        let (_, more) = post(&server, "parts", &json!({"token": token, "numbers": [3]})).await;
        put_part(&more["parts"][0], &content[10 * MIB..]).await;
        let (status, _, _, completed) = call(&server, "POST", "upload", Some(token)).await;
        assert_eq!(status, 200, "{completed}");
        assert_eq!(element(&completed, "Key"), [key]);
        let location = element(&completed, "Location")[0];
        assert!(
            location.starts_with("http") && location.ends_with(key) && !location.contains('?'),
            "{location}"
        );
        assert_holds(&ctx, key, &content, "the completed object").await;

        let (status, finalized) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!(
            status, 200,
            "finalize replays what complete did: {finalized}"
        );
        assert!(
            finalized["field_value"]
                .as_str()
                .is_some_and(|value| !value.is_empty())
        );

        let (status, _, _, relisted) = call(&server, "GET", "upload", Some(token)).await;
        assert_eq!(status, 200);
        assert_eq!(
            element(&relisted, "PartNumber"),
            ["1", "2", "3"],
            "a finished upload lists every part"
        );
        let (status, _, _, again) = call(&server, "POST", "upload", Some(token)).await;
        assert_eq!(
            (status, element(&again, "Key")),
            (200, vec![key]),
            "complete is idempotent"
        );
    })
    .await;
}

#[tokio::test]
async fn uppys_s3_calls_answer_s3_errors_with_joists_codes() {
    request(|server, _ctx| async move {
        let (status, content_type, code, body) = call(&server, "GET", "upload", None).await;
        assert_eq!(
            (status, content_type.as_str(), code.as_deref()),
            (401, "application/xml", Some("invalid_token"))
        );
        assert_eq!(element(&body, "Code"), ["invalid_token"]);
        assert!(!element(&body, "Message")[0].is_empty());

        let (status, _, code, _) = call(&server, "POST", "upload", Some("forged")).await;
        assert_eq!((status, code.as_deref()), (401, Some("invalid_token")));

        let single = prepare(&server, PUBLIC_DOC, "small.txt", 5, "text/plain").await;
        let token = single["token"].as_str().unwrap();
        let (status, _, code, _) = call(&server, "POST", "create", Some(token)).await;
        assert_eq!(
            (status, code.as_deref()),
            (422, Some("invalid_request")),
            "a single upload has no multipart upload"
        );

        let multipart = prepare(
            &server,
            PUBLIC_DOC,
            "gone.bin",
            6 * MIB,
            "application/octet-stream",
        )
        .await;
        let token = multipart["token"].as_str().unwrap();
        let (status, _, _, body) = call(&server, "DELETE", "upload", Some(token)).await;
        assert_eq!((status, body.as_str()), (204, ""));
        let (_, state) = post(&server, "status", &json!({"token": token})).await;
        assert_eq!(state["status"], "aborted");
        let (status, _, code, _) = call(&server, "GET", "upload", Some(token)).await;
        assert_eq!((status, code.as_deref()), (409, Some("upload_closed")));
        let (status, _, code, _) = call(&server, "POST", "upload", Some(token)).await;
        assert_eq!((status, code.as_deref()), (409, Some("upload_closed")));
        let (status, _, _, _) = call(&server, "DELETE", "upload", Some(token)).await;
        assert_eq!(status, 204, "abort is idempotent");

        let (status, _, code, _) = call(&server, "PUT", "upload", Some(token)).await;
        assert_eq!((status, code.as_deref()), (405, Some("method_not_allowed")));
    })
    .await;
}
