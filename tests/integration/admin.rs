//! The admin pages: who gets in, finding uploads in a large list, what the detail shows, and the
//! actions against real stores.

use axum::http::request::Parts;
use axum_test::TestServer;
use chrono::Utc;
use joist::{
    Joist,
    admin::{AuthorizeAdmin, DevelopmentOnly},
    events::UploadEventKind,
    models::{
        _entities::joist_uploads::{Column, Entity},
        AdminActionRecord, Upload, UploadMode, UploadStatus,
        uploads::NewUpload,
    },
    s3::plan::UploadPlan,
    signing::{AdminActionClaims, Purpose},
};
use loco_rs::{
    app::AppContext,
    boot::StartMode,
    testing::selector::{assert_count, assert_css_eq, assert_css_exists},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use uuid::Uuid;

use crate::support::{
    bytes,
    handlers::seen,
    host::{ADMIN, ARCHIVE, GALLERY, PHOTO, PUBLIC_DOC},
    images::{encoded, halves, with_variants_made},
    jwt_for, post, prepare, put_part, request, request_with, stored,
    stores::stores,
    upload,
};

const BASE: &str = "/admin/joist";

/// A page as `pid` (anonymous with `None`): status, `Location` header and body.
async fn get_as(
    server: &TestServer,
    ctx: &AppContext,
    path: &str,
    pid: Option<&str>,
) -> (u16, String) {
    let mut request = server.get(path);
    if let Some(pid) = pid {
        request = request.authorization_bearer(jwt_for(ctx, pid));
    }
    let response = request.await;
    (response.status_code().as_u16(), response.text())
}

async fn get(server: &TestServer, ctx: &AppContext, path: &str) -> String {
    let (status, html) = get_as(server, ctx, path, Some(ADMIN)).await;
    assert_eq!(status, 200, "GET {path}: {html}");
    html
}

/// A form POST as `pid`: status, `Location` and body.
async fn post_form(
    server: &TestServer,
    ctx: &AppContext,
    path: &str,
    pid: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let response = server
        .post(path)
        .authorization_bearer(jwt_for(ctx, pid))
        .form(&form)
        .await;
    let location = response
        .maybe_header("location")
        .map(|value| value.to_str().unwrap().to_string());
    (response.status_code().as_u16(), location, response.text())
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(html);
    document
        .select(&scraper::Selector::parse(selector).unwrap())
        .map(|element| element.text().collect::<String>().trim().to_string())
        .collect()
}

fn attributes(html: &str, selector: &str, name: &str) -> Vec<String> {
    let document = scraper::Html::parse_document(html);
    document
        .select(&scraper::Selector::parse(selector).unwrap())
        .filter_map(|element| element.value().attr(name).map(ToString::to_string))
        .collect()
}

/// Snapshots the page's `<main>`, with ids, times, ports, signatures and tokens redacted.
fn assert_main_snapshot(name: &str, html: &str) {
    let main = loco_rs::testing::selector::select(html, "main").join("\n");
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[id]",
    );
    settings.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "[time]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "[store]");
    settings.add_filter(r"X-Amz-[A-Za-z]+=[^&\x22]+", "[amz]");
    settings.add_filter(
        r#"name="token" value="[^"]+""#,
        r#"name="token" value="[token]""#,
    );
    settings.add_filter(r"after=[A-Za-z0-9_-]+", "after=[cursor]");
    settings.bind(|| insta::assert_snapshot!(name, main));
}

