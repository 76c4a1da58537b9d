//! A hostile-input corpus: every case gets a 4xx JSON error and changes nothing (neither a record
//! nor an object), or, where the input can be made harmless (filenames), is made harmless.

use joist::{
    Joist, Owner,
    models::_entities::joist_uploads::{Column, Entity},
};
use loco_rs::{app::AppContext, boot::StartMode};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::support::{
    API,
    host::{ARCHIVE, PHOTO, PUBLIC_DOC},
    jwt_for, post, post_as, prepare, put_part, request, request_with, upload,
};

/// Every record's id, status, etag and update time, and every key the store holds under the
/// test's prefix: what "changes nothing" compares.
async fn state(ctx: &AppContext) -> (Vec<String>, Vec<String>) {
    let records = Entity::find()
        .order_by_asc(Column::Id)
        .all(&ctx.db)
        .await
        .unwrap()
        .into_iter()
        .map(|upload| {
            format!(
                "{} {} {:?} {}",
                upload.id,
                upload.status.name(),
                upload.etag,
                upload.updated_at
            )
        })
        .collect();
    let joist = Joist::from_context(ctx).unwrap();
    let store = joist.store();
    let listed = store
        .client()
        .list_objects_v2()
        .bucket(store.bucket())
        .prefix(&joist.config().upload_prefix)
        .send()
        .await
        .unwrap();
    let mut objects: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|object| object.key().map(ToString::to_string))
        .collect();
    for upload in store
        .list_multipart_uploads(&joist.config().upload_prefix)
        .await
        .unwrap()
    {
        let parts = store
            .list_parts(&upload.key, &upload.upload_id)
            .await
            .unwrap_or_default();
        objects.push(format!("{} ({} parts)", upload.key, parts.len()));
    }
    objects.sort();
    (records, objects)
}

