//! The calls the server itself makes to the store.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::{
    error::{ProvideErrorMetadata, SdkError},
    types::ChecksumMode,
};

use super::{
    StoreError, StoreSettings,
    client::{self, Connection},
    credentials::{CredentialCache, TimedCredentials},
    presign::{PresignRequest, Presigner, SigningCredentials},
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

/// One bucket: server-side calls through the SDK, browser URLs through the presigner.
#[derive(Debug)]
pub struct Store {
    pub(super) client: aws_sdk_s3::Client,
    pub(super) bucket: String,
    presigner: Presigner,
    connection: Connection,
    doctor_http: reqwest::Client,
}

pub(super) fn classify<E, R>(error: &SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => match service.err().code() {
            Some("NoSuchKey" | "NoSuchUpload" | "NotFound") => StoreError::NotFound,
            Some(code @ ("InvalidPart" | "InvalidPartOrder" | "EntityTooSmall")) => {
                StoreError::InvalidParts(format!(
                    "{code}: {}",
                    service.err().message().unwrap_or_default()
                ))
            }
            code => StoreError::Unavailable(format!(
                "{} {}",
                code.unwrap_or("error"),
                service.err().message().unwrap_or_default()
            )),
        },
        _ => super::unreachable(aws_sdk_s3::error::DisplayErrorContext(error).to_string()),
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

    /// The object's size and ETag, `None` when absent.
    ///
    /// # Errors
    /// When the store cannot be reached.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(output) => Ok(Some(ObjectInfo {
                size: u64::try_from(output.content_length.unwrap_or_default()).unwrap_or_default(),
                etag: output.e_tag,
                checksum_sha256: output.checksum_sha256,
            })),
            Err(SdkError::ServiceError(service)) if service.raw().status().as_u16() == 404 => {
                Ok(None)
            }
            Err(error) => Err(classify(&error)),
        }
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
        let mut body = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", len - 1))
            .send()
            .await
            .map_err(|error| classify(&error))?
            .body;
        let limit = usize::try_from(len).unwrap_or(usize::MAX);
        let mut bytes = Vec::new();
        // A store that ignores `Range` would send it all: stop reading at the bound.
        while bytes.len() < limit
            && let Some(chunk) = body.next().await
        {
            let chunk = chunk.map_err(|error| super::unreachable(error.to_string()))?;
            bytes.extend_from_slice(&chunk[..chunk.len().min(limit - bytes.len())]);
        }
        Ok(bytes)
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
