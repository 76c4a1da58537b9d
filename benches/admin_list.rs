//! The admin list's page time on a table of a million uploads.
//!
//! ```sh
//! cargo bench -p joist --bench admin_list                        # SQLite (target/joist-bench.sqlite)
//! JOIST_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/joist_bench \
//!   cargo bench -p joist --bench admin_list                      # PostgreSQL (the database must exist)
//! ```
//!
//! The first run seeds `JOIST_BENCH_ROWS` uploads (default 1,000,000), spread over a year, four
//! fields, seven statuses and a thousand owners; later runs reuse them.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use joist::models::{
    _entities::joist_uploads::{ActiveModel, Entity},
    Upload, UploadMode, UploadStatus,
    listing::{Cursor, Listing, Sort},
};
use sea_orm::{
    ActiveValue::Set, Database, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder,
    QuerySelect, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use uuid::Uuid;

const FIELDS: [&str; 4] = [
    "car.owners_manual",
    "photo.image",
    "user.avatar",
    "invoice.pdf",
];
const PAGE: u64 = 50;
const BATCH: u64 = 1000;

struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        joist_migration::migrations()
    }
}

fn row(n: u64) -> ActiveModel {
    let start = Utc.with_ymd_and_hms(2025, 11, 25, 0, 0, 0).unwrap();
    // Spread over a year, not in insertion order.
    let created =
        start + chrono::Duration::seconds(i64::try_from((n * 7919) % 31_536_000).unwrap());
    let status = match n % 20 {
        0 => UploadStatus::Failed,
        1 => UploadStatus::Aborted,
        2 => UploadStatus::Prepared,
        3 => UploadStatus::Uploading,
        4..=9 => UploadStatus::Finalized,
        10 => UploadStatus::Deleted,
        _ => UploadStatus::Attached,
    };
    let id = Uuid::new_v4();
    let filename = format!(
        "file-{n}.{}",
        ["pdf", "png", "jpg", "zip"][usize::try_from(n % 4).unwrap()]
    );
    ActiveModel {
        id: Set(id),
        field: Set(FIELDS[usize::try_from(n % 4).unwrap()].to_string()),
        key: Set(format!("bench/{id}/{filename}")),
        filename: Set(filename),
        content_type: Set("application/octet-stream".to_string()),
        size: Set(i64::try_from((n * 104_729) % (5 << 30)).unwrap()),
        status: Set(status),
        mode: Set(UploadMode::Single),
        part_size: Set(16 << 20),
        s3_upload_id: Set(None),
        etag: Set(None),
        checksum: Set(None),
        owner: Set((!n.is_multiple_of(7)).then(|| format!("user-{}", n % 1000))),
        error: Set(None),
        created_at: Set(created.fixed_offset()),
        updated_at: Set(created.fixed_offset()),
        finalized_at: Set(None),
        attached_at: Set(None),
        event_attempts: Set(0),
        event_error: Set(None),
        metadata: Set(None),
        landing_key: Set(None),
    }
}

async fn seeded() -> DatabaseConnection {
    let url = std::env::var("JOIST_BENCH_DATABASE_URL").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
        format!("sqlite://{target}/joist-bench.sqlite?mode=rwc")
    });
    let rows: u64 = std::env::var("JOIST_BENCH_ROWS")
        .map_or(1_000_000, |rows| rows.parse().expect("a row count"));
    let db = Database::connect(&url).await.expect("the bench database");
    Migrator::up(&db, None).await.expect("migrations");
    let have = Entity::find().count(&db).await.expect("count");
    let mut n = have;
    while n < rows {
        let txn = db.begin().await.expect("a transaction");
        for _ in 0..10 {
            let batch: Vec<_> = (n..(n + BATCH).min(rows)).map(row).collect();
            if batch.is_empty() {
                break;
            }
            n += batch.len() as u64;
            Entity::insert_many(batch)
                .exec_without_returning(&txn)
                .await
                .expect("insert");
        }
        txn.commit().await.expect("commit");
    }
    if url.starts_with("postgres") {
        sea_orm::ConnectionTrait::execute_unprepared(&db, "ANALYZE joist_uploads")
            .await
            .expect("analyze");
    } else {
        sea_orm::ConnectionTrait::execute_unprepared(&db, "ANALYZE")
            .await
            .expect("analyze");
    }
    db
}

/// The upload `offset` rows into the table in `sort` order, to page after.
async fn upload_at(db: &DatabaseConnection, offset: u64) -> Upload {
    Entity::find()
        .order_by_desc(joist::models::_entities::joist_uploads::Column::CreatedAt)
        .order_by_desc(joist::models::_entities::joist_uploads::Column::Id)
        .offset(offset)
        .one(db)
        .await
        .expect("query")
        .expect("a row that deep")
}

fn admin_list(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let db = runtime.block_on(seeded());
    let deep = runtime.block_on(upload_at(
        &db,
        500_000.min(runtime.block_on(Entity::find().count(&db)).unwrap() / 2),
    ));
    let week = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .unwrap()
        .fixed_offset();
    let cases = [
        ("first page, newest first", Listing::default()),
        (
            "page after 500,000 rows, newest first",
            Listing {
                after: Some(Cursor::after(&deep, Sort::NewestFirst)),
                ..Listing::default()
            },
        ),
        (
            "status = failed",
            Listing {
                status: Some(UploadStatus::Failed),
                ..Listing::default()
            },
        ),
        (
            "field + owner",
            Listing {
                field: Some(FIELDS[1].into()),
                owner: Some("user-401".into()),
                ..Listing::default()
            },
        ),
        (
            "largest first",
            Listing {
                sort: Sort::LargestFirst,
                ..Listing::default()
            },
        ),
        (
            "one week, oldest first",
            Listing {
                created_from: Some(week),
                created_before: Some(week + chrono::Duration::days(7)),
                sort: Sort::OldestFirst,
                ..Listing::default()
            },
        ),
        (
            "filename contains a common word",
            Listing {
                filename: Some(".png".into()),
                ..Listing::default()
            },
        ),
        (
            "filename contains a rare word",
            Listing {
                filename: Some("file-123456.".into()),
                ..Listing::default()
            },
        ),
    ];
    let mut group = c.benchmark_group("admin_list");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for (name, listing) in cases {
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| async { listing.page(&db, PAGE).await.expect("a page") });
        });
    }
    group.finish();
}

criterion_group!(benches, admin_list);
criterion_main!(benches);
