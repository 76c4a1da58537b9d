//! The job that makes an upload's variants: reads the original once, decodes it once (a few at a
//! time per process, so memory stays bounded), renders each variant, stores and records it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use loco_rs::app::AppContext;
use tokio::sync::Semaphore;

use super::{Decoded, RenderError, Variant, VariantRecord, key};
use crate::{
    Joist, Result,
    events::{HandlerError, UploadEvent, UploadHandler},
    inspect::{FileMetadata, SVG},
    models::{Upload, UploadStatus},
    s3::StoreError,
};

/// Originals decoded at once by one process: each holds up to the field's pixel bound × 4 bytes.
const DECODES_AT_ONCE: usize = 2;

/// The largest original read into memory to be decoded.
pub const MAX_SOURCE_BYTES: u64 = 256 << 20;

static DECODES: Semaphore = Semaphore::const_new(DECODES_AT_ONCE);

/// What one run recorded, by variant name.
pub type Generated = BTreeMap<String, VariantRecord>;

/// The `finalized` handler joist adds to every field with variants (after the host's own).
#[derive(Debug, Clone, Copy)]
pub struct GenerateVariants;

#[async_trait]
impl UploadHandler for GenerateVariants {
    async fn handle(&self, ctx: &AppContext, event: &UploadEvent) -> Result<(), HandlerError> {
        let joist = Joist::from_context(ctx)?;
        generate(ctx, &joist, &event.upload, false).await?;
        Ok(())
    }
}

/// Makes the variants `upload`'s field declares and records them: the pending ones (and
/// those declared after it was finalized), or every one when `again` (the admin's
/// "Regenerate"). Nothing happens for an upload that is not finalized or attached, or not an
/// image. A variant that cannot be made from the image is recorded `failed` with its reason;
/// the upload stands.
///
/// # Errors
/// When the store or the database fails: nothing is recorded, and the event is retried.
pub async fn generate(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    again: bool,
) -> Result<Generated> {
    let metadata = FileMetadata::of(upload);
    let is_image = metadata
        .detected_type
        .as_deref()
        .is_some_and(|kind| kind.starts_with("image/") && kind != SVG);
    let Some(field) = joist.fields().get(&upload.field) else {
        return Ok(Generated::new());
    };
    if !is_image
        || !matches!(
            upload.status,
            UploadStatus::Finalized | UploadStatus::Attached
        )
    {
        return Ok(Generated::new());
    }
    let todo: Vec<(String, Variant)> = field
        .variants()
        .filter(|(name, _)| {
            again
                || metadata
                    .variants
                    .get(*name)
                    .is_none_or(|record| record.status == super::VariantStatus::Pending)
        })
        .map(|(name, variant)| (name.to_string(), *variant))
        .collect();
    if todo.is_empty() {
        return Ok(Generated::new());
    }
    let max_pixels = field
        .image_limits()
        .max_pixels
        .unwrap_or(super::DEFAULT_MAX_PIXELS);
    let rendered = render_all(joist, upload, todo, max_pixels).await?;
    let mut generated = Generated::new();
    for (name, outcome) in rendered {
        let record = match outcome {
            Ok(variant) => {
                let size = variant.bytes.len() as u64;
                joist
                    .store()
                    .put(
                        &key(&upload.key, &name),
                        variant.bytes,
                        variant.content_type,
                    )
                    .await?;
                VariantRecord::ready(variant.width, variant.height, size, variant.content_type)
            }
            Err(error) => {
                tracing::warn!(upload = %upload.id, variant = name, %error, "joist variant failed");
                VariantRecord::failed(error.to_string())
            }
        };
        generated.insert(name, record);
    }
    record(ctx, joist, upload, &generated).await?;
    Ok(generated)
}

/// Reads the original and renders `todo` from it, on a blocking thread.
async fn render_all(
    joist: &Joist,
    upload: &Upload,
    todo: Vec<(String, Variant)>,
    max_pixels: u64,
) -> Result<Vec<(String, Result<super::Rendered, RenderError>)>> {
    let size = upload.byte_size();
    if size > MAX_SOURCE_BYTES {
        let error = RenderError::Decode(format!(
            "the image is {size} bytes; variants are made of images of at most {MAX_SOURCE_BYTES}"
        ));
        return Ok(all_failed(todo, &error));
    }
    let _permit = DECODES
        .acquire()
        .await
        .map_err(|error| StoreError::Unavailable(error.to_string()))?;
    let source = match joist.store().read_head(&upload.key, size).await {
        Ok(source) => source,
        Err(StoreError::NotFound) => {
            let error = RenderError::Decode("the original is not in the store".into());
            return Ok(all_failed(todo, &error));
        }
        Err(error) => return Err(error.into()),
    };
    tokio::task::spawn_blocking(move || match Decoded::new(&source, max_pixels) {
        Ok(decoded) => todo
            .into_iter()
            .map(|(name, variant)| {
                let outcome = decoded.render(&variant);
                (name, outcome)
            })
            .collect(),
        Err(error) => all_failed(todo, &error),
    })
    .await
    .map_err(|error| StoreError::Unavailable(format!("the variant job stopped: {error}")).into())
}

/// Each of `todo`, failed for `error`.
fn all_failed(
    todo: Vec<(String, Variant)>,
    error: &RenderError,
) -> Vec<(String, Result<super::Rendered, RenderError>)> {
    todo.into_iter()
        .map(|(name, _)| (name, Err(error.clone())))
        .collect()
}

/// Records `generated` under the upload's `metadata.variants`; when the upload was deleted
/// meanwhile, deletes what was just stored instead, so nothing outlives its original.
async fn record(
    ctx: &AppContext,
    joist: &Joist,
    upload: &Upload,
    generated: &Generated,
) -> Result<()> {
    let current = Upload::find(&ctx.db, upload.id).await?;
    let Some(current) = current.filter(|current| {
        matches!(
            current.status,
            UploadStatus::Finalized | UploadStatus::Attached
        )
    }) else {
        for name in generated.keys() {
            joist.store().delete(&key(&upload.key, name)).await?;
        }
        return Ok(());
    };
    let mut variants = FileMetadata::of(&current).variants;
    variants.extend(generated.clone());
    let mut values = serde_json::Map::new();
    values.insert(
        "variants".into(),
        serde_json::to_value(variants).unwrap_or_default(),
    );
    current.save_metadata_with(&ctx.db, values).await?;
    Ok(())
}
