//! The demo's finalize handler: reads the first bytes of each finalized file from the store,
//! checks its real type against the declared one, and records image dimensions.

use async_trait::async_trait;
use joist::{
    Joist,
    events::{HandlerError, UploadEvent, UploadHandler},
    models::{Upload, UploadStatus},
};
use loco_rs::app::AppContext;
use serde_json::{Map, Value, json};

/// How many leading bytes are read.
const HEAD_BYTES: u64 = 64 * 1024;

/// Records `sniffed_type`, `type_matches` and, for images, `width` and `height` in the upload's
/// metadata.
pub struct InspectFile;

#[async_trait]
impl UploadHandler for InspectFile {
    async fn handle(&self, ctx: &AppContext, event: &UploadEvent) -> Result<(), HandlerError> {
        if event.upload.status != UploadStatus::Finalized {
            return Ok(());
        }
        let joist = Joist::from_context(ctx)?;
        let store = joist.store();
        let object = store
            .client()
            .get_object()
            .bucket(store.bucket())
            .key(&event.upload.key)
            .range(format!("bytes=0-{}", HEAD_BYTES - 1))
            .send()
            .await?;
        let head = object.body.collect().await?.into_bytes();
        let mut metadata = Map::new();
        let sniffed = sniff(&head);
        metadata.insert("sniffed_type".into(), json!(sniffed));
        metadata.insert(
            "type_matches".into(),
            json!(sniffed.is_none_or(|sniffed| sniffed == event.upload.content_type)),
        );
        if let Some((width, height)) = dimensions(&head) {
            metadata.insert("width".into(), json!(width));
            metadata.insert("height".into(), json!(height));
        }
        Upload::merge_metadata(&ctx.db, event.upload.id, metadata).await?;
        Ok(())
    }
}

/// The type the leading bytes show, when they show one.
fn sniff(head: &[u8]) -> Option<&'static str> {
    const SIGNATURES: [(&[u8], &str); 5] = [
        (b"%PDF-", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"<!DOCTYPE html", "text/html"),
    ];
    SIGNATURES
        .iter()
        .find(|(signature, _)| head.starts_with(signature))
        .map(|(_, kind)| *kind)
        .or_else(|| {
            (head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP")
                .then_some("image/webp")
        })
}

/// Width and height of a PNG, GIF or JPEG from its first bytes.
fn dimensions(head: &[u8]) -> Option<(u32, u32)> {
    let be32 = |at: usize| {
        head.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let be16 = |at: usize| {
        head.get(at..at + 2)
            .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let le16 = |at: usize| {
        head.get(at..at + 2)
            .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
    };
    match sniff(head)? {
        "image/png" => Some((be32(16)?, be32(20)?)),
        "image/gif" => Some((le16(6)?, le16(8)?)),
        "image/jpeg" => {
            let mut at = 2;
            while at + 9 < head.len() {
                if head[at] != 0xff {
                    return None;
                }
                let marker = head[at + 1];
                if matches!(marker, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf) {
                    return Some((be16(at + 7)?, be16(at + 5)?));
                }
                at += 2 + usize::try_from(be16(at + 2)?).ok()?;
            }
            None
        }
        _ => None,
    }
}

/// The metadata handlers recorded for an upload, for pages to show.
pub fn summary(metadata: Option<&Value>) -> Option<String> {
    let metadata = metadata?.as_object()?;
    let kind = metadata
        .get("sniffed_type")
        .and_then(Value::as_str)
        .unwrap_or("unknown type");
    let size = match (metadata.get("width"), metadata.get("height")) {
        (Some(width), Some(height)) => format!(", {width}×{height}"),
        _ => String::new(),
    };
    let warning = if metadata.get("type_matches") == Some(&Value::Bool(false)) {
        " (not the declared type!)"
    } else {
        ""
    };
    Some(format!("{kind}{size}{warning}"))
}

#[cfg(test)]
mod tests {
    use super::{dimensions, sniff};

    #[test]
    fn reads_types_and_dimensions() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x00\0\0\0\xc8\x08\x06\0\0\0";
        assert_eq!(sniff(png), Some("image/png"));
        assert_eq!(dimensions(png), Some((256, 200)));
        let gif = b"GIF89a\x40\x01\xf0\x00";
        assert_eq!(dimensions(gif), Some((320, 240)));
        let jpeg = b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08\x01\xe0\x02\x80\x03";
        assert_eq!(dimensions(jpeg), Some((640, 480)));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"plain words"), None);
    }
}
