//! The README's walk-through, through the demo's routes: upload a manual, create a car with it,
//! download it.

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
        let manual = b"%PDF-1.4 the owner's manual";
        let (status, prepared) = post(&server, "/api/joist/prepare", &json!({"field": "car.owners_manual", "filename": "Model T manual.pdf", "size": manual.len(), "content_type": "application/pdf"})).await;
        assert_eq!(status, 201, "{prepared}");
        let part = &prepared["parts"][0];
        let mut put = reqwest::Client::new().put(part["url"].as_str().unwrap()).body(manual.to_vec());
        for (name, value) in part["headers"].as_object().unwrap() {
            put = put.header(name, value.as_str().unwrap());
        }
        let put = put.send().await.unwrap();
        assert_eq!(put.status(), 200);
        let (status, finalized) = post(&server, "/api/joist/finalize", &json!({"token": prepared["token"]})).await;
        assert_eq!(status, 200, "{finalized}");

        let record = joist::models::Upload::find_by_key(&ctx.db, finalized["key"].as_str().unwrap()).await.unwrap().unwrap();
        let metadata = record.metadata.expect("finalize and the demo's handler recorded metadata");
        assert_eq!(metadata["detected_type"], "application/pdf", "{metadata}");
        assert_eq!(metadata["sha256"].as_str().map(str::len), Some(64), "{metadata}");
        assert_eq!(finalized["metadata"]["detected_type"], "application/pdf");

        let (status, car) = post(&server, "/api/cars", &json!({"name": "Model T", "owners_manual": finalized["field_value"]})).await;
        assert_eq!(status, 201, "{car}");
        assert_eq!(car["owners_manual"]["filename"], "Model_T_manual.pdf");
        let shown = server.get(&format!("/api/cars/{}", car["id"])).await.json::<Value>();
        let downloaded = reqwest::get(shown["owners_manual"]["url"].as_str().unwrap()).await.unwrap();
        assert_eq!(&downloaded.bytes().await.unwrap()[..], manual);

        let (status, refused) = post(&server, "/api/cars", &json!({"name": "Forged", "owners_manual": "eyJ1IjoxfQ.Zm9yZ2Vk"})).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("invalid_field_value")));

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
