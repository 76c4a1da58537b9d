//! Escaping text for HTML (the Tera views) and XML (the Uppy routes' S3 answers).

/// `text` with `&`, `<`, `>`, `"` and `'` escaped; `'` becomes `apostrophe` (`&#39;` for HTML,
/// `&apos;` for XML).
pub(crate) fn escape(text: &str, apostrophe: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str(apostrophe),
            other => escaped.push(other),
        }
    }
    escaped
}
