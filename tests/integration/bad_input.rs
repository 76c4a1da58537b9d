//! Every bad input gets a clear JSON error with a fitting status, and changes nothing.

use axum_test::TestServer;
use chrono::Utc;
use insta::assert_json_snapshot;
use joist::{
    Joist,
    signing::{Purpose, UploadClaims},
};

use serde_json::{Value, json};

use crate::support::{
    API,
    host::{ARCHIVE, PHOTO, PRIVATE_DOC, PUBLIC_DOC},
    jwt_for, post, post_as, prepare, request, upload_count,
};

async fn raw(
    server: &TestServer,
    call: &str,
    content_type: &str,
    body: &'static str,
) -> (u16, Value) {
    let response = server
        .post(&format!("{API}/{call}"))
        .content_type(content_type)
        .bytes(body.into())
        .await;
    (response.status_code().as_u16(), response.json())
}

fn prepare_body(field: &str, filename: &str, size: &Value, content_type: &str) -> Value {
    json!({"field": field, "filename": filename, "size": size, "content_type": content_type})
}

fn bad_prepare_bodies() -> Vec<(&'static str, Value)> {
    vec![
        ("missing fields", json!({"field": PUBLIC_DOC})),
        (
            "size is text",
            prepare_body(PUBLIC_DOC, "a.pdf", &json!("12"), "application/pdf"),
        ),
        (
            "size is fractional",
            prepare_body(PUBLIC_DOC, "a.pdf", &json!(1.5), "application/pdf"),
        ),
        (
            "unknown field",
            prepare_body("car.nope", "a.pdf", &json!(1), "application/pdf"),
        ),
        (
            "size zero",
            prepare_body(PUBLIC_DOC, "a.pdf", &json!(0), "application/pdf"),
        ),
        (
            "size negative",
            prepare_body(PUBLIC_DOC, "a.pdf", &json!(-5), "application/pdf"),
        ),
        (
            "size over the field limit",
            prepare_body(PHOTO, "a.png", &json!((1 << 20) + 1), "image/png"),
        ),
        (
            "size over 5 TiB",
            prepare_body(
                ARCHIVE,
                "a.bin",
                &json!((5_u64 << 40) + 1),
                "application/octet-stream",
            ),
        ),
        (
            "size beyond i64",
            prepare_body(
                ARCHIVE,
                "a.bin",
                &json!(u64::MAX),
                "application/octet-stream",
            ),
        ),
        (
            "disallowed type",
            prepare_body(PHOTO, "a.pdf", &json!(10), "application/pdf"),
        ),
        (
            "lying type family",
            prepare_body(PHOTO, "a.png", &json!(10), "imagex/png"),
        ),
        (
            "not a content type",
            prepare_body(PUBLIC_DOC, "a.pdf", &json!(10), "pdf"),
        ),
        (
            "content type with parameters",
            prepare_body(PUBLIC_DOC, "a.txt", &json!(10), "text/plain; charset=utf-8"),
        ),
        (
            "filename is a path",
            prepare_body(PUBLIC_DOC, "../../", &json!(10), "text/plain"),
        ),
        (
            "filename of control characters",
            prepare_body(PUBLIC_DOC, "\u{0}\u{7}\n", &json!(10), "text/plain"),
        ),
        (
            "anonymous on a private field",
            prepare_body(PRIVATE_DOC, "a.txt", &json!(10), "text/plain"),
        ),
    ]
}

#[tokio::test]
async fn bad_prepare_requests_get_json_errors_and_record_nothing() {
    request(|server, ctx| async move {
        let mut answers = Vec::new();
        for (case, call, content_type, body) in [
            (
                "malformed json",
                "prepare",
                "application/json",
                "{\"field\": ",
            ),
            ("wrong media type", "prepare", "text/plain", "{}"),
            (
                "form encoded",
                "prepare",
                "application/x-www-form-urlencoded",
                "field=a",
            ),
        ] {
            let (status, body) = raw(&server, call, content_type, body).await;
            answers.push(json!({"case": case, "status": status, "body": body}));
        }
        for (case, body) in bad_prepare_bodies() {
            let (status, body) = post(&server, "prepare", &body).await;
            answers.push(json!({"case": case, "status": status, "body": body}));
        }
        let (status, body) = post_as(
            &server,
            "prepare",
            &prepare_body(PRIVATE_DOC, "a.txt", &json!(10), "text/plain"),
            Some("not.a.jwt"),
        )
        .await;
        answers.push(json!({"case": "invalid jwt", "status": status, "body": body}));

        for answer in &answers {
            let status = answer["status"].as_u64().unwrap();
            assert!((400..500).contains(&status), "{answer}");
            assert!(
                answer["body"]["error"]["code"].is_string()
                    && answer["body"]["error"]["message"].is_string(),
                "{answer}"
            );
        }
        assert_eq!(upload_count(&ctx).await, 0, "no upload was recorded");
        assert_json_snapshot!("bad_prepare_requests", answers);
    })
    .await;
}

fn expired_token(joist: &Joist, upload: &Value) -> String {
    let claims = UploadClaims {
        upload: upload["upload"].as_str().unwrap().parse().unwrap(),
        field: PUBLIC_DOC.into(),
        key: upload["key"].as_str().unwrap().into(),
        owner: None,
        expires_at: Utc::now().timestamp() - 1,
    };
    joist.signer().sign(Purpose::UploadToken, &claims)
}

