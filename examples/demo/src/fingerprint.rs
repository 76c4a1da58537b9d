//! The demo's finalize handler: the engine already checked each file's real type and read its
//! dimensions; this records what a host adds on top, the SHA-256 of the whole file (for spotting
//! duplicates), read from the store in chunks so memory stays flat however large the file.

use std::fmt::Write as _;

use async_trait::async_trait;
use joist::{
    FileMetadata, Joist,
    events::{HandlerError, UploadEvent, UploadHandler},
    models::{Upload, UploadStatus},
};
use loco_rs::app::AppContext;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Records `sha256` (hex) in the upload's metadata.
pub struct Fingerprint;

#[async_trait]
impl UploadHandler for Fingerprint {
    async fn handle(&self, ctx: &AppContext, event: &UploadEvent) -> Result<(), HandlerError> {
        if event.upload.status != UploadStatus::Finalized {
            return Ok(());
        }
        let joist = Joist::from_context(ctx)?;
        let store = joist.store();
        let mut body = store
            .client()
            .get_object()
            .bucket(store.bucket())
            .key(&event.upload.key)
            .send()
            .await?
            .body;
        let mut hasher = Sha256::new();
        while let Some(chunk) = body.next().await {
            hasher.update(chunk?);
        }
        let digest = format!("{:x}", hasher.finalize());
        let mut metadata = Map::new();
        metadata.insert("sha256".into(), json!(digest));
        Upload::merge_metadata(&ctx.db, event.upload.id, metadata).await?;
        Ok(())
    }
}

/// What the engine and the handler recorded about an upload, for pages to show.
pub fn summary(metadata: Option<&Value>) -> Option<String> {
    let value = metadata?;
    let found: FileMetadata = serde_json::from_value(value.clone()).ok()?;
    let mut summary = found
        .detected_type
        .unwrap_or_else(|| "unchecked type".into());
    if let Some(image) = found.image {
        let _ = write!(summary, ", {}×{}", image.width, image.height);
    }
    if let Some(digest) = value.get("sha256").and_then(Value::as_str) {
        let _ = write!(summary, ", sha256 {}…", &digest[..12.min(digest.len())]);
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::summary;
    use serde_json::json;

    #[test]
    fn summarizes_what_was_recorded() {
        let recorded = json!({"detected_type": "image/png", "width": 256, "height": 200, "sha256": "0123456789abcdef"});
        assert_eq!(
            summary(Some(&recorded)).unwrap(),
            "image/png, 256×200, sha256 0123456789ab…"
        );
        assert_eq!(summary(Some(&json!({}))).unwrap(), "unchecked type");
        assert_eq!(summary(None), None);
    }
}
