//! Upload events reach the host's handlers once their state change is committed; failing
//! handlers are retried with backoff; delivery works through every queue backend.

use std::time::Duration;

use joist::{
    events::{UploadEventKind, outbox},
    models::{Upload, UploadStatus},
};
use loco_rs::boot::StartMode;
use serde_json::json;
use uuid::Uuid;

use crate::support::{
    Fresh,
    handlers::{Seen, seen},
    host::{BROKEN, FLAKY, PUBLIC_DOC},
    post, prepare, put_part, request, request_with, service_missing, upload,
};

fn id(body: &serde_json::Value) -> Uuid {
    body["upload"].as_str().unwrap().parse().unwrap()
}

fn event(kind: UploadEventKind, status_in_database: UploadStatus) -> Seen {
    Seen {
        kind,
        status_in_database,
    }
}

#[tokio::test]
async fn prepared_and_finalized_events_see_their_committed_state() {
    request(|server, _ctx| async move {
        let prepared = prepare(&server, PUBLIC_DOC, "e.txt", 2, "text/plain").await;
        assert_eq!(
            seen(id(&prepared)),
            [event(UploadEventKind::Prepared, UploadStatus::Prepared)]
        );
        put_part(&prepared["parts"][0], b"ok").await;
        let (status, _) = post(&server, "finalize", &json!({"token": prepared["token"]})).await;
        assert_eq!(status, 200);
        let (status, _) = post(&server, "finalize", &json!({"token": prepared["token"]})).await;
        assert_eq!(status, 200);
        assert_eq!(
            seen(id(&prepared)),
            [
                event(UploadEventKind::Prepared, UploadStatus::Prepared),
                event(UploadEventKind::Finalized, UploadStatus::Finalized),
            ],
            "a repeated finalize raises nothing"
        );

        let aborted = prepare(&server, PUBLIC_DOC, "a.txt", 2, "text/plain").await;
        post(&server, "abort", &json!({"token": aborted["token"]})).await;
        post(&server, "abort", &json!({"token": aborted["token"]})).await;
        assert_eq!(
            seen(id(&aborted)),
            [
                event(UploadEventKind::Prepared, UploadStatus::Prepared),
                event(UploadEventKind::Finalized, UploadStatus::Aborted),
            ]
        );
    })
    .await;
}

