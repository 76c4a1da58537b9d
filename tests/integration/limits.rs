//! The abuse limits hold across app instances: they count in the database (or Redis), atomically.

use std::time::SystemTime;

use futures::future::join_all;
use joist::limits::RateLimiter;
use loco_rs::boot::StartMode;
use serde_json::json;
use uuid::Uuid;

use crate::support::{host::PRIVATE_DOC, jwt_for, post_as, request_with, service_missing};

const REDIS_URL: &str = "redis://127.0.0.1:6379/0";

#[tokio::test]
async fn two_hundred_concurrent_prepares_by_one_owner_get_exactly_the_cap() {
    request_with(
        |config| {
            let joist = crate::support::joist_block(config);
            joist["prepare_rate_limit"] = json!(0);
            joist["max_unfinished_uploads"] = json!(100);
        },
        StartMode::ServerOnly,
        |server, ctx| async move {
            let owner = format!("racer-{}", Uuid::new_v4().simple());
            let bearer = jwt_for(&ctx, &owner);
            let body = json!({"field": PRIVATE_DOC, "filename": "race.txt", "size": 5, "content_type": "text/plain"});
            let answers = join_all((0..200).map(|_| post_as(&server, "prepare", &body, Some(&bearer)))).await;
            let accepted = answers.iter().filter(|(status, _)| *status == 201).count();
            let capped = answers
                .iter()
                .filter(|(status, body)| {
                    *status == 429 && body["error"]["code"] == "too_many_unfinished_uploads"
                })
                .count();
            assert_eq!((accepted, capped), (100, 100), "{:?}", answers.iter().find(|(status, _)| ![201, 429].contains(status)));
            let recorded = joist::models::Upload::unfinished_count(&ctx.db, &owner).await.unwrap();
            assert_eq!(recorded, 100);
        },
    )
    .await;
}

/// Two limiters over one database (or one Redis) are two app instances: together they allow
/// the configured rate, not twice it.
async fn instances_share_the_rate(
    limiters: [RateLimiter; 2],
    db: &sea_orm::DatabaseConnection,
    label: &str,
) {
    let key = format!("owner:{}", Uuid::new_v4().simple());
    let now = SystemTime::now();
    let answers = join_all((0..60).map(|n| limiters[n % 2].check(db, &key, now))).await;
    let allowed = answers
        .iter()
        .filter(|answer| matches!(answer, Ok(Ok(()))))
        .count();
    assert_eq!(allowed, 25, "{label}: {answers:?}");
    let refused = answers
        .iter()
        .find_map(|answer| answer.as_ref().ok()?.err());
    assert!(refused.is_some_and(|wait| wait.as_secs() <= 60), "{label}");
    assert!(
        limiters[0]
            .check(db, "owner:someone-else", now)
            .await
            .unwrap()
            .is_ok(),
        "{label}: another key counts apart"
    );
}

#[tokio::test]
async fn instances_share_the_prepare_rate_in_the_database_and_in_redis() {
    request_with(
        |_| {},
        StartMode::ServerOnly,
        |_server, ctx| async move {
            instances_share_the_rate(
                [RateLimiter::in_database(25), RateLimiter::in_database(25)],
                &ctx.db,
                "database",
            )
            .await;
            let redis = redis::Client::open(REDIS_URL).unwrap();
            if let Err(error) = redis.get_multiplexed_async_connection().await {
                service_missing("Redis", &error.to_string());
                return;
            }
            let limiters = [
                RateLimiter::in_redis(25, REDIS_URL).unwrap(),
                RateLimiter::in_redis(25, REDIS_URL).unwrap(),
            ];
            instances_share_the_rate(limiters, &ctx.db, "redis").await;
        },
    )
    .await;
}
