//! Builds the SDK client by hand: region, endpoint, credentials, path style, timeouts, TLS.

use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, IdentityCache, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    SharedHttpClient, retry::RetryConfig, timeout::TimeoutConfig,
};

use super::{
    credentials::CredentialSource,
    endpoint::Endpoint,
    tls::{ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, TrustedRoots},
};

/// Everything needed to talk to the store, resolved from the config.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// The bucket.
    pub bucket: String,
    /// The region (also the SigV4 scope).
    pub region: String,
    /// The endpoint the server calls.
    pub endpoint: Endpoint,
    /// The endpoint presigned URLs point at.
    pub public_endpoint: Endpoint,
    /// Path-style addressing.
    pub path_style: bool,
    /// Where the credentials come from.
    pub credentials: CredentialSource,
    /// The roots HTTPS connections trust.
    pub roots: TrustedRoots,
}

/// What every SDK client of one store shares: the HTTPS client and the credentials cache.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The HTTPS client.
    pub http: SharedHttpClient,
    /// The credentials.
    pub credentials: std::sync::Arc<super::credentials::CredentialCache>,
}

pub fn build(settings: &StoreSettings, connection: &Connection) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .endpoint_url(settings.endpoint.url())
        .force_path_style(settings.path_style)
        .http_client(connection.http.clone())
        .credentials_provider(connection.credentials.provider())
        // the credentials cache refreshes ahead of expiry; a second cache would hold rotated keys
        .identity_cache(IdentityCache::no_cache())
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(Duration::from_mins(1))
                .build(),
        )
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