#[tokio::test]
async fn bad_tokens_and_foreign_uploads_are_refused_and_change_nothing() {
    request(|server, ctx| async move {
        let joist = Joist::from_context(&ctx).unwrap();
        let public = prepare(&server, PUBLIC_DOC, "a.bin", (10 << 20) + 1, "application/octet-stream").await;
        let token = public["token"].as_str().unwrap();
        let (payload, signature) = token.split_once('.').unwrap();
        let tampered = format!("{payload}x.{signature}");
        let truncated = &token[..token.len() - 3];
        let expired = expired_token(&joist, &public);
        let unsigned_field_value = joist.signer().sign(Purpose::FieldValue, &UploadClaims {
            upload: public["upload"].as_str().unwrap().parse().unwrap(),
            field: PUBLIC_DOC.into(),
            key: public["key"].as_str().unwrap().into(),
            owner: None,
            expires_at: Utc::now().timestamp() + 600,
        });

        let alice = jwt_for(&ctx, "alice");
        let bob = jwt_for(&ctx, "bob");
        let (_, private) = post_as(&server, "prepare", &prepare_body(PRIVATE_DOC, "p.txt", &json!(3), "text/plain"), Some(&alice)).await;
        let private_token = private["token"].as_str().unwrap();

        let mut answers = Vec::new();
        for (case, call, body, bearer) in [
            ("forged token", "status", json!({"token": "eyJ1IjoxfQ.c2lnbmF0dXJl"}), None),
            ("tampered token", "parts", json!({"token": tampered, "numbers": [1]}), None),
            ("truncated token", "finalize", json!({"token": truncated}), None),
            ("expired token", "parts", json!({"token": expired, "numbers": [1]}), None),
            ("field value as token", "abort", json!({"token": unsigned_field_value}), None),
            ("token is a number", "status", json!({"token": 5}), None),
            ("part number zero", "parts", json!({"token": token, "numbers": [0]}), None),
            ("part number beyond the plan", "parts", json!({"token": token, "numbers": [4]}), None),
            ("no part numbers", "parts", json!({"token": token, "numbers": []}), None),
            ("more parts than a window", "parts", json!({"token": token, "numbers": [1, 2, 3]}), None),
            ("negative part number", "parts", json!({"token": token, "numbers": [-1]}), None),
            ("checksum not base64", "parts", json!({"token": token, "numbers": [1], "checksums": {"1": "!!"}}), None),
            ("checksum too short", "parts", json!({"token": token, "numbers": [1], "checksums": {"1": "AAAA"}}), None),
            ("checksum for a part not asked", "parts", json!({"token": token, "numbers": [1], "checksums": {"2": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}), None),
            ("finalize before upload", "finalize", json!({"token": token}), None),
            ("another owner's upload", "status", json!({"token": private_token}), Some(bob.as_str())),
            ("another owner's finalize", "finalize", json!({"token": private_token}), Some(bob.as_str())),
            ("anonymous on a private upload", "abort", json!({"token": private_token}), None),
        ] {
            let (status, body) = post_as(&server, call, &body, bearer).await;
            answers.push(json!({"case": case, "status": status, "body": body}));
        }
        for answer in &answers {
            let status = answer["status"].as_u64().unwrap();
            assert!((400..500).contains(&status), "{answer}");
            assert!(answer["body"]["error"]["code"].is_string(), "{answer}");
        }
        for (upload_token, bearer) in [(token, None), (private_token, Some(alice.as_str()))] {
            let (status, body) = post_as(&server, "status", &json!({"token": upload_token}), bearer).await;
            assert_eq!((status, body["status"].as_str()), (200, Some("prepared")), "{body}");
        }
        assert_json_snapshot!("bad_tokens", answers);
    })
    .await;
}

#[tokio::test]
async fn other_methods_and_oversized_bodies_get_json_errors() {
    request(|server, ctx| async move {
        let response = server.get(&format!("{API}/prepare")).await;
        assert_eq!(response.status_code().as_u16(), 405);
        assert_eq!(
            response.json::<Value>()["error"]["code"],
            "method_not_allowed"
        );

        let huge_name = "a".repeat(3 << 20);
        let (status, body) = post(
            &server,
            "prepare",
            &prepare_body(PUBLIC_DOC, &huge_name, &json!(1), "text/plain"),
        )
        .await;
        assert!((400..500).contains(&status), "{status} {body}");
        assert!(body["error"]["code"].is_string(), "{body}");
        assert_eq!(upload_count(&ctx).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_single_upload_with_a_wrong_etag_is_refused() {
    request(|server, _ctx| async move {
        let prepared = prepare(&server, PUBLIC_DOC, "e.txt", 3, "text/plain").await;
        let (status, _) = crate::support::put_part(&prepared["parts"][0], b"abc").await;
        assert_eq!(status, 200);
        let wrong =
            json!({"token": prepared["token"], "parts": [{"number": 1, "etag": "\"0123\""}]});
        let (status, body) = post(&server, "finalize", &wrong).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("etag_mismatch")),
            "{body}"
        );
        let (status, _) = post(&server, "finalize", &json!({"token": prepared["token"]})).await;
        assert_eq!(status, 200);
    })
    .await;
}
