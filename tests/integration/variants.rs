//! Image variants on every store: made by the finalize event from PNG, JPEG (EXIF rotation
//! applied), WebP and a 24 MP JPEG, recorded with their sizes, shown by `/status`, remade on
//! demand, deleted with their original; a corrupt image fails its variants, not the upload.
//! And downloads: named after the original filename (RFC 6266/5987), typed, inline only for
//! safe types, and unsigned under `public_base_url` for fields delivered publicly.

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb, RgbImage};
use joist::{
    Joist, S3File,
    models::{Upload, UploadStatus},
    variants::{self, VariantStatus},
};
use loco_rs::{app::AppContext, boot::StartMode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    host::{GALLERY, PUBLIC_DOC},
    images::{encoded, halves, jpeg, with_variants_made},
    post, prepare, put_part, request_with, stored,
    stores::stores,
    upload,
};

/// `jpeg` with an EXIF block right after its SOI marker saying `orientation`.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"\xff\xe1".to_vec();
    app1.extend_from_slice(&u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

async fn record(ctx: &AppContext, finalized: &Value) -> Upload {
    with_variants_made(
        ctx,
        finalized["key"]
            .as_str()
            .unwrap_or_else(|| panic!("{finalized}")),
    )
    .await
}

/// The variant `name` of the upload as the store holds it, decoded.
async fn stored_variant(ctx: &AppContext, upload: &Upload, name: &str) -> DynamicImage {
    let bytes = stored(ctx, &variants::key(&upload.key, name))
        .await
        .unwrap_or_else(|| panic!("no {name} variant of {} in the store", upload.key));
    image::load_from_memory(&bytes).unwrap()
}

/// One recorded variant: name, status, size in pixels, content type.
type Recorded = (String, VariantStatus, Option<(u32, u32)>, Option<String>);

/// The recorded variants, by name.
fn recorded(upload: &Upload) -> Vec<Recorded> {
    joist::FileMetadata::of(upload)
        .variants
        .into_iter()
        .map(|(name, record)| {
            (
                name,
                record.status,
                record.width.zip(record.height),
                record.content_type,
            )
        })
        .collect()
}

async fn png_jpeg_and_webp_get_their_variants(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    store: &str,
) {
    let png = encoded(&halves(300, 200), ImageFormat::Png);
    let finalized = upload(server, GALLERY, "plan.png", &png, "image/png").await;
    assert_eq!(
        finalized["metadata"]["variants"],
        json!({"jpeg": {"status": "pending"}, "square": {"status": "pending"}, "thumb": {"status": "pending"}}),
        "{store}: the finalize answer lists the variants to come"
    );
    let upload_record = record(ctx, &finalized).await;
    assert_eq!(
        recorded(&upload_record),
        [
            (
                "jpeg".into(),
                VariantStatus::Ready,
                Some((100, 67)),
                Some("image/jpeg".into())
            ),
            (
                "square".into(),
                VariantStatus::Ready,
                Some((32, 32)),
                Some("image/png".into())
            ),
            (
                "thumb".into(),
                VariantStatus::Ready,
                Some((64, 43)),
                Some("image/webp".into())
            ),
        ],
        "{store}"
    );
    for (name, format, size) in [
        ("thumb", ImageFormat::WebP, (64, 43)),
        ("square", ImageFormat::Png, (32, 32)),
        ("jpeg", ImageFormat::Jpeg, (100, 67)),
    ] {
        let bytes = stored(ctx, &variants::key(&upload_record.key, name))
            .await
            .unwrap();
        assert_eq!(
            image::guess_format(&bytes).unwrap(),
            format,
            "{store}: {name}"
        );
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), size, "{store}: {name}");
        let left = decoded.to_rgb8().get_pixel(2, size.1 / 2).0;
        assert!(
            left[0] > 150 && left[2] < 100,
            "{store}: {name} keeps red on the left: {left:?}"
        );
    }

    // A JPEG stored sideways (EXIF orientation 6: turn a quarter clockwise to show it).
    let sideways = with_exif_orientation(&jpeg(&halves(400, 200)), 6);
    let finalized = upload(server, GALLERY, "sideways.jpg", &sideways, "image/jpeg").await;
    assert_eq!(
        (
            &finalized["metadata"]["width"],
            &finalized["metadata"]["orientation"]
        ),
        (&json!(400), &json!(6)),
        "{store}: {finalized}"
    );
    let upload_record = record(ctx, &finalized).await;
    let thumb = stored_variant(ctx, &upload_record, "thumb").await.to_rgb8();
    assert_eq!(
        thumb.dimensions(),
        (32, 64),
        "{store}: shown upright, 200 × 400 fitted"
    );
    let (top, bottom) = (thumb.get_pixel(16, 4).0, thumb.get_pixel(16, 60).0);
    assert!(
        top[0] > 150 && top[2] < 100,
        "{store}: the stored left (red) is now on top: {top:?}"
    );
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "{store}: blue below: {bottom:?}"
    );

    let webp = encoded(&halves(128, 128), ImageFormat::WebP);
    let (prepared, finalized) =
        put_and_finalize(server, (GALLERY, "tile.webp", "image/webp"), &webp).await;
    let upload_record = record(ctx, &finalized).await;
    let thumb = stored_variant(ctx, &upload_record, "thumb").await;
    assert_eq!((thumb.width(), thumb.height()), (64, 64), "{store}");

    // `/status` says which exist.
    let (_, status) = post(server, "status", &json!({"token": prepared["token"]})).await;
    assert_eq!(
        status["finalized"]["metadata"]["variants"]["thumb"]["status"], "ready",
        "{store}: {status}"
    );
}

