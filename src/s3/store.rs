//! The calls the server itself makes to the store.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use reqwest::Method;

use super::{
    StoreError, StoreSettings,
    client::{self, Connection},
    credentials::{CredentialCache, TimedCredentials},
    presign::{PresignRequest, Presigner, SigningCredentials},
    signed::{Call, SignedCalls, bounded_body, header},
};

/// What `HeadObject` says of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Size in bytes.
    pub size: u64,
    /// The object's ETag.
    pub etag: Option<String>,
    /// Its SHA-256 (base64), when it was uploaded with one and the store keeps it.
    pub checksum_sha256: Option<String>,
}

/// One bucket: the calls on a request's path signed by joist, the other server-side calls
/// through the SDK, browser URLs through the presigner.
#[derive(Debug)]
pub struct Store {
    pub(super) client: aws_sdk_s3::Client,
    pub(super) bucket: String,
    presigner: Presigner,
    signed: SignedCalls,
    connection: Connection,
    doctor_http: reqwest::Client,
}

pub(super) fn classify<E, R>(error: &SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => from_code(
            service.err().code(),
            service.err().message().unwrap_or_default(),
        ),
        _ => super::unreachable(aws_sdk_s3::error::DisplayErrorContext(error).to_string()),
    }
}

/// What an S3 error code means for joist (the SDK's answers and joist's own signed calls alike).
pub(super) fn from_code(code: Option<&str>, message: &str) -> StoreError {
    match code {
        Some("NoSuchKey" | "NoSuchUpload" | "NotFound") => StoreError::NotFound,
        Some(code @ ("InvalidPart" | "InvalidPartOrder" | "EntityTooSmall")) => {
            StoreError::InvalidParts(format!("{code}: {message}"))
        }
        code => StoreError::Unavailable(format!("{} {message}", code.unwrap_or("error"))),
    }
}

impl Store {
    /// Connects (lazily) to the store described by `settings`.
    ///
    /// # Errors
    /// When the TLS settings (`ca_file`) are refused.
    pub fn new(settings: &StoreSettings) -> Result<Self, String> {
        let http = settings.roots.sdk_client()?;
        let connection = Connection {
            credentials: CredentialCache::new(&settings.credentials, &settings.region, &http),
            http,
        };
        Ok(Self {
            client: client::build(settings, &connection),
            bucket: settings.bucket.clone(),
            presigner: Presigner::new(
                settings.public_endpoint.clone(),
                settings.bucket.clone(),
                settings.region.clone(),
            ),
            signed: SignedCalls::new(
                Presigner::new(
                    settings.endpoint.clone(),
                    settings.bucket.clone(),
                    settings.region.clone(),
                ),
                settings.roots.store_client()?,
            ),
            doctor_http: settings.roots.reqwest_client()?,
            connection,
        })
    }

    /// The HTTPS client and credentials the store's SDK clients share (STS uses them too).
    #[must_use]
    pub const fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The credentials URLs are signed with now, fetched again before they expire.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when no credentials can be had.
    pub async fn credentials(&self) -> Result<TimedCredentials, StoreError> {
        self.connection.credentials.current().await
    }

    /// An HTTP client trusting the same roots as the SDK's (for the doctor's browser-like calls).
    #[must_use]
    pub const fn http(&self) -> &reqwest::Client {
        &self.doctor_http
    }

    /// The endpoint browsers use, as a URL.
    #[must_use]
    pub fn public_endpoint(&self) -> String {
        self.presigner.endpoint().url()
    }

    /// The bucket.
    #[must_use]
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The SDK client, for calls joist does not wrap.
    #[must_use]
    pub const fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// Presigns `request` with `signer`; the URL expires with the credentials at the latest.
    #[must_use]
    pub fn presign(
        &self,
        request: &PresignRequest<'_>,
        now: SystemTime,
        signer: &TimedCredentials,
    ) -> String {
        let request = PresignRequest {
            expires_in: signer.lifetime(request.expires_in, now),
            ..request.clone()
        };
        self.presigner.presign(&request, now, &signer.credentials)
    }

    /// A GET URL for `key`, valid for `expires_in` (or until the credentials expire), signed
    /// with the credentials last fetched, without waiting; `overrides` are S3's `response-*`
    /// parameters (`response-content-disposition`, `response-content-type`).
    #[must_use]
    pub fn download_url(
        &self,
        key: &str,
        expires_in: Duration,
        overrides: Vec<(&'static str, String)>,
    ) -> String {
        let request = PresignRequest {
            method: "GET",
            key,
            params: overrides,
            headers: Vec::new(),
            expires_in,
        };
        let signer = self.connection.credentials.cached().unwrap_or_else(|| {
            tracing::error!(
                key,
                "joist has no store credentials yet; the download URL will be refused"
            );
            TimedCredentials {
                credentials: SigningCredentials {
                    access_key_id: String::new(),
                    secret_access_key: String::new(),
                    session_token: None,
                },
                expires_at: None,
            }
        });
        self.presign(&request, SystemTime::now(), &signer)
    }

    /// Sends `call`, signed with the current credentials (joist's own request, not the SDK's).
    pub(super) async fn send_signed(
        &self,
        call: &Call<'_>,
    ) -> Result<reqwest::Response, StoreError> {
        self.signed.send(call, &self.credentials().await?).await
    }

    /// The object's size and ETag, `None` when absent.
    ///
    /// # Errors
    /// When the store cannot be reached.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let call = Call {
            method: Method::HEAD,
            key,
            params: Vec::new(),
            headers: vec![("x-amz-checksum-mode", "ENABLED".into())],
        };
        let response = match self.send_signed(&call).await {
            Ok(response) => response,
            Err(StoreError::NotFound) => return Ok(None),
            Err(error) => return Err(error),
        };
        // A HEAD answer has no body: its length is the header's, not reqwest's (zero).
        let size = header(&response, "content-length")
            .and_then(|length| length.parse().ok())
            .ok_or_else(|| StoreError::Unavailable("HeadObject gave no Content-Length".into()))?;
        Ok(Some(ObjectInfo {
            size,
            etag: header(&response, "etag"),
            checksum_sha256: header(&response, "x-amz-checksum-sha256"),
        }))
    }

    /// The object's first `len` bytes (fewer when it is shorter), read with one range GET, so
    /// memory stays bounded however large the object is.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the object is absent; unavailable when the store cannot be
    /// reached.
    pub async fn read_head(&self, key: &str, len: u64) -> Result<Vec<u8>, StoreError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let call = Call {
            method: Method::GET,
            key,
            params: Vec::new(),
            headers: vec![("range", format!("bytes=0-{}", len - 1))],
        };
        let response = self.send_signed(&call).await?;
        // A store that ignores `Range` would send it all: reading stops at the bound.
        bounded_body(response, usize::try_from(len).unwrap_or(usize::MAX)).await
    }

    /// Stores `bytes` at `key` as `content_type` (for what the server makes itself, such as
    /// image variants).
    ///
    /// # Errors
    /// When the store fails.
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(bytes.into())
            .send()
            .await
            .map_err(|error| classify(&error))?;
        Ok(())
    }

    /// Deletes the object (absent counts as deleted).
    ///
    /// # Errors
    /// When the store cannot be reached.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| classify(&error))
        {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }
}
