//! Byte sizes in config: a plain integer, or a string such as `"16 MiB"`.

use serde::{Deserialize, Deserializer, de};

const UNITS: [(&str, u64); 9] = [
    ("B", 1),
    ("KB", 1000),
    ("MB", 1000 * 1000),
    ("GB", 1000 * 1000 * 1000),
    ("TB", 1000 * 1000 * 1000 * 1000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// Parses `"5 MiB"`, `"64MB"`, `"1024"` into bytes.
///
/// # Errors
/// When the number or the unit is not understood, or the result overflows.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size like `16 MiB`"))?;
    let unit = unit.trim();
    let multiplier = if unit.is_empty() {
        1
    } else {
        UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|(_, multiplier)| *multiplier)
            .ok_or_else(|| {
                format!("unknown unit `{unit}` in `{text}` (use B, KiB, MiB, GiB, TiB)")
            })?
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Deserializes a byte size from an integer or a string with a unit.
///
/// # Errors
/// When the value is neither a non-negative integer nor a parsable size.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Number(number) => Ok(number),
        Raw::Text(text) => parse(&text).map_err(de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_units_and_plain_numbers() {
        assert_eq!(parse("1024"), Ok(1024));
        assert_eq!(parse("5 MiB"), Ok(5 * 1024 * 1024));
        assert_eq!(parse("64mb"), Ok(64_000_000));
        assert_eq!(parse("5TiB"), Ok(5 << 40));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("MiB").is_err());
        assert!(parse("5 parsecs").is_err());
        assert!(parse("99999999999 TiB").is_err());
    }
}
