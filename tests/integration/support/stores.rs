//! The stores a test can run against: the embedded endpoint always, and Garage and MiniStack when
//! `scripts/test` started them (`JOIST_TEST_GARAGE_*`, `JOIST_TEST_MINISTACK_*`), which the full
//! suite insists on.

use loco_rs::config::Config;
use serde_json::json;

/// A store to run against: its name and how it changes the host's config.
pub struct StoreUnderTest {
    pub name: &'static str,
    remote: Option<[String; 5]>,
}

impl StoreUnderTest {
    /// Points the host's joist block at this store, with keys under `prefix`.
    pub fn configure(&self, config: &mut Config, prefix: &str) {
        let joist = super::joist_block(config);
        joist["upload_prefix"] = json!(prefix);
        if let Some([endpoint, access_key, secret_key, bucket, region]) = &self.remote {
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

fn remote(name: &'static str, variable: &str) -> Option<StoreUnderTest> {
    let values: Vec<String> = ["ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET", "REGION"]
        .iter()
        .filter_map(|part| std::env::var(format!("JOIST_TEST_{variable}_{part}")).ok())
        .collect();
    let remote = <[String; 5]>::try_from(values).ok();
    if remote.is_none() {
        super::service_missing(
            name,
            &format!("JOIST_TEST_{variable}_* are not set (scripts/test starts one)"),
        );
    }
    remote.map(|remote| StoreUnderTest {
        name,
        remote: Some(remote),
    })
}

/// Garage alone, when it is running (the full suite insists).
pub fn garage() -> Option<StoreUnderTest> {
    remote("garage", "GARAGE")
}

/// The embedded endpoint, then Garage and MiniStack when they are running.
pub fn stores() -> Vec<StoreUnderTest> {
    let mut stores = vec![StoreUnderTest {
        name: "embedded",
        remote: None,
    }];
    stores.extend(remote("garage", "GARAGE"));
    stores.extend(remote("ministack", "MINISTACK"));
    stores
}
