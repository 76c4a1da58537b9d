//! Text edits anchored on what a Loco app's generated files hold.

use super::InstallError;

fn unrecognised(file: &str, expected: &str) -> InstallError {
    InstallError::Unrecognised {
        file: file.to_string(),
        expected: expected.to_string(),
    }
}

/// Where the first `anchor` at or after byte `from` starts.
fn find(file: &str, text: &str, from: usize, anchor: &str) -> Result<usize, InstallError> {
    text[from..]
        .find(anchor)
        .map(|position| from + position)
        .ok_or_else(|| unrecognised(file, &format!("`{}`", anchor.trim())))
}

/// `text` with `insertion` put right after the first `anchor` (at or after byte `from`).
pub fn insert_after(
    file: &str,
    text: &str,
    from: usize,
    anchor: &str,
    insertion: &str,
) -> Result<String, InstallError> {
    let at = find(file, text, from, anchor)? + anchor.len();
    Ok(format!("{}{insertion}{}", &text[..at], &text[at..]))
}

/// `text` with `insertion` put right before the first `anchor` (at or after byte `from`).
pub fn insert_before(
    file: &str,
    text: &str,
    from: usize,
    anchor: &str,
    insertion: &str,
) -> Result<String, InstallError> {
    let at = find(file, text, from, anchor)?;
    Ok(format!("{}{insertion}{}", &text[..at], &text[at..]))
}

/// `text` with the first `old` (at or after byte `from`) replaced by `new`.
pub fn replace(
    file: &str,
    text: &str,
    from: usize,
    old: &str,
    new: &str,
) -> Result<String, InstallError> {
    let at = find(file, text, from, old)?;
    Ok(format!("{}{new}{}", &text[..at], &text[at + old.len()..]))
}

/// Where `needle` starts in `text`.
pub fn position(file: &str, text: &str, needle: &str) -> Result<usize, InstallError> {
    find(file, text, 0, needle)
}

/// Adds `line` at the end of the `[{table}]` table (`dependencies`, `dev-dependencies`) of a
/// `Cargo.toml`.
pub fn add_dependency(
    file: &str,
    manifest: &str,
    table: &str,
    line: &str,
) -> Result<String, InstallError> {
    let header = format!("\n[{table}]\n");
    let table = position(file, manifest, &header)? + header.len();
    let end = manifest[table..]
        .find("\n[")
        .map_or(manifest.len(), |next| table + next + 1);
    let body = manifest[table..end].trim_end();
    Ok(format!(
        "{}{body}\n{line}\n\n{}",
        &manifest[..table],
        &manifest[end..]
    )
    .trim_end()
    .to_string()
        + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_a_dependency_at_the_end_of_its_table() {
        let manifest = "[package]\nname = \"a\"\n\n[dependencies]\nserde = \"1\"\n\n[dev-dependencies]\ninsta = \"1\"\n";
        assert_eq!(
            add_dependency("Cargo.toml", manifest, "dependencies", "joist = \"0.1\"").unwrap(),
            "[package]\nname = \"a\"\n\n[dependencies]\nserde = \"1\"\njoist = \"0.1\"\n\n[dev-dependencies]\ninsta = \"1\"\n"
        );
        assert!(matches!(
            add_dependency("Cargo.toml", "[package]\n", "dependencies", "x = \"1\""),
            Err(InstallError::Unrecognised { .. })
        ));
    }
}
