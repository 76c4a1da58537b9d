//! The real type of a file, from its first bytes, and whether it contradicts the declared one.
//!
//! Types with magic bytes (PNG, JPEG, PDF, ZIP, executables, HTML, …) are recognised by the
//! [`infer`] crate. Types without magic get these rules:
//! - SVG (`image/svg+xml`) is recognised by its `<svg` element. It is active content (it can run
//!   script when opened), so a field takes it only when it names `image/svg+xml` itself
//!   ([`crate::Field::accept`]: `image/*` does not cover it).
//! - Textual types (`text/*`, `application/json`, `application/xml`, …) must be valid UTF-8
//!   without NUL bytes.
//! - A declared type that [`infer`] knows the magic of must show that magic.
//! - Any other declared type (a format without magic, or `application/octet-stream`) is taken as
//!   declared when the bytes show no other type.

/// How a file's bytes look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// Magic bytes (or an `<svg` element) named this type.
    Type(&'static str),
    /// No magic: valid UTF-8 text without NUL bytes.
    Text,
    /// No magic, and not text.
    Binary,
}

/// The type SVG files are declared and detected as.
pub const SVG: &str = "image/svg+xml";

/// How `head` (a file's first bytes; `complete` when it is the whole file) looks.
#[must_use]
pub fn detect(head: &[u8], complete: bool) -> Detected {
    let text = is_text(head, complete);
    if text && is_svg(head) {
        return Detected::Type(SVG);
    }
    match infer::get(head) {
        Some(kind) => Detected::Type(kind.mime_type()),
        None if text => Detected::Text,
        None => Detected::Binary,
    }
}

/// Valid UTF-8 without NUL bytes; a multi-byte character cut by the end of a partial read counts.
fn is_text(head: &[u8], complete: bool) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(error) => !complete && error.error_len().is_none(),
    }
}

fn is_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]).to_ascii_lowercase();
    let start = text.trim_start_matches('\u{feff}').trim_start();
    (start.starts_with("<svg") || start.starts_with("<?xml") || start.starts_with("<!doctype svg"))
        && text.contains("<svg")
}

/// Whether a declared type is a textual one, checked by the UTF-8 rule.
#[must_use]
pub fn is_textual(declared: &str) -> bool {
    declared.starts_with("text/")
        || matches!(
            declared,
            "application/json" | "application/xml" | "application/x-ndjson" | "application/csv"
        )
        || declared.ends_with("+json")
        || (declared.ends_with("+xml") && declared != SVG)
}

/// One name for types clients spell two ways.
fn canonical(content_type: &str) -> &str {
    match content_type {
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "application/x-zip-compressed" | "application/x-zip" => "application/zip",
        "audio/x-wav" | "audio/wave" => "audio/wav",
        "audio/mp3" => "audio/mpeg",
        "text/xml" => "application/xml",
        "application/x-pdf" => "application/pdf",
        other => other,
    }
}

/// The type to record for a file declared `declared` whose bytes look like `detected`, or the
/// type that contradicts the declaration (`Err`: the detected type, `application/octet-stream`
/// when the bytes show none).
///
/// # Errors
/// When the bytes contradict the declared type.
pub fn reconcile(declared: &str, detected: &Detected) -> Result<String, String> {
    const UNKNOWN: &str = "application/octet-stream";
    match detected {
        Detected::Type(kind) => {
            if declared == UNKNOWN || canonical(declared) == canonical(kind) {
                Ok((*kind).to_string())
            } else {
                Err((*kind).to_string())
            }
        }
        // `infer` names some formats `application/octet-stream`: unknown stays unknown.
        Detected::Binary if declared == UNKNOWN => Ok(UNKNOWN.into()),
        Detected::Text if is_textual(declared) => Ok(declared.to_string()),
        Detected::Text if declared == UNKNOWN => Ok("text/plain".into()),
        Detected::Text | Detected::Binary
            if is_textual(declared) || declared == SVG || infer::is_mime_supported(declared) =>
        {
            Err(if *detected == Detected::Text {
                "text/plain"
            } else {
                UNKNOWN
            }
            .into())
        }
        Detected::Text | Detected::Binary => Ok(declared.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

    #[test]
    fn detects_magic_text_svg_and_binary() {
        assert_eq!(detect(PNG, true), Detected::Type("image/png"));
        assert_eq!(
            detect(b"%PDF-1.7\n", true),
            Detected::Type("application/pdf")
        );
        assert_eq!(
            detect(b"<!DOCTYPE html><html><script>", true),
            Detected::Type("text/html")
        );
        assert_eq!(
            detect(
                b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                true
            ),
            Detected::Type(SVG)
        );
        assert_eq!(
            detect("name,price\nvélo,3\n".as_bytes(), true),
            Detected::Text
        );
        assert_eq!(detect(b"a\0b", true), Detected::Binary);
        assert_eq!(detect(b"\xff\xfe\xfd", true), Detected::Binary);
    }

    #[test]
    fn a_character_cut_by_a_partial_read_is_still_text() {
        let cut = &"é".as_bytes()[..1];
        assert_eq!(detect(cut, false), Detected::Text);
        assert_eq!(detect(cut, true), Detected::Binary);
    }

    #[test]
    fn reconciles_declared_and_detected_types() {
        let png = Detected::Type("image/png");
        assert_eq!(reconcile("image/png", &png).unwrap(), "image/png");
        assert_eq!(
            reconcile("application/octet-stream", &png).unwrap(),
            "image/png"
        );
        assert_eq!(reconcile("image/jpeg", &png).unwrap_err(), "image/png");
        assert_eq!(
            reconcile("image/jpg", &Detected::Type("image/jpeg")).unwrap(),
            "image/jpeg"
        );
        let html = Detected::Type("text/html");
        assert_eq!(reconcile("image/png", &html).unwrap_err(), "text/html");
        assert_eq!(reconcile("text/plain", &html).unwrap_err(), "text/html");
        assert_eq!(reconcile("text/csv", &Detected::Text).unwrap(), "text/csv");
        assert_eq!(
            reconcile("image/png", &Detected::Text).unwrap_err(),
            "text/plain"
        );
        assert_eq!(reconcile(SVG, &Detected::Text).unwrap_err(), "text/plain");
        assert_eq!(
            reconcile("application/pdf", &Detected::Binary).unwrap_err(),
            "application/octet-stream"
        );
        assert_eq!(
            reconcile("text/plain", &Detected::Binary).unwrap_err(),
            "application/octet-stream"
        );
        assert_eq!(
            reconcile("application/x-parquet", &Detected::Binary).unwrap(),
            "application/x-parquet"
        );
        assert_eq!(
            reconcile("application/octet-stream", &Detected::Binary).unwrap(),
            "application/octet-stream"
        );
    }
}
