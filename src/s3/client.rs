//! Builds the SDK client by hand: region, endpoint, credentials, path style, timeouts.

use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    retry::RetryConfig, timeout::TimeoutConfig,
};

use super::{endpoint::Endpoint, presign::SigningCredentials};

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
    /// Static credentials.
    pub credentials: SigningCredentials,
}

pub fn build(settings: &StoreSettings) -> aws_sdk_s3::Client {
    let credentials = Credentials::new(
        settings.credentials.access_key_id.clone(),
        settings.credentials.secret_access_key.clone(),
        settings.credentials.session_token.clone(),
        None,
        "joist-config",
    );
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .endpoint_url(settings.endpoint.url())
        .force_path_style(settings.path_style)
        .credentials_provider(credentials)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_mins(1))
                .build(),
        )
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
