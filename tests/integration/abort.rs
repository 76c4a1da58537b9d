use joist::{Joist, Owner, s3::StoreError};

use serde_json::json;

use crate::support::{bytes, host::PUBLIC_DOC, post, prepare, put_part, request, stored, upload};

#[tokio::test]
async fn aborting_a_multipart_upload_aborts_it_in_the_store() {
    request(|server, ctx| async move {
        let content = bytes((10 << 20) + 1, 5);
        let prepared = prepare(
            &server,
            PUBLIC_DOC,
            "gone.bin",
            content.len(),
            "application/octet-stream",
        )
        .await;
        let token = prepared["token"].as_str().unwrap();
        put_part(&prepared["parts"][0], &content[..5 << 20]).await;

        let (status, body) = post(&server, "abort", &json!({"token": token})).await;
        assert_eq!((status, body), (204, serde_json::Value::Null));

        let joist = Joist::from_context(&ctx).unwrap();
        let record = joist::models::Upload::find(
            &ctx.db,
            prepared["upload"].as_str().unwrap().parse().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        let listed = joist
            .store()
            .list_parts(&record.key, record.s3_upload_id.as_deref().unwrap())
            .await;
        assert_eq!(
            listed,
            Err(StoreError::NotFound),
            "the multipart upload is gone from the store"
        );
        assert_eq!(record.status, joist::models::UploadStatus::Aborted);

        let (status, body) = post(&server, "parts", &json!({"token": token, "numbers": [2]})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("upload_closed"))
        );
        let (status, body) = post(&server, "finalize", &json!({"token": token})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("upload_closed"))
        );
        let (status, _) = post(&server, "abort", &json!({"token": token})).await;
        assert_eq!(status, 204, "abort is idempotent");
    })
    .await;
}

#[tokio::test]
async fn aborting_a_single_upload_deletes_the_object() {
    request(|server, ctx| async move {
        let prepared = prepare(&server, PUBLIC_DOC, "oops.txt", 5, "text/plain").await;
        put_part(&prepared["parts"][0], b"hello").await;
        let key = prepared["key"].as_str().unwrap();
        assert!(stored(&ctx, key).await.is_some());
        let (status, _) = post(&server, "abort", &json!({"token": prepared["token"]})).await;
        assert_eq!(status, 204);
        assert_eq!(stored(&ctx, key).await, None);
    })
    .await;
}

#[tokio::test]
async fn an_attached_upload_cannot_be_aborted() {
    request(|server, ctx| async move {
        let prepared = prepare(&server, PUBLIC_DOC, "keep.txt", 4, "text/plain").await;
        put_part(&prepared["parts"][0], b"keep").await;
        let (_, finalized) = post(&server, "finalize", &json!({"token": prepared["token"]})).await;
        let joist = Joist::from_context(&ctx).unwrap();
        joist
            .attach(
                &ctx.db,
                PUBLIC_DOC,
                finalized["field_value"].as_str().unwrap(),
                &Owner::Anonymous,
            )
            .await
            .unwrap();
        let (status, body) = post(&server, "abort", &json!({"token": prepared["token"]})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("upload_attached"))
        );
        assert_eq!(
            stored(&ctx, finalized["key"].as_str().unwrap())
                .await
                .as_deref(),
            Some(&b"keep"[..])
        );
        let again = upload(&server, PUBLIC_DOC, "other.txt", b"other", "text/plain").await;
        assert_ne!(again["key"], finalized["key"]);
    })
    .await;
}
