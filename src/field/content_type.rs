//! Content types as clients declare them, and `image/*`-style patterns.

/// A declared content type that is not of the `type/subtype` form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a content type like `image/png`")]
pub struct ContentTypeError(pub String);

fn is_token(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 127
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
}

/// Lower-cases and checks a declared content type; an empty one (what browsers report for an
/// unknown file) becomes `application/octet-stream`.
///
/// # Errors
/// When it is not `type/subtype` (parameters such as `; charset=` are not accepted).
pub fn normalize(declared: &str) -> Result<String, ContentTypeError> {
    let lowered = declared.trim().to_ascii_lowercase();
    if lowered.is_empty() {
        return Ok("application/octet-stream".to_string());
    }
    match lowered.split_once('/') {
        Some((kind, subtype)) if is_token(kind) && is_token(subtype) => Ok(lowered),
        _ => Err(ContentTypeError(declared.chars().take(100).collect())),
    }
}

/// Whether `content_type` matches `pattern` (`*/*`, `image/*` or exact). SVG can run script
/// where it is opened, so only the exact pattern `image/svg+xml` takes it.
pub fn matches(pattern: &str, content_type: &str) -> bool {
    if content_type == crate::inspect::SVG && pattern != content_type {
        return false;
    }
    match pattern.strip_suffix("/*") {
        Some("*") => true,
        Some(family) => content_type
            .split_once('/')
            .is_some_and(|(kind, _)| kind == family),
        None => pattern == content_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(normalize(" Image/PNG ").unwrap(), "image/png");
        assert_eq!(normalize("").unwrap(), "application/octet-stream");
        for bad in [
            "image",
            "image/",
            "/png",
            "text/html; charset=utf-8",
            "a/b/c",
            "te xt/html",
            "text/\nhtml",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matches_families_and_exact_types() {
        assert!(matches("image/*", "image/png"));
        assert!(!matches("image/*", "imagex/png"));
        assert!(matches("*/*", "text/plain"));
        assert!(matches("application/pdf", "application/pdf"));
        assert!(!matches("application/pdf", "application/pdfx"));
        assert!(!matches("image/*", "image/svg+xml"));
        assert!(!matches("*/*", "image/svg+xml"));
        assert!(matches("image/svg+xml", "image/svg+xml"));
    }
}