async fn a_24_megapixel_photo_gets_its_variants(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    store: &str,
) {
    let photo: RgbImage = ImageBuffer::from_fn(6000, 4000, |x, y| {
        Rgb([
            u8::try_from(x * 255 / 6000).unwrap(),
            u8::try_from(y * 255 / 4000).unwrap(),
            128,
        ])
    });
    let photo = jpeg(&photo);
    let finalized = upload(server, GALLERY, "big.jpg", &photo, "image/jpeg").await;
    let upload_record = record(ctx, &finalized).await;
    assert_eq!(
        recorded(&upload_record)
            .into_iter()
            .map(|(name, status, size, _)| (name, status, size))
            .collect::<Vec<_>>(),
        [
            ("jpeg".into(), VariantStatus::Ready, Some((100, 67))),
            ("square".into(), VariantStatus::Ready, Some((32, 32))),
            ("thumb".into(), VariantStatus::Ready, Some((64, 43))),
        ],
        "{store}"
    );
}

async fn a_corrupt_image_fails_its_variants_not_the_upload(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    store: &str,
) {
    // A real PNG header (its size reads fine), then a deflate stream of a reserved block type.
    let mut corrupt = encoded(&halves(200, 100), ImageFormat::Png);
    let data = corrupt
        .windows(4)
        .position(|window| window == b"IDAT")
        .unwrap()
        + 6;
    corrupt[data..data + 24].fill(0xff);
    let finalized = upload(server, GALLERY, "broken.png", &corrupt, "image/png").await;
    assert_eq!(finalized["metadata"]["width"], 200, "{store}: {finalized}");
    let upload_record = record(ctx, &finalized).await;
    assert_eq!(
        upload_record.status,
        UploadStatus::Finalized,
        "{store}: the upload stands"
    );
    let variants = joist::FileMetadata::of(&upload_record).variants;
    assert_eq!(variants.len(), 3, "{store}");
    for (name, variant) in &variants {
        assert_eq!(variant.status, VariantStatus::Failed, "{store}: {name}");
        let error = variant.error.as_deref().unwrap_or_default();
        assert!(
            error.starts_with("the image cannot be decoded"),
            "{store}: {name}: {error}"
        );
        assert_eq!(
            stored(ctx, &variants::key(&upload_record.key, name)).await,
            None,
            "{store}"
        );
    }
    assert_eq!(
        upload_record.event_error, None,
        "{store}: the event itself succeeded"
    );
}

