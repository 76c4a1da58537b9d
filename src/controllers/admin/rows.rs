//! How uploads look on the admin pages: sizes for people, times in UTC, links.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::models::Upload;

/// One upload as the list and the confirmation show it.
#[derive(Debug, Serialize)]
pub struct UploadRow {
    pub id: String,
    pub url: String,
    pub field: String,
    pub filename: String,
    pub size: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub owner: String,
    pub status: &'static str,
    pub created_at: String,
    pub finalized_at: String,
}

impl UploadRow {
    pub fn new(base: &str, upload: &Upload) -> Self {
        Self {
            id: upload.id.to_string(),
            url: format!("{base}/uploads/{}", upload.id),
            field: upload.field.clone(),
            filename: upload.filename.clone(),
            size: human_size(upload.size),
            size_bytes: upload.size,
            content_type: upload.content_type.clone(),
            owner: upload
                .owner
                .clone()
                .unwrap_or_else(|| "anonymous".to_string()),
            status: upload.status.name(),
            created_at: time(&upload.created_at),
            finalized_at: upload.finalized_at.as_ref().map_or_else(String::new, time),
        }
    }
}

/// `bytes` in the largest binary unit that keeps it at 1 or more, e.g. `1.5 MiB`.
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)] // a display value: three digits are plenty
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    if value >= 100.0 || value.fract() < 0.05 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// A time in UTC to the second.
pub fn time(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&Utc)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(10 << 20), "10 MiB");
        assert_eq!(human_size(5 << 40), "5 TiB");
        assert_eq!(human_size(250 << 30), "250 GiB");
    }
}
