//! Finalize checks what was really uploaded, on every store: the real type against the declared
//! and accepted ones, image dimensions against the field's limits; a refused file is recorded as
//! `rejected`, deleted, and gets no field value. And a presigned single PUT cannot replace the
//! object once it was checked.

use axum_test::TestServer;
use base64::{Engine as _, engine::general_purpose::STANDARD};
use joist::models::{Upload, UploadStatus};
use loco_rs::{app::AppContext, boot::StartMode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::support::{
    host::{PHOTO, PICTURE, PUBLIC_DOC, RAW},
    post, prepare, put_part, request_with, stored,
    stores::stores,
};

/// A PNG header claiming `width` × `height` pixels; its pixel data is a stub nothing decodes.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png.extend_from_slice(b"\x08\x02\0\0\0\0\0\0\0\0\0\0\0IEND\xaeB`\x82");
    png
}

/// Uploads `content` in one PUT and finalizes: the prepared upload, the PUT's status, and the
/// finalize answer.
async fn put_and_finalize(
    server: &TestServer,
    field: &str,
    (filename, content_type): (&str, &str),
    content: &[u8],
) -> (Value, u16, (u16, Value)) {
    let prepared = prepare(server, field, filename, content.len(), content_type).await;
    let (put, _) = put_part(&prepared["parts"][0], content).await;
    let finalized = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    (prepared, put, finalized)
}

/// Asserts the refusal `code`, then that the upload is recorded rejected and its object is gone.
async fn assert_rejected(
    ctx: &AppContext,
    (prepared, finalized): (&Value, &(u16, Value)),
    code: &str,
    store: &str,
) {
    let (status, body) = finalized;
    assert_eq!(
        (*status, body["error"]["code"].as_str()),
        (422, Some(code)),
        "{store}: {body}"
    );
    assert!(body.get("field_value").is_none(), "{store}");
    let id = Uuid::parse_str(prepared["upload"].as_str().unwrap()).unwrap();
    let upload = Upload::find(&ctx.db, id).await.unwrap().unwrap();
    assert_eq!(upload.status, UploadStatus::Rejected, "{store}");
    assert!(upload.error.is_some(), "{store}: the reason is recorded");
    assert_eq!(
        stored(ctx, &upload.key).await,
        None,
        "{store}: the object was deleted"
    );
}

async fn lying_types_are_refused(server: &TestServer, ctx: &AppContext, store: &str) {
    let html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>";
    let (prepared, _, finalized) =
        put_and_finalize(server, PHOTO, ("cat.png", "image/png"), html).await;
    assert_rejected(ctx, (&prepared, &finalized), "content_mismatch", store).await;
    assert_eq!(
        finalized.1["error"]["details"],
        json!({"declared": "image/png", "detected": "text/html"}),
        "{store}"
    );
    // A second finalize answers the same state: closed, still no value.
    let (status, again) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("upload_closed")),
        "{store}"
    );

    let executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00this is not a pdf";
    let (prepared, _, finalized) = put_and_finalize(
        server,
        PUBLIC_DOC,
        ("manual.pdf", "application/pdf"),
        executable,
    )
    .await;
    assert_rejected(ctx, (&prepared, &finalized), "content_mismatch", store).await;

    let binary = [0u8, 159, 146, 150, 1, 2, 3];
    let (prepared, _, finalized) =
        put_and_finalize(server, PUBLIC_DOC, ("notes.txt", "text/plain"), &binary).await;
    assert_rejected(ctx, (&prepared, &finalized), "content_mismatch", store).await;
}