async fn variants_are_remade_and_deleted_with_their_original(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    store: &str,
) {
    let joist = Joist::from_context(ctx).unwrap();
    let png = encoded(&halves(90, 60), ImageFormat::Png);
    let finalized = upload(server, GALLERY, "again.png", &png, "image/png").await;
    let upload_record = record(ctx, &finalized).await;
    let thumb_key = variants::key(&upload_record.key, "thumb");
    joist.store().delete(&thumb_key).await.unwrap();
    let remade = variants::generate(ctx, &joist, &upload_record, true)
        .await
        .unwrap();
    assert_eq!(remade.len(), 3, "{store}: {remade:?}");
    assert!(stored(ctx, &thumb_key).await.is_some(), "{store}: remade");

    assert!(
        joist::lifecycle::delete(ctx, &joist, &upload_record)
            .await
            .unwrap()
    );
    for name in ["thumb", "square", "jpeg"] {
        assert_eq!(
            stored(ctx, &variants::key(&upload_record.key, name)).await,
            None,
            "{store}: {name} went with its original"
        );
    }
    assert_eq!(stored(ctx, &upload_record.key).await, None, "{store}");
}

/// The finalized upload's file, loaded with what its record says.
async fn loaded(joist: &Joist, ctx: &AppContext, finalized: &Value) -> S3File {
    let key = finalized["key"]
        .as_str()
        .unwrap_or_else(|| panic!("{finalized}"));
    joist
        .load(&ctx.db, S3File::from_key(key.to_string()))
        .await
        .unwrap()
}

/// Prepares, PUTs and finalizes `content` in one request each: (prepare's answer, finalize's).
async fn put_and_finalize(
    server: &axum_test::TestServer,
    (field, filename, content_type): (&str, &str, &str),
    content: &[u8],
) -> (Value, Value) {
    let prepared = prepare(server, field, filename, content.len(), content_type).await;
    put_part(&prepared["parts"][0], content).await;
    let (_, finalized) = post(server, "finalize", &json!({"token": prepared["token"]})).await;
    (prepared, finalized)
}

