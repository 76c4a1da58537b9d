//! SigV4 query presigning, done directly: the canonical request is built by hand and the
//! signing key is derived once per access key and day, so one URL costs a few microseconds.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, SystemTime},
};

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::endpoint::Endpoint;

/// Every byte but the RFC 3986 unreserved ones is encoded (S3's rule).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Like [`QUERY`], but `/` separates path segments.
pub(crate) const PATH: &AsciiSet = &QUERY.remove(b'/');

/// Credentials a URL is signed with.
#[derive(Clone)]
pub struct SigningCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for SigningCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// One request to presign.
#[derive(Debug, Clone)]
pub struct PresignRequest<'a> {
    /// `PUT`, `GET`, ...
    pub method: &'a str,
    /// The object key.
    pub key: &'a str,
    /// Operation parameters such as `partNumber` and `uploadId`.
    pub params: Vec<(&'static str, String)>,
    /// Headers the client must send exactly, lower-case names (e.g. `content-length`).
    pub headers: Vec<(&'static str, String)>,
    /// How long the URL stays valid.
    pub expires_in: Duration,
}

/// Past this many cached signing keys (access keys × days), the cache starts over.
const MAX_SIGNING_KEYS: usize = 256;

/// Presigns URLs for one bucket on one endpoint.
#[derive(Debug)]
pub struct Presigner {
    endpoint: Endpoint,
    bucket: String,
    region: String,
    signing_keys: Mutex<HashMap<(String, String), Vec<u8>>>,
}

impl Presigner {
    /// A presigner for `bucket` at `endpoint`.
    #[must_use]
    pub fn new(endpoint: Endpoint, bucket: String, region: String) -> Self {
        Self {
            endpoint,
            bucket,
            region,
            signing_keys: Mutex::new(HashMap::new()),
        }
    }

    /// The endpoint the URLs point at.
    #[must_use]
    pub const fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The presigned URL for `request`, valid from `now`, signed with `signer`.
    ///
    /// Built with a handful of appends into presized strings (no formatting machinery): a
    /// multipart `prepare` signs a window of these per call.
    #[must_use]
    pub fn presign(
        &self,
        request: &PresignRequest<'_>,
        now: SystemTime,
        signer: &SigningCredentials,
    ) -> String {
        let time: DateTime<Utc> = now.into();
        let amz_date = amz_date(&time);
        let date = &amz_date[..8];
        let mut scope = String::with_capacity(date.len() + self.region.len() + 20);
        for part in [date, "/", &self.region, "/s3/aws4_request"] {
            scope.push_str(part);
        }
        let (host, path) = self.endpoint.host_and_path(&self.bucket, request.key);
        let path = encoded(&path, PATH);

        let mut headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        headers.push(("host", &host));
        headers.sort_unstable_by_key(|(name, _)| *name);
        let signed_headers = headers
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(";");

        let credential = [signer.access_key_id.as_str(), "/", &scope].concat();
        let expires = request.expires_in.as_secs().to_string();
        let mut query: Vec<(&str, &str)> = vec![
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", &credential),
            ("X-Amz-Date", &amz_date),
            ("X-Amz-Expires", &expires),
            ("X-Amz-SignedHeaders", &signed_headers),
        ];
        if let Some(token) = &signer.session_token {
            query.push(("X-Amz-Security-Token", token));
        }
        query.extend(
            request
                .params
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        // Names are S3's and the operation's, all unreserved characters: sorted as encoded.
        query.sort_unstable();
        let mut encoded_query = String::with_capacity(512);
        for (name, value) in &query {
            if !encoded_query.is_empty() {
                encoded_query.push('&');
            }
            push_encoded(&mut encoded_query, name, QUERY);
            encoded_query.push('=');
            push_encoded(&mut encoded_query, value, QUERY);
        }

        let mut canonical = String::with_capacity(512 + encoded_query.len());
        for part in [request.method, "\n", &path, "\n", &encoded_query, "\n"] {
            canonical.push_str(part);
        }
        for (name, value) in &headers {
            for part in [*name, ":", value.trim(), "\n"] {
                canonical.push_str(part);
            }
        }
        for part in ["\n", &signed_headers, "\nUNSIGNED-PAYLOAD"] {
            canonical.push_str(part);
        }

        let digest = crate::hex::encode(&Sha256::digest(canonical.as_bytes()));
        let string_to_sign =
            ["AWS4-HMAC-SHA256\n", &amz_date, "\n", &scope, "\n", &digest].concat();
        let signature = self.with_signing_key(signer, date, now, |key| {
            calculate_signature(key, string_to_sign.as_bytes())
        });
        [
            self.endpoint.origin_for(&host).as_str(),
            &path,
            "?",
            &encoded_query,
            "&X-Amz-Signature=",
            &signature,
        ]
        .concat()
    }

    /// Runs `sign` with the day's signing key of `signer`, derived once per access key and day.
    fn with_signing_key<T>(
        &self,
        signer: &SigningCredentials,
        date: &str,
        now: SystemTime,
        sign: impl FnOnce(&[u8]) -> T,
    ) -> T {
        let mut keys = self
            .signing_keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = (signer.access_key_id.clone(), date.to_string());
        if let Some(key) = keys.get(&id) {
            return sign(key);
        }
        if keys.len() >= MAX_SIGNING_KEYS {
            keys.clear();
        }
        let key = generate_signing_key(&signer.secret_access_key, now, &self.region, "s3")
            .as_ref()
            .to_vec();
        let signature = sign(&key);
        keys.insert(id, key);
        signature
    }
}

/// `time` as SigV4's `X-Amz-Date`, `YYYYMMDDTHHMMSSZ` (its first eight bytes are the date).
fn amz_date(time: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let mut out = String::with_capacity(16);
    push_digits(&mut out, u32::try_from(time.year()).unwrap_or_default(), 4);
    push_digits(&mut out, time.month(), 2);
    push_digits(&mut out, time.day(), 2);
    out.push('T');
    push_digits(&mut out, time.hour(), 2);
    push_digits(&mut out, time.minute(), 2);
    push_digits(&mut out, time.second(), 2);
    out.push('Z');
    out
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10_u32.pow(place) % 10;
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// Appends `text` percent-encoded with `set`.
fn push_encoded(out: &mut String, text: &str, set: &'static AsciiSet) {
    for chunk in utf8_percent_encode(text, set) {
        out.push_str(chunk);
    }
}

fn encoded(text: &str, set: &'static AsciiSet) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    push_encoded(&mut out, text, set);
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use aws_sdk_s3::presigning::PresigningConfig;

    use super::{PresignRequest, Presigner, SigningCredentials};
    use crate::s3::{
        StoreSettings,
        client::{self, Connection},
        credentials::{CredentialCache, CredentialSource},
        endpoint::Endpoint,
        tls::TrustedRoots,
    };

    fn query_value<'a>(url: &'a str, name: &str) -> Option<&'a str> {
        url.split_once('?')?
            .1
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    }

    fn keys(session_token: Option<&str>) -> SigningCredentials {
        SigningCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: session_token.map(str::to_string),
        }
    }

    fn settings(session_token: Option<&str>) -> StoreSettings {
        let endpoint = Endpoint::parse("http://127.0.0.1:39999", true);
        StoreSettings {
            bucket: "bucket".into(),
            region: "eu-west-3".into(),
            endpoint: endpoint.clone(),
            public_endpoint: endpoint,
            path_style: true,
            credentials: CredentialSource::Fixed(keys(session_token)),
            roots: TrustedRoots::default(),
        }
    }

    fn presigner() -> Presigner {
        let settings = settings(None);
        Presigner::new(settings.public_endpoint, settings.bucket, settings.region)
    }

    /// The hand-built signature equals the SDK's for the same request and instant.
    #[tokio::test]
    async fn signs_exactly_like_the_sdk() {
        for session_token in [None, Some("FwoGZXIvYXdzEJr//token+/=")] {
            let settings = settings(session_token);
            let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_600_000);
            let key = "uploads/car.owners_manual/1/Model T ü+manual.pdf";
            let http = settings.roots.sdk_client().unwrap();
            let connection = Connection {
                credentials: CredentialCache::new(&settings.credentials, &settings.region, &http),
                http,
            };
            let sdk = client::build(&settings, &connection)
                .upload_part()
                .bucket("bucket")
                .key(key)
                .upload_id("abc/def==")
                .part_number(7)
                .content_length(5_242_880)
                .presigned(
                    PresigningConfig::builder()
                        .start_time(start)
                        .expires_in(Duration::from_mins(15))
                        .build()
                        .unwrap(),
                )
                .await
                .unwrap();
            let ours = presigner().presign(
                &PresignRequest {
                    method: "PUT",
                    key,
                    params: vec![
                        ("partNumber", "7".into()),
                        ("uploadId", "abc/def==".into()),
                        ("x-id", "UploadPart".into()),
                    ],
                    headers: vec![("content-length", "5242880".into())],
                    expires_in: Duration::from_mins(15),
                },
                start,
                &keys(session_token),
            );
            assert!(
                query_value(sdk.uri(), "X-Amz-Signature").is_some(),
                "{}",
                sdk.uri()
            );
            assert_eq!(
                query_value(&ours, "X-Amz-SignedHeaders"),
                query_value(sdk.uri(), "X-Amz-SignedHeaders"),
                "{ours}\n{}",
                sdk.uri()
            );
            assert_eq!(
                query_value(&ours, "X-Amz-Signature"),
                query_value(sdk.uri(), "X-Amz-Signature"),
                "{ours}\n{}",
                sdk.uri()
            );
        }
    }

    #[test]
    fn reuses_the_signing_key_per_access_key_and_day() {
        let presigner = presigner();
        let request = PresignRequest {
            method: "GET",
            key: "a",
            params: Vec::new(),
            headers: Vec::new(),
            expires_in: Duration::from_mins(1),
        };
        let day = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_600_000);
        let cached = || {
            let mut ids: Vec<_> = presigner
                .signing_keys
                .lock()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            ids.sort();
            ids
        };
        let first = presigner.presign(&request, day, &keys(None));
        assert_eq!(
            presigner.presign(&request, day, &keys(None)),
            first,
            "deterministic"
        );
        assert_eq!(cached().len(), 1, "one key for one access key and day");
        let next_day = presigner.presign(&request, day + Duration::from_hours(24), &keys(None));
        assert_eq!(cached().len(), 2, "a new day derives a new key");
        assert_ne!(
            query_value(&next_day, "X-Amz-Signature"),
            query_value(&first, "X-Amz-Signature")
        );
        let rotated = SigningCredentials {
            access_key_id: "AKIDROTATED".into(),
            secret_access_key: "another secret".into(),
            session_token: None,
        };
        let other = presigner.presign(&request, day, &rotated);
        assert_eq!(
            cached()
                .iter()
                .map(|(key, _)| key.as_str())
                .collect::<Vec<_>>(),
            ["AKIDEXAMPLE", "AKIDEXAMPLE", "AKIDROTATED"],
            "a rotated access key gets its own signing key"
        );
        assert!(
            query_value(&other, "X-Amz-Credential")
                .unwrap()
                .starts_with("AKIDROTATED")
        );
        assert_ne!(
            query_value(&other, "X-Amz-Signature"),
            query_value(&first, "X-Amz-Signature"),
            "the same day, another secret: another signature"
        );
    }
}
