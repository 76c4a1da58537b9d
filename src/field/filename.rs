//! Filenames as users send them: one cleaned for display, one made safe for an object key.

/// A filename that is empty once cleaned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the filename is empty once path parts and control characters are removed")]
pub struct FilenameError;

const MAX_DISPLAY_CHARS: usize = 255;
const MAX_KEY_BYTES: usize = 150;

/// The filename to show and store: the last path segment, without control characters,
/// trimmed, at most 255 characters.
///
/// # Errors
/// When nothing is left.
pub fn display_name(raw: &str) -> Result<String, FilenameError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .take(MAX_DISPLAY_CHARS)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '.') {
        return Err(FilenameError);
    }
    Ok(trimmed.to_string())
}

/// The filename as the last segment of an object key: ASCII letters, digits, `.`, `-` and `_`
/// only (anything else becomes `_`), no leading dot, at most 150 bytes with the extension kept.
#[must_use]
pub fn key_safe(display: &str) -> String {
    let mapped: String = display
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mapped = mapped.trim_start_matches('.');
    let mapped = if mapped.is_empty() { "file" } else { mapped };
    if mapped.len() <= MAX_KEY_BYTES {
        return mapped.to_string();
    }
    let extension = mapped
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| ext.len() <= 16)
        .unwrap_or_default();
    let keep = MAX_KEY_BYTES - extension.len() - 1;
    format!("{}.{extension}", &mapped[..keep])
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_name_drops_paths_and_control_characters() {
        assert_eq!(
            display_name("C:\\Users\\me\\report.pdf").unwrap(),
            "report.pdf"
        );
        assert_eq!(display_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(display_name("a\u{0}b\nc\u{202e}d.txt").unwrap(), "abcd.txt");
        assert_eq!(
            display_name("Ünïcødé 報告.pdf").unwrap(),
            "Ünïcødé 報告.pdf"
        );
        for empty in ["", "  ", "dir/", "..", "\u{7}"] {
            assert_eq!(display_name(empty), Err(FilenameError), "{empty:?}");
        }
    }

    #[test]
    fn key_safe_keeps_only_plain_characters() {
        assert_eq!(key_safe("Ünïcødé 報告.pdf"), "_n_c_d____.pdf");
        assert_eq!(key_safe(".htaccess"), "htaccess");
        assert_eq!(key_safe("a?b#c%d&e.txt"), "a_b_c_d_e.txt");
        let long = format!("{}.pdf", "x".repeat(400));
        let safe = key_safe(&long);
        assert_eq!(safe.len(), 150);
        assert_eq!(
            std::path::Path::new(&safe).extension(),
            Some("pdf".as_ref())
        );
    }
}
