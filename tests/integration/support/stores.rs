//! The stores a test can run against: the embedded endpoint always, Garage when `scripts/test`
//! started one (`JOIST_TEST_GARAGE_*`), which the full suite insists on.

use loco_rs::config::Config;
use serde_json::json;

/// A store to run against: its name and how it changes the host's config.
pub struct StoreUnderTest {
    pub name: &'static str,
    garage: Option<[String; 5]>,
}

impl StoreUnderTest {
    /// Points the host's joist block at this store, with keys under `prefix`.
    pub fn configure(&self, config: &mut Config, prefix: &str) {
        let joist = config
            .initializers
            .as_mut()
            .unwrap()
            .get_mut("joist")
            .unwrap();
        joist["upload_prefix"] = json!(prefix);
        if let Some([endpoint, access_key, secret_key, bucket, region]) = &self.garage {
            let block = joist.as_object_mut().unwrap();
            block.remove("dev_endpoint");
            block.insert("endpoint".into(), json!(endpoint));
            block.insert("bucket".into(), json!(bucket));
            block.insert("region".into(), json!(region));
            block.insert("path_style".into(), json!(true));
            block.insert(
                "credentials".into(),
                json!({"access_key_id": access_key, "secret_access_key": secret_key}),
            );
        }
    }
}

/// The embedded endpoint, and Garage when one is running.
pub fn stores() -> Vec<StoreUnderTest> {
    let mut stores = vec![StoreUnderTest {
        name: "embedded",
        garage: None,
    }];
    let names = ["ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET", "REGION"];
    let values: Vec<String> = names
        .iter()
        .filter_map(|name| std::env::var(format!("JOIST_TEST_GARAGE_{name}")).ok())
        .collect();
    match <[String; 5]>::try_from(values) {
        Ok(garage) => stores.push(StoreUnderTest {
            name: "garage",
            garage: Some(garage),
        }),
        Err(_) => super::service_missing(
            "Garage",
            "JOIST_TEST_GARAGE_* are not set (scripts/test starts one)",
        ),
    }
    stores
}