/// Records an upload the way `prepare` does, then moves it to `status`.
async fn seed(
    ctx: &AppContext,
    field: &str,
    filename: &str,
    size: u64,
    owner: Option<&str>,
    status: UploadStatus,
) -> Upload {
    let id = Uuid::new_v4();
    let created = Upload::create(
        &ctx.db,
        NewUpload {
            id,
            field: field.to_string(),
            key: format!("seeded/{id}/{filename}"),
            filename: filename.to_string(),
            content_type: "application/octet-stream".to_string(),
            plan: UploadPlan::recorded(UploadMode::Single, size, size),
            s3_upload_id: None,
            owner: owner.map(ToString::to_string),
            checksum: None,
            landing_key: None,
            event: None,
        },
    )
    .await
    .unwrap();
    if status == UploadStatus::Prepared {
        return created;
    }
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .filter(Column::Id.eq(id))
        .exec(&ctx.db)
        .await
        .unwrap();
    Upload::find(&ctx.db, id).await.unwrap().unwrap()
}

fn request_parts() -> Parts {
    axum::http::Request::new(()).into_parts().0
}

#[tokio::test]
async fn only_admins_get_in() {
    request(|server, ctx| async move {
        let kept = seed(&ctx, ARCHIVE, "kept.bin", 10, None, UploadStatus::Finalized).await;
        let detail = format!("{BASE}/uploads/{}", kept.id);
        for path in [
            BASE.to_string(),
            detail.clone(),
            format!("{BASE}/confirm?action=delete&id={}", kept.id),
        ] {
            let (status, html) = get_as(&server, &ctx, &path, None).await;
            assert_eq!(status, 401, "anonymous {path}");
            assert_css_eq(&html, "p.error", "sign in to use the joist admin");
            let (status, html) = get_as(&server, &ctx, &path, Some("user-7")).await;
            assert_eq!(status, 403, "non-admin {path}");
            assert_css_eq(&html, "p.error", "your account may not use the joist admin");
        }
        // A confirmation made for the admin does nothing in another user's hands.
        let confirm = get(
            &server,
            &ctx,
            &format!("{BASE}/confirm?action=delete&id={}", kept.id),
        )
        .await;
        let token = attributes(&confirm, "input[name=token]", "value").remove(0);
        let (status, _, _) = post_form(
            &server,
            &ctx,
            &format!("{BASE}/perform"),
            "user-7",
            &[("token", &token)],
        )
        .await;
        assert_eq!(status, 403);
        assert!(
            Upload::find(&ctx.db, kept.id).await.unwrap().is_some(),
            "nothing deleted"
        );

        // The default authorizer opens the pages in development only (the tests run in `test`).
        let refused = DevelopmentOnly
            .authorize_admin(&ctx, &request_parts())
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("only in development"),
            "{refused}"
        );
    })
    .await;
}

#[tokio::test]
async fn confirmations_are_bound_to_their_admin_and_expire() {
    request(|server, ctx| async move {
        let joist = Joist::from_context(&ctx).unwrap();
        let kept = seed(&ctx, ARCHIVE, "kept.bin", 10, None, UploadStatus::Finalized).await;
        let claims = |admin: &str, expires_at: i64| AdminActionClaims {
            nonce: Uuid::new_v4(),
            action: "delete".into(),
            uploads: vec![kept.id],
            admin: admin.into(),
            expires_at,
        };
        let in_an_hour = Utc::now().timestamp() + 3600;
        let cases = [
            (
                joist
                    .signer()
                    .sign(Purpose::AdminAction, &claims("user-7", in_an_hour)),
                "made for another admin",
            ),
            (
                joist.signer().sign(
                    Purpose::AdminAction,
                    &claims(ADMIN, Utc::now().timestamp() - 1),
                ),
                "expired",
            ),
            (
                joist
                    .signer()
                    .sign(Purpose::UploadToken, &claims(ADMIN, in_an_hour)),
                "not valid",
            ),
            ("forged.token".to_string(), "not valid"),
            (String::new(), "not valid"),
        ];
        for (token, expected) in cases {
            let (status, _, html) = post_form(
                &server,
                &ctx,
                &format!("{BASE}/perform"),
                ADMIN,
                &[("token", &token)],
            )
            .await;
            assert_eq!(status, 403, "{expected}");
            assert!(texts(&html, "p.error")[0].contains(expected), "{html}");
        }
        assert!(
            Upload::find(&ctx.db, kept.id).await.unwrap().is_some(),
            "nothing deleted"
        );
    })
    .await;
}