/// GETs `url`: status, `Content-Disposition`, `Content-Type`, body.
async fn download(url: &str) -> (u16, String, String, Vec<u8>) {
    let response = reqwest::get(url).await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    let (disposition, content_type) = (header("content-disposition"), header("content-type"));
    let status = response.status().as_u16();
    (
        status,
        disposition,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

async fn downloads_are_named_and_typed(
    server: &axum_test::TestServer,
    ctx: &AppContext,
    store: &str,
) {
    let joist = Joist::from_context(ctx).unwrap();
    let png = encoded(&halves(20, 20), ImageFormat::Png);
    let finalized = upload(server, GALLERY, "Fußgänger – 東京.png", &png, "image/png").await;
    let file = loaded(&joist, ctx, &finalized).await;
    assert_eq!(file.original_filename(), Some("Fußgänger – 東京.png"));
    let named = "filename*=UTF-8''Fu%C3%9Fg%C3%A4nger%20%E2%80%93%20%E6%9D%B1%E4%BA%AC.png";
    let (status, disposition, content_type, body) = download(&joist.download_url(&file)).await;
    assert_eq!((status, body.len()), (200, png.len()), "{store}");
    assert!(
        disposition.starts_with("inline; ") && disposition.ends_with(named),
        "{store}: {disposition}"
    );
    assert_eq!(content_type, "image/png", "{store}");
    let (_, disposition, _, _) = download(&joist.download(&file).attachment().url()).await;
    assert!(
        disposition.starts_with("attachment; filename=\"Fu_g_nger _ __.png\"; "),
        "{store}: {disposition}"
    );

    // Text is never shown inline on the store's origin, whatever is asked.
    let text = b"name,price\nbike,300\n";
    let (_, finalized) =
        put_and_finalize(server, (PUBLIC_DOC, "notes.txt", "text/plain"), text).await;
    let file = loaded(&joist, ctx, &finalized).await;
    let (status, disposition, content_type, _) =
        download(&joist.download(&file).inline().url()).await;
    assert_eq!(status, 200, "{store}");
    assert!(
        disposition.starts_with("attachment; filename=\"notes.txt\""),
        "{store}: {disposition}"
    );
    assert_eq!(content_type, "text/plain", "{store}");

    // A variant downloads under a name of its own, as its type.
    let variant = file_variant(&joist, ctx, &finalized_gallery(server).await).await;
    let (status, disposition, content_type, _) = download(&variant).await;
    assert_eq!(status, 200, "{store}");
    assert!(
        disposition.contains("filename=\"v-thumb.webp\""),
        "{store}: {disposition}"
    );
    assert_eq!(content_type, "image/webp", "{store}");
}

async fn finalized_gallery(server: &axum_test::TestServer) -> Value {
    let png = encoded(&halves(40, 40), ImageFormat::Png);
    upload(server, GALLERY, "v.png", &png, "image/png").await
}

async fn file_variant(joist: &Joist, ctx: &AppContext, finalized: &Value) -> String {
    record(ctx, finalized).await;
    let file = loaded(joist, ctx, finalized).await;
    assert_eq!(
        joist.view(&file).variants["thumb"].status,
        VariantStatus::Ready
    );
    file.variant_url(joist, "thumb").unwrap()
}

#[tokio::test]
async fn variants_and_downloads_on_every_store() {
    for store in stores()
        .into_iter()
        .filter(|store| store.name != "ministack")
    {
        let prefix = format!("variants-{}/", Uuid::new_v4().simple());
        Box::pin(request_with(
            |config| store.configure(config, &prefix),
            StartMode::ServerOnly,
            |server, ctx| async move {
                png_jpeg_and_webp_get_their_variants(&server, &ctx, store.name).await;
                a_24_megapixel_photo_gets_its_variants(&server, &ctx, store.name).await;
                a_corrupt_image_fails_its_variants_not_the_upload(&server, &ctx, store.name).await;
                variants_are_remade_and_deleted_with_their_original(&server, &ctx, store.name)
                    .await;
                downloads_are_named_and_typed(&server, &ctx, store.name).await;
            },
        ))
        .await;
    }
}

#[tokio::test]
async fn publicly_delivered_fields_get_plain_urls_under_public_base_url() {
    request_with(
        |config| {
            crate::support::joist_block(config)["public_base_url"] =
                json!("https://cdn.example.com/files/");
        },
        StartMode::ServerOnly,
        |server, ctx| async move {
            let joist = Joist::from_context(&ctx).unwrap();
            let finalized = finalized_gallery(&server).await;
            let key = finalized["key"].as_str().unwrap();
            let file = loaded(&joist, &ctx, &finalized).await;
            assert_eq!(
                joist.download_url(&file),
                format!("https://cdn.example.com/files/{key}")
            );
            assert_eq!(
                file.variant_url(&joist, "thumb").unwrap(),
                format!(
                    "https://cdn.example.com/files/{}",
                    variants::key(key, "thumb")
                )
            );
            // Other fields stay private: presigned.
            let (_, finalized) =
                put_and_finalize(&server, (PUBLIC_DOC, "p.txt", "text/plain"), b"private").await;
            let private = S3File::from_key(finalized["key"].as_str().unwrap().to_string());
            assert!(joist.download_url(&private).contains("X-Amz-Signature="));
        },
    )
    .await;
}

#[tokio::test]
async fn cleanup_deletes_an_unattached_images_variants_with_it() {
    crate::support::request(|server, ctx| async move {
        use joist::models::_entities::joist_uploads::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

        let joist = Joist::from_context(&ctx).unwrap();
        let finalized = finalized_gallery(&server).await;
        let upload_record = record(&ctx, &finalized).await;
        let thumb = variants::key(&upload_record.key, "thumb");
        assert!(stored(&ctx, &thumb).await.is_some());
        let long_ago = chrono::Utc::now().fixed_offset() - chrono::Duration::days(3);
        Entity::update_many()
            .col_expr(Column::FinalizedAt, Expr::value(long_ago))
            .filter(Column::Id.eq(upload_record.id))
            .exec(&ctx.db)
            .await
            .unwrap();
        let options = joist::cleanup::CleanupOptions {
            dry_run: false,
            stale_after: std::time::Duration::from_hours(24),
            unattached_ttl: std::time::Duration::from_hours(24),
            batch_size: 10,
        };
        let report = joist::cleanup::run(&ctx, &joist, options, &mut |_, _, _| {})
            .await
            .unwrap();
        assert!(report.unattached_deleted >= 1, "{report:?}");
        for name in ["thumb", "square", "jpeg"] {
            let key = variants::key(&upload_record.key, name);
            assert_eq!(stored(&ctx, &key).await, None, "{name}");
        }
    })
    .await;
}