/// Waits (the sweeper delivers retries) until every event of `upload` settled; answers the
/// upload's record and its events' final statuses.
async fn settled(ctx: &loco_rs::app::AppContext, upload: Uuid) -> (Upload, Vec<(String, i32)>) {
    for _ in 0..500 {
        let events = outbox::of_upload(&ctx.db, upload).await.unwrap();
        if events.iter().all(|event| event.status != outbox::PENDING) {
            let record = Upload::find(&ctx.db, upload).await.unwrap().unwrap();
            return (
                record,
                events
                    .into_iter()
                    .map(|event| (event.status, event.attempts))
                    .collect(),
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the events of {upload} did not settle");
}

#[tokio::test]
async fn a_failing_handler_is_retried_then_succeeds_and_attempts_are_recorded() {
    request(|server, ctx| async move {
        let finalized = upload(&server, FLAKY, "scan.txt", b"scan me", "text/plain").await;
        let (record, events) = settled(&ctx, id(&finalized)).await;
        // the recorder on prepare and on finalize, then the flaky handler: two failures and a success
        assert_eq!((record.event_attempts, record.event_error), (2 + 3, None));
        assert_eq!(
            events,
            [("delivered".to_string(), 1), ("delivered".to_string(), 3)],
            "prepared at once; finalized on the third delivery, the recorder not run again"
        );
        let finalized_seen = seen(id(&finalized))
            .iter()
            .filter(|event| event.kind == UploadEventKind::Finalized)
            .count();
        assert_eq!(
            finalized_seen, 1,
            "a retry runs only the handlers that failed"
        );
    })
    .await;
}

#[tokio::test]
async fn a_handler_that_keeps_failing_gives_up_with_its_error_recorded_and_the_upload_intact() {
    request(|server, ctx| async move {
        let finalized = upload(&server, BROKEN, "never.txt", b"never", "text/plain").await;
        let (record, events) = settled(&ctx, id(&finalized)).await;
        assert_eq!(
            events[1],
            ("failed".to_string(), 4),
            "1 delivery + 3 retries"
        );
        assert_eq!(record.status, UploadStatus::Finalized);
        assert_eq!(
            record.event_attempts,
            2 + 4,
            "the recorder twice, the broken handler 1 + 3 retries"
        );
        assert_eq!(
            record.event_error.as_deref(),
            Some("scan service unavailable (failure 4)")
        );
    })
    .await;
}

async fn queue_config(kind: &str) -> Option<(serde_json::Value, Option<Fresh>)> {
    match kind {
        "Sqlite" => {
            let path = std::env::temp_dir()
                .join(format!("joist-queue-{}.sqlite", Uuid::new_v4().simple()));
            Some((
                json!({"kind": "Sqlite", "uri": format!("sqlite://{}?mode=rwc", path.display()), "dangerously_flush": true}),
                None,
            ))
        }
        "Postgres" => {
            let url = std::env::var("JOIST_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            if let Err(error) = sea_orm::Database::connect(&url).await {
                service_missing("PostgreSQL", &error.to_string());
                return None;
            }
            let (fresh, uri) = Fresh::create(&url).await;
            Some((
                json!({"kind": "Postgres", "uri": uri, "dangerously_flush": true}),
                Some(fresh),
            ))
        }
        _ => {
            let uri = std::env::var("JOIST_TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
            if std::net::TcpStream::connect(uri.trim_start_matches("redis://")).is_err() {
                service_missing("Redis", &format!("nothing listens at {uri}"));
                return None;
            }
            let queue = format!("joist_events_{}", Uuid::new_v4().simple());
            Some((
                json!({"kind": "Redis", "uri": uri, "queues": [queue], "dangerously_flush": false}),
                None,
            ))
        }
    }
}

#[tokio::test]
async fn events_travel_through_the_sqlite_postgres_and_redis_queues() {
    for kind in ["Sqlite", "Postgres", "Redis"] {
        let Some((queue, fresh)) = queue_config(kind).await else {
            continue;
        };
        request_with(
            |config| {
                config.workers.mode = loco_rs::config::WorkerMode::BackgroundQueue;
                config.queue = Some(serde_json::from_value(queue).unwrap());
            },
            StartMode::ServerAndWorker,
            |server, ctx| async move {
                let queue = ctx.queue_provider.clone().expect("a queue");
                let worker = tokio::spawn({
                    let queue = queue.clone();
                    async move { queue.run(Vec::new()).await }
                });
                let prepared = prepare(&server, PUBLIC_DOC, "queued.txt", 1, "text/plain").await;
                let upload = id(&prepared);
                for _ in 0..200 {
                    if !seen(upload).is_empty() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                queue.shutdown().unwrap();
                worker.abort();
                assert_eq!(
                    seen(upload),
                    [event(UploadEventKind::Prepared, UploadStatus::Prepared)],
                    "{kind} queue"
                );
            },
        )
        .await;
        if let Some(fresh) = fresh {
            fresh.remove().await;
        }
    }
}

/// A crash between the state change's commit and the enqueue leaves a recorded event with no
/// job: the sweeper delivers it.
#[tokio::test]
async fn an_event_recorded_but_never_enqueued_is_delivered_by_the_sweeper() {
    request(|server, ctx| async move {
        let finalized = upload(&server, PUBLIC_DOC, "lost.txt", b"lost job", "text/plain").await;
        let upload_id = id(&finalized);
        // the suite's sweeper may have claimed the finalize event first and still be delivering it
        settled(&ctx, upload_id).await;
        let before = seen(upload_id).len();
        outbox::record(&ctx.db, upload_id, UploadEventKind::Finalized)
            .await
            .unwrap();
        let (_, events) = settled(&ctx, upload_id).await;
        assert_eq!(events.last(), Some(&("delivered".to_string(), 1)));
        assert_eq!(seen(upload_id).len(), before + 1, "the handler ran for it");
    })
    .await;
}
