//! Scoped temporary credentials (`upload_sts_arn`): the server assumes the role with an inline
//! session policy that allows only one upload's key, and signs that upload's URLs with them.

use std::time::{Duration, SystemTime};
#[cfg(feature = "sts")]
use std::{collections::HashMap, sync::Mutex};

#[cfg(feature = "sts")]
use aws_sdk_sts::config::{BehaviorVersion, IdentityCache, Region};
use serde_json::json;
use uuid::Uuid;

#[cfg(feature = "sts")]
use super::{Connection, StoreSettings};
use super::{StoreError, credentials::TimedCredentials, presign::SigningCredentials};

/// Credentials are assumed again when they have less than this left.
#[cfg(feature = "sts")]
const RENEW_BEFORE: Duration = Duration::from_mins(5);
/// The shortest session STS grants.
#[cfg(feature = "sts")]
const MIN_SESSION: Duration = Duration::from_mins(15);

/// Temporary credentials for one upload.
#[derive(Debug, Clone)]
pub struct UploadCredentials {
    /// The credentials.
    pub credentials: SigningCredentials,
    /// When they expire.
    pub expires_at: SystemTime,
}

impl From<&UploadCredentials> for TimedCredentials {
    fn from(upload: &UploadCredentials) -> Self {
        Self {
            credentials: upload.credentials.clone(),
            expires_at: Some(upload.expires_at),
        }
    }
}

/// Assumes the upload role per upload, and keeps each upload's credentials until near expiry.
#[cfg(feature = "sts")]
#[derive(Debug)]
pub struct StsBroker {
    client: aws_sdk_sts::Client,
    role_arn: String,
    bucket: String,
    cache: Mutex<HashMap<Uuid, UploadCredentials>>,
}

/// The session policy: this key only, PutObject and the multipart calls a client makes.
#[must_use]
pub fn session_policy(bucket: &str, key: &str) -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            "Resource": [format!("arn:aws:s3:::{bucket}/{key}")],
        }],
    })
}

/// Built without the `sts` feature there is no broker (`upload_sts_arn` is refused at boot).
#[cfg(not(feature = "sts"))]
#[derive(Debug)]
pub enum StsBroker {}

// The real broker's signatures, so callers compile the same either way.
#[cfg(not(feature = "sts"))]
#[allow(clippy::unused_async)]
impl StsBroker {
    /// Never called: no value of this type exists.
    ///
    /// # Errors
    /// None.
    pub async fn credentials_for(
        &self,
        _upload: Uuid,
        _key: &str,
        _lifetime: Duration,
    ) -> Result<UploadCredentials, StoreError> {
        match *self {}
    }

    /// Never called: no value of this type exists.
    ///
    /// # Errors
    /// None.
    pub async fn probe(&self) -> Result<(), StoreError> {
        match *self {}
    }
}

#[cfg(feature = "sts")]
impl StsBroker {
    /// A broker assuming `role_arn` with the store's own (current) credentials, at
    /// `sts_endpoint`, over the store's HTTPS client.
    #[must_use]
    pub fn new(
        settings: &StoreSettings,
        connection: &Connection,
        role_arn: &str,
        sts_endpoint: &str,
    ) -> Self {
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .endpoint_url(sts_endpoint)
            .http_client(connection.http.clone())
            .credentials_provider(connection.credentials.provider())
            .identity_cache(IdentityCache::no_cache())
            .build();
        Self {
            client: aws_sdk_sts::Client::from_conf(config),
            role_arn: role_arn.to_string(),
            bucket: settings.bucket.clone(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Credentials that may write only `key`, valid at least `lifetime` (STS allows 15 minutes
    /// to 12 hours); the same ones again for the same upload until they near expiry.
    ///
    /// # Errors
    /// When STS refuses or cannot be reached.
    pub async fn credentials_for(
        &self,
        upload: Uuid,
        key: &str,
        lifetime: Duration,
    ) -> Result<UploadCredentials, StoreError> {
        let now = SystemTime::now();
        let cached = self.lock().get(&upload).cloned();
        if let Some(cached) = cached.filter(|cached| cached.expires_at > now + RENEW_BEFORE) {
            return Ok(cached);
        }
        let seconds = lifetime
            .clamp(MIN_SESSION, Duration::from_hours(12))
            .as_secs();
        let output = self
            .client
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(format!("joist-{}", upload.simple()))
            .policy(session_policy(&self.bucket, key).to_string())
            .duration_seconds(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|error| {
                super::unreachable(format!(
                    "STS AssumeRole: {}",
                    aws_sdk_sts::error::DisplayErrorContext(&error)
                ))
            })?;
        let issued = output.credentials.ok_or_else(|| {
            StoreError::Unavailable("STS AssumeRole returned no credentials".into())
        })?;
        let expires_at = SystemTime::try_from(*issued.expiration()).unwrap_or(now + MIN_SESSION);
        let credentials = UploadCredentials {
            credentials: SigningCredentials {
                access_key_id: issued.access_key_id().to_string(),
                secret_access_key: issued.secret_access_key().to_string(),
                session_token: Some(issued.session_token().to_string()),
            },
            expires_at,
        };
        let mut cache = self.lock();
        cache.retain(|_, held| held.expires_at > now);
        cache.insert(upload, credentials.clone());
        Ok(credentials)
    }

    /// Assumes the role once for a probe key, without caching (for the doctor).
    ///
    /// # Errors
    /// When STS refuses or cannot be reached.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let key = format!(".joist-doctor/{}", Uuid::new_v4());
        self.client
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name("joist-doctor")
            .policy(session_policy(&self.bucket, &key).to_string())
            .duration_seconds(i32::try_from(MIN_SESSION.as_secs()).unwrap_or(900))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                super::unreachable(format!(
                    "STS AssumeRole: {}",
                    aws_sdk_sts::error::DisplayErrorContext(&error)
                ))
            })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, UploadCredentials>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
