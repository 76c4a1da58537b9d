//! Any request body `prepare` parses, and any filename, content type, size or page cursor in it,
//! is refused or made safe, never a panic: a key segment holds only `[A-Za-z0-9._-]`.
#![no_main]

use joist::{
    config::byte_size,
    controllers::api::PrepareRequest,
    field::{display_name, key_safe, normalize_content_type},
    models::listing::{Cursor, Sort},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(request) = serde_json::from_slice::<PrepareRequest>(data) {
        check_filename(&request.filename);
        let _ = normalize_content_type(&request.content_type);
    }
    check_filename(&text);
    if let Ok(content_type) = normalize_content_type(&text) {
        assert!(!content_type.contains(['\r', '\n', ' ']), "{content_type:?}");
    }
    let _ = byte_size::parse(&text);
    for sort in Sort::ALL {
        let _ = Cursor::decode(&text, sort);
    }
});

fn check_filename(raw: &str) {
    if let Ok(name) = display_name(raw) {
        let key = key_safe(&name);
        assert!(!key.is_empty() && key.len() <= 255, "{key:?}");
        assert!(!key.starts_with('.'), "{key:?}");
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')), "{key:?}");
    }
}
