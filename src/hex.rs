//! Lower-case hex, as S3 writes digests.

use std::fmt::Write;

/// `bytes` as lower-case hex.
pub fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}
