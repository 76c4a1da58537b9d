//! Presigned part URLs as the API hands them out.

use std::{collections::BTreeMap, time::SystemTime};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use serde::Serialize;

use super::error::ApiError;
use crate::{
    Joist,
    models::{Upload, UploadMode},
    s3::{credentials::TimedCredentials, presign::PresignRequest},
};

/// One URL the client PUTs a part (or the whole file) to.
#[derive(Debug, Clone, Serialize)]
pub struct PartUrl {
    /// 1-based part number.
    pub number: u32,
    /// The presigned URL.
    pub url: String,
    /// Always `PUT`.
    pub method: &'static str,
    /// Headers to send exactly as given (the body's length is signed too).
    pub headers: BTreeMap<&'static str, String>,
    /// The body's exact size.
    pub size: u64,
}

/// Whether `checksum` is the standard base64 of a 32-byte SHA-256.
pub fn is_sha256(checksum: &str) -> bool {
    STANDARD
        .decode(checksum)
        .is_ok_and(|digest| digest.len() == 32)
}

/// Checks client checksums: standard base64 of a 32-byte SHA-256.
///
/// # Errors
/// 422 `invalid_checksum` naming the part.
pub fn check_checksums(checksums: &BTreeMap<u32, String>) -> Result<(), ApiError> {
    for (number, checksum) in checksums {
        if !is_sha256(checksum) {
            return Err(ApiError::invalid(
                "invalid_checksum",
                format!("the checksum of part {number} is not a base64 SHA-256 digest"),
            )
            .with_details(serde_json::json!({ "part": number })));
        }
    }
    Ok(())
}

/// Signs the URLs of parts `numbers` (already checked against the plan), with the checksum each
/// part must match when given, with `signer` (see [`Joist::signing_credentials`]); the URLs
/// expire with the credentials at the latest.
pub fn sign(
    joist: &Joist,
    upload: &Upload,
    numbers: &[u32],
    checksums: &BTreeMap<u32, String>,
    now: SystemTime,
    signer: &TimedCredentials,
) -> Vec<PartUrl> {
    let plan = upload.plan();
    let expires_in = joist.config().url_lifetime();
    numbers
        .iter()
        .filter_map(|&number| {
            let size = plan.part_len(number)?;
            let mut headers: BTreeMap<&'static str, String> = BTreeMap::new();
            let mut params = Vec::new();
            if let (UploadMode::Multipart, Some(s3_upload_id)) =
                (upload.mode, upload.s3_upload_id.as_ref())
            {
                params.push(("partNumber", number.to_string()));
                params.push(("uploadId", s3_upload_id.clone()));
            } else {
                headers.insert("content-type", upload.content_type.clone());
                // The URL stays valid after finalize: a second PUT must not replace the object
                // that was checked.
                headers.insert("if-none-match", "*".into());
            }
            // A single upload's checksum, sent at prepare, is signed into every URL it gets.
            let recorded = (upload.mode == UploadMode::Single)
                .then(|| upload.checksum.as_deref()?.strip_prefix("sha256:"))
                .flatten();
            if let Some(checksum) = recorded.or(checksums.get(&number).map(String::as_str)) {
                headers.insert("x-amz-checksum-sha256", checksum.to_string());
            }
            let mut signed_headers: Vec<(&'static str, String)> = headers
                .iter()
                .map(|(name, value)| (*name, value.clone()))
                .collect();
            signed_headers.push(("content-length", size.to_string()));
            let request = PresignRequest {
                method: "PUT",
                key: upload.landing(),
                params,
                headers: signed_headers,
                expires_in,
            };
            Some(PartUrl {
                number,
                url: joist.store().presign(&request, now, signer),
                method: "PUT",
                headers,
                size,
            })
        })
        .collect()
}
