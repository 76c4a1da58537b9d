//! A bad config stops the boot with a message naming the key.

use loco_rs::{app::Hooks, boot::StartMode, environment::Environment};
use serde_json::json;

use crate::support::host::App;

async fn boot_error(change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut config = App::load_config(&Environment::Test).await.unwrap();
    config.database.uri = "sqlite::memory:".into();
    let initializers = config.initializers.as_mut().unwrap();
    change(initializers.get_mut("joist").unwrap());
    match App::boot(StartMode::ServerOnly, &Environment::Test, config).await {
        Ok(_) => panic!("the boot should fail"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn a_missing_bucket_stops_the_boot_naming_the_key() {
    let error = boot_error(|joist| {
        joist.as_object_mut().unwrap().remove("bucket");
    })
    .await;
    assert!(error.contains("initializers.joist.bucket"), "{error}");
}

#[tokio::test]
async fn an_undeclared_public_field_stops_the_boot() {
    let error = boot_error(|joist| joist["public_fields"] = json!(["car.nope"])).await;
    assert!(
        error.contains("initializers.joist.public_fields") && error.contains("car.nope"),
        "{error}"
    );
}
