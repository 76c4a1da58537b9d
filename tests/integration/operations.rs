//! The operations side: the doctor's probes and the CORS rule, against real stores.

use insta::{assert_json_snapshot, assert_snapshot};
use joist::{Joist, doctor};
use loco_rs::boot::StartMode;
use serde_json::json;
use uuid::Uuid;

use crate::support::{request_with, stores::stores};

const ORIGIN: &str = "http://localhost:5150";

fn report(joist: &Joist, probes: &[doctor::Probe]) -> String {
    let text = probes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let access_key = joist
        .store()
        .connection()
        .credentials
        .cached()
        .map(|current| current.credentials.access_key_id)
        .unwrap_or_default();
    text.replace(joist.store().bucket(), "[bucket]")
        .replace(&format!("`{access_key}`"), "`[access key]`")
}

/// Not on MiniStack: it does not keep a CORS rule the Rust SDK puts (one botocore puts works),
/// so `joist:cors apply:true` cannot set it up there yet.
#[tokio::test]
async fn the_doctor_passes_on_a_store_set_up_for_browsers() {
    for store in stores()
        .into_iter()
        .filter(|store| store.name != "ministack")
    {
        let prefix = format!("doctor-{}/", Uuid::new_v4().simple());
        request_with(
            |config| store.configure(config, &prefix),
            StartMode::ServerOnly,
            |_server, ctx| async move {
                let joist = Joist::from_context(&ctx).unwrap();
                if store.name == "garage" {
                    let store = joist.store();
                    store
                        .client()
                        .delete_bucket_cors()
                        .bucket(store.bucket())
                        .send()
                        .await
                        .unwrap();
                    let before = doctor::run(&joist, &[ORIGIN.to_string()]).await;
                    assert!(!doctor::healthy(&before), "no CORS rule yet");
                    assert_snapshot!("doctor_without_cors_rule", report(&joist, &before));
                    joist
                        .store()
                        .apply_cors(&[ORIGIN.to_string()])
                        .await
                        .unwrap();
                }
                let probes = doctor::run(&joist, &[ORIGIN.to_string()]).await;
                assert!(
                    doctor::healthy(&probes),
                    "{}:\n{}",
                    store.name,
                    report(&joist, &probes)
                );
                assert_snapshot!("doctor_healthy", report(&joist, &probes));
            },
        )
        .await;
    }
}

/// On a real store (the development endpoint makes the bucket it is given).
#[tokio::test]
async fn the_doctor_names_a_missing_bucket_and_refused_credentials() {
    for store in stores()
        .into_iter()
        .filter(|store| store.name != "embedded")
    {
        let prefix = format!("doctor-{}/", Uuid::new_v4().simple());
        let missing_bucket = |config: &mut loco_rs::config::Config| {
            store.configure(config, &prefix);
            crate::support::joist_block(config)["bucket"] = json!("no-such-bucket");
        };
        request_with(
            missing_bucket,
            StartMode::ServerOnly,
            |_server, ctx| async move {
                let joist = Joist::from_context(&ctx).unwrap();
                let probes = doctor::run(&joist, &[ORIGIN.to_string()]).await;
                assert_snapshot!("doctor_missing_bucket", report(&joist, &probes));
            },
        )
        .await;
        // MiniStack does not check header signatures made with its root key.
        if store.name != "ministack" {
            let wrong_secret = |config: &mut loco_rs::config::Config| {
                store.configure(config, &prefix);
                let joist = crate::support::joist_block(config);
                joist["credentials"]["secret_access_key"] = json!("0".repeat(64));
            };
            request_with(
                wrong_secret,
                StartMode::ServerOnly,
                |_server, ctx| async move {
                    let joist = Joist::from_context(&ctx).unwrap();
                    let probes = doctor::run(&joist, &[ORIGIN.to_string()]).await;
                    assert_snapshot!("doctor_refused_credentials", report(&joist, &probes));
                },
            )
            .await;
        }
    }
}

#[test]
fn the_cors_rule_exposes_etag_and_allows_only_what_joist_needs() {
    assert_json_snapshot!(joist::s3::cors::rule_json(&[
        ORIGIN.to_string(),
        "https://app.example".to_string()
    ]));
}
