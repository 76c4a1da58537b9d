use serde_json::{Value, json};

use super::JoistConfig;

type Change = Box<dyn FnOnce(&mut serde_json::Map<String, Value>)>;

fn minimal() -> Value {
    json!({"bucket": "uploads", "secrets": ["0123456789abcdef0123456789abcdef"]})
}

fn error_of(mut block: Value, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    change(block.as_object_mut().unwrap());
    match serde_json::from_value::<JoistConfig>(block) {
        Ok(config) => config
            .validate()
            .expect_err("should be refused")
            .to_string(),
        Err(error) => error.to_string(),
    }
}

#[test]
fn defaults_fill_every_optional_key() {
    let config: JoistConfig = serde_json::from_value(minimal()).unwrap();
    config.validate().unwrap();
    assert_eq!(config.api_base_url, "/api/joist");
    assert_eq!(config.admin_base_url, "/admin/joist");
    assert_eq!(
        (config.multipart_threshold, config.part_size),
        (64 << 20, 16 << 20)
    );
    assert_eq!(config.max_object_size, 5 << 40);
    assert_eq!(
        (
            config.part_url_window,
            config.url_lifetime,
            config.token_lifetime
        ),
        (16, 3600, 86_400)
    );
    assert!(!config.dev_endpoint.enabled && !config.path_style);
}

#[test]
fn sizes_take_units() {
    let mut block = minimal();
    block["part_size"] = json!("8 MiB");
    block["multipart_threshold"] = json!(16_777_216);
    let config: JoistConfig = serde_json::from_value(block).unwrap();
    assert_eq!(
        (config.part_size, config.multipart_threshold),
        (8 << 20, 16 << 20)
    );
}

#[test]
fn bad_values_name_their_key() {
    let cases: [(&str, Change); 13] = [
        (
            "initializers.joist.bucket",
            Box::new(|block| {
                block.remove("bucket");
            }),
        ),
        (
            "initializers.joist.secrets",
            Box::new(|block| {
                block.insert("secrets".into(), json!([]));
            }),
        ),
        (
            "initializers.joist.secrets[1]",
            Box::new(|block| {
                block.insert(
                    "secrets".into(),
                    json!(["0123456789abcdef0123456789abcdef", "short"]),
                );
            }),
        ),
        (
            "initializers.joist.part_size",
            Box::new(|block| {
                block.insert("part_size".into(), json!("4 MiB"));
            }),
        ),
        (
            "initializers.joist.endpoint",
            Box::new(|block| {
                block.insert("endpoint".into(), json!("ftp://store"));
            }),
        ),
        (
            "initializers.joist.api_base_url",
            Box::new(|block| {
                block.insert("api_base_url".into(), json!("api/joist/"));
            }),
        ),
        (
            "initializers.joist.admin_base_url",
            Box::new(|block| {
                block.insert("admin_base_url".into(), json!("/admin/joist/"));
            }),
        ),
        (
            "initializers.joist.url_lifetime",
            Box::new(|block| {
                block.insert("url_lifetime".into(), json!(604_801));
            }),
        ),
        (
            "initializers.joist.dev_endpoint.enabled",
            Box::new(|block| {
                block.insert("endpoint".into(), json!("http://127.0.0.1:9000"));
                block.insert("dev_endpoint".into(), json!({"enabled": true}));
            }),
        ),
        (
            "initializers.joist.upload_prefix",
            Box::new(|block| {
                block.insert("upload_prefix".into(), json!("../up"));
            }),
        ),
        (
            "initializers.joist.trusted_proxies[1]",
            Box::new(|block| {
                block.insert(
                    "trusted_proxies".into(),
                    json!(["10.0.0.0/8", "192.168.0.0/33"]),
                );
            }),
        ),
        (
            "initializers.joist.credentials_profile",
            Box::new(|block| {
                block.insert(
                    "credentials".into(),
                    json!({"access_key_id": "a", "secret_access_key": "b"}),
                );
                block.insert("credentials_profile".into(), json!("uploads"));
            }),
        ),
        (
            "initializers.joist.credentials_profile",
            Box::new(|block| {
                block.insert("dev_endpoint".into(), json!({"enabled": true}));
                block.insert("credentials_profile".into(), json!("uploads"));
            }),
        ),
    ];
    for (key, change) in cases {
        let error = error_of(minimal(), change);
        assert!(error.starts_with(&format!("{key}:")), "{key}: {error}");
    }
}

#[test]
fn a_misspelt_key_is_refused() {
    let error = error_of(minimal(), |block| {
        block.insert("buckett".into(), json!("x"));
    });
    assert!(error.contains("unknown field `buckett`"), "{error}");
}

#[test]
fn empty_optional_settings_are_unset() {
    let mut block = minimal();
    for key in [
        "endpoint",
        "public_endpoint",
        "public_base_url",
        "sts_endpoint",
        "upload_sts_arn",
        "credentials_profile",
        "ca_file",
    ] {
        block[key] = json!("");
    }
    let config: JoistConfig = serde_json::from_value(block).unwrap();
    assert_eq!(
        [
            config.endpoint,
            config.public_endpoint,
            config.public_base_url,
            config.sts_endpoint,
            config.upload_sts_arn,
            config.credentials_profile,
            config.ca_file,
        ],
        [None, None, None, None, None, None, None]
    );
}

#[test]
fn checks_default_to_inspecting_inline_without_scanners() {
    let config: JoistConfig = serde_json::from_value(minimal()).unwrap();
    let checks = &config.checks;
    assert!(checks.inspect && !checks.quarantine && !checks.keep_rejected);
    assert_eq!(
        (
            checks.quarantine_prefix.as_str(),
            checks.clamd.as_deref(),
            checks.background_above
        ),
        ("quarantine/", None, 64 << 20)
    );
}

#[test]
fn bad_checks_name_their_key() {
    for (checks, key) in [
        (
            json!({"clamd": "127.0.0.1:3310"}),
            "initializers.joist.checks.clamd",
        ),
        (
            json!({"quarantine_prefix": "/q/"}),
            "initializers.joist.checks.quarantine_prefix",
        ),
        (
            json!({"quarantine_prefix": "uploads/"}),
            "initializers.joist.checks.quarantine_prefix",
        ),
        (
            json!({"scan_timeout": 0}),
            "initializers.joist.checks.scan_timeout",
        ),
        (
            json!({"check_lease": 0}),
            "initializers.joist.checks.check_lease",
        ),
    ] {
        let refused = error_of(minimal(), |block| {
            block.insert("upload_prefix".into(), json!("uploads/"));
            block.insert("checks".into(), checks.clone());
        });
        assert!(refused.starts_with(key), "{checks}: {refused}");
    }
    let unknown = error_of(minimal(), |block| {
        block.insert("checks".into(), json!({"quarantined": true}));
    });
    assert!(unknown.contains("unknown field `quarantined`"), "{unknown}");
}
