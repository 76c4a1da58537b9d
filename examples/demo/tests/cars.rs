//! The README's walk-through, through the demo's routes: upload a manual, create a car with it,
//! download it. The upload goes through `joist::testing`, as a host's own tests would do it.

use joist::testing::{Fixture, TestStore, TestingError};
use joist_demo::app::App;
use loco_rs::testing::request::request_with_create_db;
use serde_json::{Value, json};

async fn post(server: &axum_test::TestServer, path: &str, body: &Value) -> (u16, Value) {
    let response = server.post(path).json(body).await;
    (response.status_code().as_u16(), response.json())
}

#[tokio::test]
async fn can_create_a_car_with_an_uploaded_manual_and_download_it() {
    request_with_create_db::<App, _, _>(|server, ctx| async move {
        let store = TestStore::start(&ctx).await.unwrap();
        let manual = b"%PDF-1.4 the owner's manual";
        let uploaded = store
            .upload(
                &server,
                Fixture::new("car.owners_manual", "Model T manual.pdf", manual.to_vec()),
            )
            .await
            .unwrap();
        assert_eq!(uploaded.metadata["detected_type"], "application/pdf");
        assert_eq!(
            store.object(&uploaded.key).await.unwrap().as_deref(),
            Some(&manual[..])
        );

        let record = joist::models::Upload::find_by_key(&ctx.db, &uploaded.key)
            .await
            .unwrap()
            .unwrap();
        let metadata = record
            .metadata
            .expect("finalize and the demo's handler recorded metadata");
        assert_eq!(metadata["detected_type"], "application/pdf", "{metadata}");
        assert_eq!(
            metadata["sha256"].as_str().map(str::len),
            Some(64),
            "{metadata}"
        );

        let (status, car) = post(
            &server,
            "/api/cars",
            &json!({"name": "Model T", "owners_manual": uploaded.field_value}),
        )
        .await;
        assert_eq!(status, 201, "{car}");
        assert_eq!(car["owners_manual"]["filename"], "Model_T_manual.pdf");
        let shown = server
            .get(&format!("/api/cars/{}", car["id"]))
            .await
            .json::<Value>();
        let downloaded = reqwest::get(shown["owners_manual"]["url"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(&downloaded.bytes().await.unwrap()[..], manual);

        let (status, refused) = post(
            &server,
            "/api/cars",
            &json!({"name": "Forged", "owners_manual": "eyJ1IjoxfQ.Zm9yZ2Vk"}),
        )
        .await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (422, Some("invalid_field_value"))
        );

        let removed = server
            .patch(&format!("/api/cars/{}", car["id"]))
            .json(&json!({"owners_manual": null}))
            .await
            .json::<Value>();
        assert_eq!(removed["owners_manual"], Value::Null);
        assert_eq!(removed["name"], "Model T");
    })
    .await;
}

#[tokio::test]
async fn a_file_finalize_refuses_comes_back_as_the_api_error() {
    request_with_create_db::<App, _, _>(|server, ctx| async move {
        let store = TestStore::start(&ctx).await.unwrap();
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
        let refused = store
            .upload(
                &server,
                Fixture::new("car.owners_manual", "manual.pdf", html),
            )
            .await
            .unwrap_err();
        let TestingError::Api { call, status, body } = refused else {
            panic!("not an API error: {refused}")
        };
        assert_eq!(
            (call, status, body["error"]["code"].as_str()),
            ("finalize", 422, Some("content_mismatch"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_field_takes_a_multipart_upload_with_a_jwt() {
    request_with_create_db::<App, _, _>(|server, ctx| async move {
        let store = TestStore::start(&ctx).await.unwrap();
        let bytes: Vec<u8> = (0..20_u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let document = Fixture::new(joist_demo::fields::DOCUMENT, "archive.bin", bytes.clone());
        let anonymous = store.upload(&server, document.clone()).await.unwrap_err();
        assert!(
            matches!(
                anonymous,
                TestingError::Api {
                    call: "prepare",
                    status: 401,
                    ..
                }
            ),
            "{anonymous}"
        );

        let jwt = loco_rs::auth::jwt::JWT::new(&ctx.config.get_jwt_config().unwrap().secret)
            .generate_token(3600, "user-1".to_string(), serde_json::Map::new())
            .unwrap();
        let uploaded = store.upload(&server, document.bearer(&jwt)).await.unwrap();
        assert_eq!(store.object(&uploaded.key).await.unwrap(), Some(bytes));
    })
    .await;
}