/// 55 finalized archives of 1000 to 1054 bytes, every fifth by `owner-a`, and a failed 5 TiB
/// report from last year.
async fn seed_archives_and_a_report(ctx: &AppContext) {
    for n in 0..55_u64 {
        let owner = if n % 5 == 0 { Some("owner-a") } else { None };
        seed(
            ctx,
            ARCHIVE,
            &format!("archive-{n:02}.zip"),
            1000 + n,
            owner,
            UploadStatus::Finalized,
        )
        .await;
    }
    let old = seed(
        ctx,
        PUBLIC_DOC,
        "100%_report.pdf",
        5 << 40,
        Some("owner-b"),
        UploadStatus::Failed,
    )
    .await;
    let last_year = Utc::now().fixed_offset() - chrono::Duration::days(400);
    Entity::update_many()
        .col_expr(Column::CreatedAt, Expr::value(last_year))
        .filter(Column::Id.eq(old.id))
        .exec(&ctx.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn pages_through_a_filtered_list_by_keyset() {
    request(|server, ctx| async move {
        seed_archives_and_a_report(&ctx).await;
        // The archives, largest first, 50 a page: 1054 bytes down to 1005, then the last five.
        let first = get(
            &server,
            &ctx,
            &format!("{BASE}?field={ARCHIVE}&sort=largest"),
        )
        .await;
        let names = texts(&first, "td[data-label=File] a");
        assert_eq!(names.len(), 50);
        assert_eq!(names[0], "archive-54.zip");
        assert_eq!(names[49], "archive-05.zip");
        let next = attributes(&first, "a[rel=next]", "href").remove(0);
        assert!(
            next.contains("field=test.archive") && next.contains("sort=largest"),
            "{next}"
        );
        let second = get(&server, &ctx, &next).await;
        assert_eq!(
            texts(&second, "td[data-label=File] a"),
            [
                "archive-04.zip",
                "archive-03.zip",
                "archive-02.zip",
                "archive-01.zip",
                "archive-00.zip"
            ]
        );
        assert_count(&second, "a[rel=next]", 0);
        assert_css_exists(
            &second,
            "a[href='/admin/joist?field=test.archive&sort=largest']",
        );
    })
    .await;
}

#[tokio::test]
async fn finds_uploads_by_filename_status_owner_and_date() {
    request(|server, ctx| async move {
        seed_archives_and_a_report(&ctx).await;
        let search = |query: &str| {
            let server = &server;
            let ctx = &ctx;
            let path = format!("{BASE}?{query}");
            async move { texts(&get(server, ctx, &path).await, "td[data-label=File] a") }
        };
        assert_eq!(
            search("q=100%25_").await,
            ["100%_report.pdf"],
            "wildcards are literal"
        );
        assert_eq!(
            search("q=REPORT").await,
            ["100%_report.pdf"],
            "case-insensitive"
        );
        assert_eq!(search("status=failed").await, ["100%_report.pdf"]);
        assert_eq!(search("owner=owner-a&sort=smallest").await.len(), 11);
        assert_eq!(
            search("owner=owner-a&sort=smallest").await[0],
            "archive-00.zip"
        );
        let a_year_ago = (Utc::now() - chrono::Duration::days(365)).format("%Y-%m-%d");
        assert_eq!(
            search(&format!("to={a_year_ago}")).await,
            ["100%_report.pdf"]
        );
        assert_eq!(
            search(&format!("from={a_year_ago}&field={PUBLIC_DOC}"))
                .await
                .len(),
            0
        );

        for (query, message) in [
            ("status=lost", "status: `lost` is not an upload status"),
            ("sort=random", "sort: `random` is not an order"),
            (
                "from=yesterday",
                "from: expected a date like 2026-11-25, got `yesterday`",
            ),
            (
                "after=garbage",
                "the page cursor is not valid for this list; start again from the first page",
            ),
        ] {
            let (status, html) =
                get_as(&server, &ctx, &format!("{BASE}?{query}"), Some(ADMIN)).await;
            assert_eq!(status, 400, "{query}");
            assert_css_eq(&html, "p.error", message);
        }
    })
    .await;
}

#[tokio::test]
async fn escapes_what_users_typed_and_renders_the_pages() {
    request(|server, ctx| async move {
        let hostile = "<img src=x onerror=alert(1)>\"'.txt";
        let body = prepare(&server, PUBLIC_DOC, hostile, 11, "text/plain").await;
        // the detail page shows the prepared event's delivery, which the sweeper may make a
        // moment after prepare answered (seen on PostgreSQL: attempts 0 where 1 was expected)
        crate::support::events_settled(&ctx).await;
        let id = body["upload"].as_str().unwrap();
        seed(
            &ctx,
            ARCHIVE,
            "b.zip",
            3 << 20,
            Some("owner-b"),
            UploadStatus::Attached,
        )
        .await;

        let list = get(&server, &ctx, BASE).await;
        assert!(!list.contains("<img src=x"), "escaped in the list");
        let stored_name = Upload::find(&ctx.db, id.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .filename;
        assert!(texts(&list, "td[data-label=File] a").contains(&stored_name));
        let detail = get(&server, &ctx, &format!("{BASE}/uploads/{id}")).await;
        assert!(!detail.contains("<img src=x"), "escaped in the detail");
        assert_css_eq(&detail, "h1 .status", "prepared");
        assert_main_snapshot("admin_list", &list);
        assert_main_snapshot("admin_detail_prepared", &detail);

        let (status, html) = get_as(
            &server,
            &ctx,
            &format!("{BASE}/uploads/{}", Uuid::new_v4()),
            Some(ADMIN),
        )
        .await;
        assert_eq!(status, 404);
        assert_css_exists(&html, "p.error");
        let (status, _) = get_as(
            &server,
            &ctx,
            &format!("{BASE}/uploads/not-an-id"),
            Some(ADMIN),
        )
        .await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn the_detail_shows_the_file_its_events_and_the_stores_multipart_state() {
    request(|server, ctx| async move {
        let mut png = crate::content::png_header(32, 24);
        png.extend(bytes(2048, 3));
        let finalized = upload(&server, PHOTO, "cat.png", &png, "image/png").await;
        let id = finalized["upload"].as_str().unwrap();
        let detail = get(&server, &ctx, &format!("{BASE}/uploads/{id}")).await;
        let download = attributes(&detail, "a[download]", "href").remove(0);
        let fetched = reqwest::get(&download)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            fetched.as_ref(),
            png.as_slice(),
            "the download link serves the file"
        );
        assert_eq!(
            attributes(&detail, "img.preview", "src"),
            std::slice::from_ref(&download)
        );
        let metadata = texts(&detail, "pre").join("\n");
        assert!(
            metadata.contains(r#""detected_type": "image/png""#)
                && metadata.contains(r#""width": 32"#),
            "the metadata finalize recorded is shown: {metadata}"
        );
        assert_eq!(
            texts(&detail, "a.button"),
            ["Delete…", "Re-run finalize event…", "Download"]
        );

        // 11 MiB in 5 MiB parts, two of three uploaded: the store's view is on the page.
        let content = bytes(11 << 20, 9);
        let prepared = prepare(
            &server,
            ARCHIVE,
            "big.bin",
            content.len(),
            "application/zip",
        )
        .await;
        let token = prepared["token"].as_str().unwrap();
        crate::support::put_parts(&server, token, &[1, 2], &content, 5 << 20).await;
        let detail = get(
            &server,
            &ctx,
            &format!("{BASE}/uploads/{}", prepared["upload"].as_str().unwrap()),
        )
        .await;
        assert!(
            texts(&detail, "p").contains(&"2 of 3 parts uploaded (10 MiB).".to_string()),
            "{detail}"
        );
        assert_count(&detail, "td[data-label=Part]", 2);
        assert_count(&detail, "img.preview", 0);
        assert_eq!(texts(&detail, "a.button"), ["Delete…", "Abort upload…"]);
        assert_main_snapshot("admin_detail_multipart", &detail);
    })
    .await;
}

/// Confirms `action` on `ids` (GET for one, the list's POST for several) and performs it;
/// returns the confirmation token and the done page.
async fn confirm_and_perform(
    server: &TestServer,
    ctx: &AppContext,
    action: &str,
    ids: &[&str],
) -> (String, String) {
    let confirm = if let [id] = ids {
        get(
            server,
            ctx,
            &format!("{BASE}/confirm?action={action}&id={id}"),
        )
        .await
    } else {
        let mut form = vec![("action", action)];
        form.extend(ids.iter().map(|id| ("id", *id)));
        let (status, _, html) =
            post_form(server, ctx, &format!("{BASE}/confirm"), ADMIN, &form).await;
        assert_eq!(status, 200, "{html}");
        html
    };
    assert_count(&confirm, "td[data-label=File]", ids.len());
    let token = attributes(&confirm, "input[name=token]", "value").remove(0);
    let done = perform(server, ctx, &token).await;
    (token, done)
}

async fn perform(server: &TestServer, ctx: &AppContext, token: &str) -> String {
    let (status, location, body) = post_form(
        server,
        ctx,
        &format!("{BASE}/perform"),
        ADMIN,
        &[("token", token)],
    )
    .await;
    assert_eq!(status, 303, "{body}");
    get(server, ctx, &location.unwrap()).await
}

/// Delete: the object and the record go; a resubmitted form does nothing more.
async fn deletes_once(server: &TestServer, ctx: &AppContext, label: &str) {
    let file = upload(server, PUBLIC_DOC, "gone.txt", b"delete me", "text/plain").await;
    let id = file["upload"].as_str().unwrap();
    let key = Upload::find(&ctx.db, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .key;
    let (token, done) = confirm_and_perform(server, ctx, "delete", &[id]).await;
    assert_css_eq(
        &done,
        "td[data-label=Outcome]",
        "deleted the object and the record",
    );
    assert!(stored(ctx, &key).await.is_none(), "{label}: object deleted");
    assert!(
        Upload::find(&ctx.db, id.parse().unwrap())
            .await
            .unwrap()
            .is_none(),
        "{label}: record deleted"
    );
    let again = perform(server, ctx, &token).await;
    assert_count(&again, "td[data-label=Outcome]", 1);
}

/// Abort: the store drops the parts and the client can no longer upload; twice is once.
async fn aborts_once(server: &TestServer, ctx: &AppContext, label: &str) {
    let joist = Joist::from_context(ctx).unwrap();
    let prepared = prepare(server, ARCHIVE, "half.bin", 11 << 20, "application/zip").await;
    let upload_id = prepared["upload"].as_str().unwrap();
    let token = prepared["token"].as_str().unwrap();
    let (_, parts) = post(server, "parts", &json!({"token": token, "numbers": [1]})).await;
    assert_eq!(
        put_part(&parts["parts"][0], &bytes(5 << 20, 1)).await.0,
        200
    );
    let (abort_token, done) = confirm_and_perform(server, ctx, "abort", &[upload_id]).await;
    assert_css_eq(&done, "td[data-label=Outcome]", "aborted");
    let aborted = Upload::find(&ctx.db, upload_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(aborted.status, UploadStatus::Aborted, "{label}");
    let listed = joist
        .store()
        .list_parts(&aborted.key, aborted.s3_upload_id.as_deref().unwrap())
        .await;
    assert!(
        listed.is_err(),
        "{label}: the store forgot the multipart upload"
    );
    perform(server, ctx, &abort_token).await;
    let log = AdminActionRecord::for_upload(&ctx.db, aborted.id, 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{label}: one abort logged");
    assert_eq!(
        (log[0].admin.as_str(), log[0].outcome.as_str()),
        (ADMIN, "aborted")
    );
    let (status, _) = post(server, "parts", &json!({"token": token, "numbers": [2]})).await;
    assert_eq!(status, 409, "{label}: the client can no longer upload");
}

/// Re-run: the finalize handlers run again, once per confirmation.
async fn reruns_the_finalize_event_once(server: &TestServer, ctx: &AppContext, label: &str) {
    let kept = upload(server, PUBLIC_DOC, "kept.txt", b"keep me", "text/plain").await;
    let kept_id: Uuid = kept["upload"].as_str().unwrap().parse().unwrap();
    let finalize_events = || {
        seen(kept_id)
            .iter()
            .filter(|event| event.kind == UploadEventKind::Finalized)
            .count()
    };
    // The suite's sweeper may deliver an event a moment after the call that raised it answered.
    let delivered = |count: usize| async move {
        for _ in 0..300 {
            if finalize_events() >= count {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        finalize_events()
    };
    assert_eq!(delivered(1).await, 1, "{label}: the upload's own event");
    let (rerun_token, done) =
        confirm_and_perform(server, ctx, "rerun_finalize", &[&kept_id.to_string()]).await;
    assert_css_eq(&done, "td[data-label=Outcome]", "finalize event raised");
    assert_eq!(delivered(2).await, 2, "{label}");
    perform(server, ctx, &rerun_token).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(finalize_events(), 2, "{label}: a resubmission runs nothing");
}

/// Variants: the detail lists them with their sizes; regenerating remakes them; deleting the
/// upload deletes them.
async fn lists_regenerates_and_deletes_variants(
    server: &TestServer,
    ctx: &AppContext,
    label: &str,
) {
    let png = encoded(&halves(90, 60), image::ImageFormat::Png);
    let file = upload(server, GALLERY, "shown.png", &png, "image/png").await;
    let id = file["upload"].as_str().unwrap();
    let key = file["key"].as_str().unwrap();
    with_variants_made(ctx, key).await;
    let html = get(server, ctx, &format!("{BASE}/uploads/{id}")).await;
    assert_eq!(
        texts(&html, "td[data-label=Variant]"),
        ["jpeg", "square", "thumb"],
        "{label}"
    );
    assert_eq!(
        texts(&html, "td[data-label=Size]"),
        ["90 × 60", "32 × 32", "64 × 43"],
        "{label}"
    );
    assert_eq!(
        texts(&html, "td[data-label=Type]"),
        ["image/jpeg", "image/png", "image/webp"],
        "{label}"
    );
    assert_css_exists(&html, "a[href*='action=regenerate_variants']");

    let thumb = joist::variants::key(key, "thumb");
    Joist::from_context(ctx)
        .unwrap()
        .store()
        .delete(&thumb)
        .await
        .unwrap();
    let (_, done) = confirm_and_perform(server, ctx, "regenerate_variants", &[id]).await;
    assert_css_eq(
        &done,
        "td[data-label=Outcome]",
        "regenerated: jpeg 90 × 60; square 32 × 32; thumb 64 × 43",
    );
    assert!(stored(ctx, &thumb).await.is_some(), "{label}: remade");

    confirm_and_perform(server, ctx, "delete", &[id]).await;
    for name in ["thumb", "square", "jpeg"] {
        let variant = joist::variants::key(key, name);
        assert!(
            stored(ctx, &variant).await.is_none(),
            "{label}: {name} deleted too"
        );
    }
}

/// Bulk delete from the list, an attached file among them; the rest stays.
async fn bulk_deletes_an_attached_file_among_others(
    server: &TestServer,
    ctx: &AppContext,
    label: &str,
) {
    let a = upload(server, PUBLIC_DOC, "a.txt", b"aaa", "text/plain").await;
    let b = upload(server, PUBLIC_DOC, "b.txt", b"bbb", "text/plain").await;
    let ids = [a["upload"].as_str().unwrap(), b["upload"].as_str().unwrap()];
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(UploadStatus::Attached))
        .filter(Column::Id.eq(ids[0].parse::<Uuid>().unwrap()))
        .exec(&ctx.db)
        .await
        .unwrap();
    let mut keys = Vec::new();
    for id in ids {
        keys.push(
            Upload::find(&ctx.db, id.parse().unwrap())
                .await
                .unwrap()
                .unwrap()
                .key,
        );
    }
    let (_, done) = confirm_and_perform(server, ctx, "delete", &ids).await;
    assert_eq!(
        texts(&done, "td[data-label=Outcome]"),
        ["deleted the object and the record"; 2]
    );
    for key in keys {
        assert!(stored(ctx, &key).await.is_none(), "{label}: {key} deleted");
    }
}

#[tokio::test]
async fn actions_delete_abort_and_repair_uploads_in_real_stores_once_each() {
    for store in stores() {
        let prefix = format!("admin-{}/", Uuid::new_v4().simple());
        request_with(
            |config| store.configure(config, &prefix),
            StartMode::ServerOnly,
            |server, ctx| async move {
                let kept = upload(&server, PUBLIC_DOC, "kept.txt", b"keep me", "text/plain").await;
                let kept_key =
                    Upload::find(&ctx.db, kept["upload"].as_str().unwrap().parse().unwrap())
                        .await
                        .unwrap()
                        .unwrap()
                        .key;
                deletes_once(&server, &ctx, store.name).await;
                aborts_once(&server, &ctx, store.name).await;
                reruns_the_finalize_event_once(&server, &ctx, store.name).await;
                bulk_deletes_an_attached_file_among_others(&server, &ctx, store.name).await;
                lists_regenerates_and_deletes_variants(&server, &ctx, store.name).await;
                assert!(
                    stored(&ctx, &kept_key).await.is_some(),
                    "{}: the rest untouched",
                    store.name
                );
            },
        )
        .await;
    }
}

#[tokio::test]
async fn confirming_asks_before_deleting_an_attached_file() {
    request(|server, ctx| async move {
        let attached = seed(
            &ctx,
            ARCHIVE,
            "linked.zip",
            10,
            None,
            UploadStatus::Attached,
        )
        .await;
        let confirm = get(
            &server,
            &ctx,
            &format!("{BASE}/confirm?action=delete&id={}", attached.id),
        )
        .await;
        assert_css_eq(&confirm, "h1", "Delete: 1 upload?");
        assert!(texts(&confirm, "p.notice")[0].contains("1 of them is attached to a record"));
        assert_main_snapshot("admin_confirm_delete", &confirm);
        let abort = get(
            &server,
            &ctx,
            &format!("{BASE}/confirm?action=abort&id={}", attached.id),
        )
        .await;
        assert!(
            texts(&abort, "p.notice")[0].contains("will be left alone"),
            "{abort}"
        );
        let (status, _, html) = post_form(
            &server,
            &ctx,
            &format!("{BASE}/confirm"),
            ADMIN,
            &[("action", "delete")],
        )
        .await;
        assert_eq!(status, 400);
        assert_css_eq(&html, "p.error", "select at least one upload");
        let (status, _) = get_as(
            &server,
            &ctx,
            &format!("{BASE}/confirm?action=explode&id={}", attached.id),
            Some(ADMIN),
        )
        .await;
        assert_eq!(status, 400);
        assert!(
            Upload::find(&ctx.db, attached.id).await.unwrap().is_some(),
            "confirming changes nothing"
        );
    })
    .await;
}