async fn raw(server: &axum_test::TestServer, call: &str, body: String) -> (u16, Value) {
    let response = server
        .post(&format!("{API}/{call}"))
        .content_type("application/json")
        .bytes(body.into())
        .await;
    let status = response.status_code().as_u16();
    let text = response.text();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn prepare_body(field: &str, filename: &str, size: &Value, content_type: &str) -> Value {
    json!({"field": field, "filename": filename, "size": size, "content_type": content_type})
}

#[tokio::test]
async fn hostile_requests_get_json_errors_and_change_nothing() {
    let prefix = format!("hostile-{}/", uuid::Uuid::new_v4().simple());
    let own_prefix = |config: &mut loco_rs::config::Config| {
        let joist = crate::support::joist_block(config);
        joist["upload_prefix"] = json!(prefix);
    };
    request_with(own_prefix, StartMode::ServerOnly, |server, ctx| async move {
        // Uploads in every state the corpus aims at.
        let open = prepare(&server, ARCHIVE, "open.bin", (10 << 20) + 1, "application/zip").await;
        let open_token = open["token"].as_str().unwrap().to_string();
        let (_, parts) = post(&server, "parts", &json!({"token": open_token, "numbers": [1]})).await;
        assert_eq!(put_part(&parts["parts"][0], &crate::support::bytes(5 << 20, 1)).await.0, 200);
        let finalized = upload(&server, PUBLIC_DOC, "done.txt", b"done", "text/plain").await;
        let done_token = finalized["token"].as_str().map_or_else(String::new, ToString::to_string);
        let done = prepare(&server, PUBLIC_DOC, "closed.txt", 3, "text/plain").await;
        let closed_token = done["token"].as_str().unwrap().to_string();
        assert_eq!(post(&server, "abort", &json!({"token": closed_token})).await.0, 204);
        let alice = jwt_for(&ctx, "alice");
        let other_field = prepare(&server, PHOTO, "p.png", 10, "image/png").await;
        let photo_token = other_field["token"].as_str().unwrap().to_string();

        crate::support::events_settled(&ctx).await;
        let before = state(&ctx).await;
        let nested = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let cases: Vec<(&str, &str, String)> = vec![
            ("deeply nested JSON", "prepare", nested),
            ("duplicate keys", "prepare", r#"{"field": "test.public_doc", "field": "test.photo", "filename": "a", "size": 1}"#.into()),
            ("size as float", "prepare", prepare_body(PUBLIC_DOC, "a.txt", &json!(1000.0), "text/plain").to_string()),
            ("size as exponent", "prepare", r#"{"field": "test.public_doc", "filename": "a.txt", "size": 1e3, "content_type": "text/plain"}"#.into()),
            ("size one past the field limit", "prepare", prepare_body(PHOTO, "a.png", &json!((1 << 20) + 1), "image/png").to_string()),
            ("size one past 5 TiB", "prepare", prepare_body(ARCHIVE, "a.bin", &json!((5_u64 << 40) + 1), "application/zip").to_string()),
            ("field with a NUL", "prepare", prepare_body("test.public_doc\u{0}", "a.txt", &json!(1), "text/plain").to_string()),
            ("field with a newline", "prepare", prepare_body("test.public_doc\n", "a.txt", &json!(1), "text/plain").to_string()),
            ("header injection in the type", "prepare", prepare_body(PUBLIC_DOC, "a.txt", &json!(1), "text/plain\r\nx-amz-acl: public-read").to_string()),
            ("wildcard type", "prepare", prepare_body(PUBLIC_DOC, "a.txt", &json!(1), "*/*").to_string()),
            ("HTML into an image field", "prepare", prepare_body(PHOTO, "x.png", &json!(10), "text/html").to_string()),
            ("empty filename", "prepare", prepare_body(PUBLIC_DOC, "", &json!(1), "text/plain").to_string()),
            ("whitespace filename", "prepare", prepare_body(PUBLIC_DOC, " \t ", &json!(1), "text/plain").to_string()),
            ("a 10 KB token", "status", json!({"token": "a".repeat(10_000)}).to_string()),
            ("token with a newline", "status", json!({"token": format!("{open_token}\n")}).to_string()),
            ("token of another kind", "status", json!({"token": format!("{open_token}.extra")}).to_string()),
            ("duplicate part numbers", "parts", json!({"token": open_token, "numbers": [2, 2]}).to_string()),
            ("part number past u32", "parts", json!({"token": open_token, "numbers": [4_294_967_297_u64]}).to_string()),
            ("finalize with duplicate parts", "finalize", json!({"token": open_token, "parts": [{"number": 1, "etag": "\"a\""}, {"number": 1, "etag": "\"a\""}]}).to_string()),
            ("finalize with a wrong ETag", "finalize", json!({"token": open_token, "parts": [{"number": 1, "etag": "\"0000\""}, {"number": 2, "etag": "\"1111\""}, {"number": 3, "etag": "\"2222\""}]}).to_string()),
            ("finalize with parts missing", "finalize", json!({"token": open_token}).to_string()),
            ("replayed token: parts after abort", "parts", json!({"token": closed_token, "numbers": [1]}).to_string()),
            ("replayed token: finalize after abort", "finalize", json!({"token": closed_token}).to_string()),
            ("cross-field: a photo's token with an archive's part", "parts", json!({"token": photo_token, "numbers": [2]}).to_string()),
            ("field value instead of a token", "parts", json!({"token": finalized["field_value"], "numbers": [1]}).to_string()),
        ];
        let mut answers = Vec::new();
        for (case, call, body) in cases {
            let (status, answer) = raw(&server, call, body).await;
            assert!((400..500).contains(&status), "{case}: {status} {answer}");
            assert!(answer["error"]["code"].is_string(), "{case}: {answer}");
            answers.push(json!({"case": case, "status": status, "code": answer["error"]["code"]}));
        }
        // Another owner's token, and a signed-in user's token used anonymously.
        let (_, private) = post_as(&server, "prepare", &prepare_body(crate::support::host::PRIVATE_DOC, "p.txt", &json!(3), "text/plain"), Some(&alice)).await;
        // Its `prepared` event is delivered in the background (and stamps the record): wait for it.
        crate::support::events_settled(&ctx).await;
        let before_private = state(&ctx).await;
        for (case, call, bearer) in [("another owner's status", "status", Some(jwt_for(&ctx, "mallory"))), ("anonymous abort of a user's upload", "abort", None)] {
            let (status, answer) = post_as(&server, call, &json!({"token": private["token"]}), bearer.as_deref()).await;
            assert!((400..500).contains(&status), "{case}: {answer}");
            answers.push(json!({"case": case, "status": status, "code": answer["error"]["code"]}));
        }
        assert_eq!(state(&ctx).await, before_private, "the other owner's cases changed nothing");
        let mut after = state(&ctx).await;
        // The private upload was made between the snapshots; leave it out.
        let private_id = private["upload"].as_str().unwrap();
        after.0.retain(|record| !record.starts_with(private_id));
        assert_eq!(after, before, "no case changed a record or an object");
        assert!(!done_token.is_empty() || finalized["field_value"].is_string());
        insta::assert_json_snapshot!("hostile_requests", answers);

        // A field value for one field does not attach to another, nor for another owner.
        let joist = Joist::from_context(&ctx).unwrap();
        let value = finalized["field_value"].as_str().unwrap();
        assert!(joist.attach(&ctx.db, PHOTO, value, &Owner::Anonymous).await.is_err());
        assert!(joist.attach(&ctx.db, PUBLIC_DOC, value, &Owner::User("mallory".into())).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn hostile_filenames_become_safe_keys() {
    request(|server, _ctx| async move {
        for name in [
            "../../etc/passwd",
            "a/../../b.txt",
            "..\\..\\windows\\system32\\x.txt",
            "%2e%2e%2fescape.txt",
            "\u{202e}txt.exe",
            "<script>alert(1)</script>.txt",
            "名前 の ファイル.txt",
            ".hidden",
            "x\u{0}y.txt",
            &"a".repeat(400),
        ] {
            let (status, body) = post(
                &server,
                "prepare",
                &prepare_body(PUBLIC_DOC, name, &json!(1), "text/plain"),
            )
            .await;
            if status != 201 {
                assert!(
                    (400..500).contains(&status) && body["error"]["code"].is_string(),
                    "{name:?}: {body}"
                );
                continue;
            }
            let key = body["key"].as_str().unwrap();
            let id = body["upload"].as_str().unwrap();
            let last = key
                .strip_prefix(&format!("uploads/{PUBLIC_DOC}/{id}/"))
                .unwrap_or_else(|| panic!("{name:?}: the key {key} left its prefix"));
            assert!(
                !last.is_empty() && !last.starts_with('.') && last.len() <= 255,
                "{name:?}: {key}"
            );
            assert!(
                last.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')),
                "{name:?}: {key}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn sizes_at_every_boundary() {
    request(|server, _ctx| async move {
        let mib = 1_u64 << 20;
        for (case, field, size, expected) in [
            ("1 byte", PUBLIC_DOC, 1, Some("single")),
            ("the photo limit exactly", PHOTO, mib, Some("single")),
            ("one past the photo limit", PHOTO, mib + 1, None),
            (
                "one below the multipart threshold",
                ARCHIVE,
                5 * mib - 1,
                Some("single"),
            ),
            (
                "the multipart threshold exactly",
                ARCHIVE,
                5 * mib,
                Some("multipart"),
            ),
            (
                "one past the threshold",
                ARCHIVE,
                5 * mib + 1,
                Some("multipart"),
            ),
            ("5 TiB exactly", ARCHIVE, 5 << 40, Some("multipart")),
            ("one past 5 TiB", ARCHIVE, (5 << 40) + 1, None),
        ] {
            let content_type = match field {
                PHOTO => "image/png",
                PUBLIC_DOC => "text/plain",
                _ => "application/zip",
            };
            let (status, body) = post(
                &server,
                "prepare",
                &prepare_body(field, "s.bin", &json!(size), content_type),
            )
            .await;
            match expected {
                Some(mode) => assert_eq!(
                    (status, body["mode"].as_str()),
                    (201, Some(mode)),
                    "{case}: {body}"
                ),
                None => assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (413, Some("file_too_large")),
                    "{case}: {body}"
                ),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn prepare_is_rate_limited_per_owner_and_unfinished_uploads_are_capped() {
    request_with(
        |config| {
            let joist = crate::support::joist_block(config);
            joist["prepare_rate_limit"] = json!(3);
            joist["max_unfinished_uploads"] = json!(2);
        },
        StartMode::ServerOnly,
        |server, ctx| async move {
            let body = prepare_body(PUBLIC_DOC, "a.txt", &json!(1), "text/plain");
            for _ in 0..3 {
                assert_eq!(post(&server, "prepare", &body).await.0, 201);
            }
            let response = server.post(&format!("{API}/prepare")).json(&body).await;
            assert_eq!(response.status_code().as_u16(), 429);
            let retry_after: u64 = response
                .header("retry-after")
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry_after), "{retry_after}");
            assert_eq!(response.json::<Value>()["error"]["code"], "rate_limited");

            // A signed-in owner counts apart, and may keep 2 unfinished uploads.
            let alice = jwt_for(&ctx, "alice");
            let private = prepare_body(
                crate::support::host::PRIVATE_DOC,
                "p.txt",
                &json!(3),
                "text/plain",
            );
            let (_, first) = post_as(&server, "prepare", &private, Some(&alice)).await;
            assert_eq!(
                post_as(&server, "prepare", &private, Some(&alice)).await.0,
                201
            );
            let (status, refused) = post_as(&server, "prepare", &private, Some(&alice)).await;
            assert_eq!(
                (status, refused["error"]["code"].as_str()),
                (429, Some("too_many_unfinished_uploads")),
                "{refused}"
            );
            assert_eq!(
                post_as(
                    &server,
                    "abort",
                    &json!({"token": first["token"]}),
                    Some(&alice)
                )
                .await
                .0,
                204
            );
            assert_eq!(
                post_as(&server, "prepare", &private, Some(&alice)).await.0,
                201,
                "room again after an abort"
            );
        },
    )
    .await;
}