async fn true_types_pass_with_their_metadata(server: &TestServer, ctx: &AppContext, store: &str) {
    let text = "name,price\nvélo,300\n".as_bytes();
    let (_, _, (status, body)) =
        put_and_finalize(server, PUBLIC_DOC, ("notes.txt", "text/plain"), text).await;
    assert_eq!(status, 200, "{store}: {body}");
    assert_eq!(
        body["metadata"],
        json!({"detected_type": "text/plain"}),
        "{store}"
    );

    let png = png_header(640, 480);
    let (_, _, (status, body)) =
        put_and_finalize(server, PICTURE, ("a.png", "image/png"), &png).await;
    assert_eq!(status, 200, "{store}: {body}");
    assert_eq!(
        body["metadata"],
        json!({"detected_type": "image/png", "width": 640, "height": 480, "orientation": null}),
        "{store}"
    );
    let upload = Upload::find_by_key(&ctx.db, body["key"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        upload.metadata.unwrap()["width"],
        640,
        "{store}: on the record"
    );

    // A field that skips inspection takes the declared type on trust and reads nothing.
    let (_, _, (status, body)) =
        put_and_finalize(server, RAW, ("raw.png", "image/png"), b"not a png at all").await;
    assert_eq!(
        (status, &body["metadata"]),
        (200, &json!({})),
        "{store}: {body}"
    );
}

async fn image_limits_are_enforced(server: &TestServer, ctx: &AppContext, store: &str) {
    for (width, height, limit) in [
        (20_000, 20_000, "max_pixels"),
        (9000, 100, "max_width"),
        (1, 50, "min_width"),
    ] {
        let png = png_header(width, height);
        let (prepared, _, finalized) =
            put_and_finalize(server, PICTURE, ("big.png", "image/png"), &png).await;
        assert_rejected(ctx, (&prepared, &finalized), "image_dimensions", store).await;
        assert_eq!(
            finalized.1["error"]["details"]["limit"], limit,
            "{store}: {}",
            finalized.1
        );
    }
    // A PNG cut before its size: the limits cannot be checked, so it is refused.
    let cut = &png_header(10, 10)[..14];
    let (prepared, _, finalized) =
        put_and_finalize(server, PICTURE, ("cut.png", "image/png"), cut).await;
    assert_rejected(ctx, (&prepared, &finalized), "unreadable_image", store).await;
}

/// Stores that ignore a signed `If-None-Match: *` on PUT (measured): there only the checksum
/// signed into the URL keeps a replay from replacing the object.
const IGNORES_IF_NONE_MATCH: [&str; 1] = ["garage"];

/// Uploads `original` in one PUT (with its checksum, or not), finalizes, then PUTs other bytes of
/// the same length to the same URL: answers whether the store refused the replay and whether it
/// still holds `original`.
async fn replay(
    server: &TestServer,
    ctx: &AppContext,
    store: &str,
    checksum: bool,
) -> (bool, bool) {
    let original = b"%PDF-1.7 the checked manual, 42 bytes long";
    let mut body = json!({"field": PUBLIC_DOC, "filename": "manual.pdf", "size": original.len(), "content_type": "application/pdf"});
    if checksum {
        body["checksum"] = json!(STANDARD.encode(Sha256::digest(original)));
    }
    let (status, prepared) = post(server, "prepare", &body).await;
    assert_eq!(status, 201, "{store}: {prepared}");
    let part = &prepared["parts"][0];
    assert_eq!(part["headers"]["if-none-match"], "*", "{store}");
    assert_eq!(
        part["headers"].get("x-amz-checksum-sha256").is_some(),
        checksum,
        "{store}"
    );
    assert_eq!(put_part(part, original).await.0, 200, "{store}");
    let (status, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    assert_eq!(status, 200, "{store}: {finalized}");
    let mut replayed = original.to_vec();
    replayed[20..30].copy_from_slice(b"<script>x<");
    let (status, _) = put_part(part, &replayed).await;
    let held = stored(ctx, finalized["key"].as_str().unwrap()).await;
    (
        (400..500).contains(&status),
        held.as_deref() == Some(&original[..]),
    )
}

async fn a_presigned_put_cannot_replace_a_checked_object(
    server: &TestServer,
    ctx: &AppContext,
    store: &str,
) {
    assert_eq!(
        replay(server, ctx, store, true).await,
        (true, true),
        "{store}: a PUT of other bytes to a checksummed URL is refused"
    );
    let honoured = !IGNORES_IF_NONE_MATCH.contains(&store);
    assert_eq!(
        replay(server, ctx, store, false).await,
        (honoured, honoured),
        "{store}: If-None-Match is honoured (or ignored) as measured"
    );
}

#[tokio::test]
async fn require_checksum_refuses_a_single_upload_without_one() {
    request_with(
        |config| crate::support::joist_block(config)["require_checksum"] = json!(true),
        StartMode::ServerOnly,
        |server, _ctx| async move {
            let body = json!({"field": PUBLIC_DOC, "filename": "a.pdf", "size": 10, "content_type": "application/pdf"});
            let (status, refused) = post(&server, "prepare", &body).await;
            assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("checksum_required")), "{refused}");
            let mut body = body;
            body["checksum"] = json!("not base64!");
            let (status, refused) = post(&server, "prepare", &body).await;
            assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("invalid_checksum")), "{refused}");
            body["checksum"] = json!(STANDARD.encode([7u8; 32]));
            assert_eq!(post(&server, "prepare", &body).await.0, 201);
        },
    )
    .await;
}

#[tokio::test]
async fn finalize_checks_what_every_store_holds() {
    for store in stores() {
        let prefix = format!("content-{}/", Uuid::new_v4().simple());
        Box::pin(request_with(
            |config| store.configure(config, &prefix),
            StartMode::ServerOnly,
            |server, ctx| async move {
                lying_types_are_refused(&server, &ctx, store.name).await;
                true_types_pass_with_their_metadata(&server, &ctx, store.name).await;
                image_limits_are_enforced(&server, &ctx, store.name).await;
                a_presigned_put_cannot_replace_a_checked_object(&server, &ctx, store.name).await;
            },
        ))
        .await;
    }
}
