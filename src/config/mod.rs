//! The `initializers.joist` block of a host's config.
//!
//! Every key, its default and its meaning is listed in the README's config reference.

pub mod byte_size;
mod checks;
mod dev_endpoint;

use std::time::Duration;

pub use checks::{ChecksConfig, ScanUnavailable};
pub use dev_endpoint::DevEndpointConfig;
use serde::Deserialize;

/// Where joist's block lives in a Loco config.
pub const CONFIG_PATH: &str = "initializers.joist";

/// A config value that is missing or wrong, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("{CONFIG_PATH}.{key}: {message}")]
pub struct ConfigError {
    /// The key under `initializers.joist`, dotted.
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// Static credentials for the store. When absent (and no `credentials_profile` is set), joist
/// uses the AWS standard credentials chain: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
/// `AWS_SESSION_TOKEN`, the shared config and credentials files (`AWS_PROFILE`), web identity
/// tokens (EKS IRSA), ECS/EKS container credentials and EC2 instance metadata (IMDSv2).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsConfig {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// A session token, for temporary credentials.
    #[serde(default)]
    pub session_token: Option<String>,
}

impl std::fmt::Debug for CredentialsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsConfig")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// joist's settings, read from `initializers.joist`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoistConfig {
    /// Path the JSON API is mounted under. Default `/api/joist`.
    #[serde(default = "defaults::api_base_url")]
    pub api_base_url: String,
    /// Path the admin pages are mounted under (see `joist::controllers::admin::routes`). Default
    /// `/admin/joist`.
    #[serde(default = "defaults::admin_base_url")]
    pub admin_base_url: String,
    /// Prefix of every object key (e.g. `uploads/`). Default empty.
    #[serde(default)]
    pub upload_prefix: String,
    /// IAM role to assume for signing each upload's URLs with scoped temporary credentials.
    /// Default unset (URLs are signed with the configured credentials).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub upload_sts_arn: Option<String>,
    /// With `upload_sts_arn`: also return each upload's temporary credentials, bucket, key, region
    /// and endpoint from `prepare`, for SDK clients. Default `false`.
    #[serde(default)]
    pub sts_expose_credentials: bool,
    /// Refuse a single-PUT `prepare` that sends no `checksum` (`422 checksum_required`). The
    /// checksum is signed into the PUT URL, so the URL can only ever write those bytes: set it on
    /// stores that ignore the `If-None-Match: *` joist also signs (Garage does), when clients
    /// other than joist.js (which always sends one on https pages) use the API. Default `false`.
    #[serde(default)]
    pub require_checksum: bool,
    /// The STS endpoint. Default: `endpoint` when set (emulators serve STS there), else AWS STS
    /// of `region`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub sts_endpoint: Option<String>,
    /// The bucket uploads go to. Required.
    pub bucket: Option<String>,
    /// The store's region. Default `us-east-1`.
    #[serde(default = "defaults::region")]
    pub region: String,
    /// The S3 endpoint the server talks to (e.g. `http://127.0.0.1:3900`). Default: AWS S3.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub endpoint: Option<String>,
    /// The endpoint browsers use, when it differs from `endpoint` (a proxy, a public host name).
    /// Default: same as `endpoint`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub public_endpoint: Option<String>,
    /// Where files of fields with [`crate::Field::public_delivery`] are served from without a
    /// signature (a CDN in front of the bucket, e.g. `https://cdn.example.com/uploads`): their
    /// URLs are this plus `/` and the object key. Default: unset, every URL is presigned.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub public_base_url: Option<String>,
    /// Path-style URLs (`host/bucket/key`) instead of virtual-host style (`bucket.host/key`).
    /// Default `false`; most self-hosted stores need `true`.
    #[serde(default)]
    pub path_style: bool,
    /// Static credentials. Default: the AWS standard credentials chain (environment, shared
    /// files, web identity, container credentials, instance metadata), refreshed before expiry.
    #[serde(default)]
    pub credentials: Option<CredentialsConfig>,
    /// A profile of the shared AWS config and credentials files (`~/.aws/config`,
    /// `~/.aws/credentials`) to take the credentials from, instead of the standard chain; a
    /// profile with `role_arn` and `source_profile` assumes that role. Default unset.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub credentials_profile: Option<String>,
    /// A PEM bundle of CA certificates to trust, on top of the system's, in every HTTPS call
    /// joist makes (the store, STS, credential endpoints, the doctor): for a store behind a
    /// private CA. Default unset.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub ca_file: Option<String>,
    /// Files of at least this size are uploaded in parts. Default `64 MiB`.
    #[serde(
        default = "defaults::multipart_threshold",
        deserialize_with = "byte_size::deserialize"
    )]
    pub multipart_threshold: u64,
    /// Preferred part size; raised so a file has at most 10,000 parts. Default `16 MiB`.
    #[serde(
        default = "defaults::part_size",
        deserialize_with = "byte_size::deserialize"
    )]
    pub part_size: u64,
    /// Largest object accepted by any field. Default `5 TiB` (the S3 limit).
    #[serde(
        default = "defaults::max_object_size",
        deserialize_with = "byte_size::deserialize"
    )]
    pub max_object_size: u64,
    /// How many part URLs one response signs at most. Default `16`.
    #[serde(default = "defaults::part_url_window")]
    pub part_url_window: u32,
    /// Seconds a signed S3 URL stays valid. Default `3600`.
    #[serde(default = "defaults::url_lifetime")]
    pub url_lifetime: u64,
    /// Seconds an upload token stays valid (the whole upload must finish in it). Default `86400`.
    #[serde(default = "defaults::token_lifetime")]
    pub token_lifetime: u64,
    /// Seconds a finalized upload's field value may still be submitted with a form. Default `86400`.
    #[serde(default = "defaults::token_lifetime")]
    pub field_value_lifetime: u64,
    /// Signing secrets, at least 32 characters each: the first signs, all verify (rotation). Required.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Fields that accept anonymous uploads in this environment, on top of those declared public in code.
    #[serde(default)]
    pub public_fields: Vec<String>,
    /// How many times a failing event handler is retried. Default `3`.
    #[serde(default = "defaults::event_retries")]
    pub event_retries: u32,
    /// Milliseconds before the first retry of a failing handler; doubled for each next one.
    /// Default `1000`.
    #[serde(default = "defaults::event_backoff")]
    pub event_backoff: u64,
    /// Seconds an event's delivery may take before the sweeper delivers it again (the process
    /// delivering it is then presumed dead): longer than the slowest handler, plus the time a
    /// job may wait in the queue. Default `300`.
    #[serde(default = "defaults::event_lease")]
    pub event_lease: u64,
    /// Milliseconds between two sweeps for due events (undelivered after a crash, or due for a
    /// retry). Default `5000`.
    #[serde(default = "defaults::event_sweep_interval")]
    pub event_sweep_interval: u64,
    /// Seconds after which an unfinished upload (or a multipart upload the store holds that no
    /// upload owns) is abandoned by cleanup. Default `172800` (2 days).
    #[serde(default = "defaults::two_days")]
    pub cleanup_stale_after: u64,
    /// Seconds after finalize within which a file must be attached, or cleanup deletes it.
    /// Default `172800` (2 days).
    #[serde(default = "defaults::two_days")]
    pub cleanup_unattached_ttl: u64,
    /// Records cleanup handles per query. Default `100`.
    #[serde(default = "defaults::cleanup_batch")]
    pub cleanup_batch: u64,
    /// How many uploads one owner (or, for anonymous uploads, one client address) may prepare
    /// per minute, counted across every app instance (in the database, or `limits_redis`);
    /// past it `prepare` answers 429. 0 turns it off. Default 60.
    #[serde(default = "defaults::prepare_rate_limit")]
    pub prepare_rate_limit: u32,
    /// A Redis URL (`redis://host:6379/0`) to count `prepare_rate_limit` in, instead of the
    /// database; every app instance must use the same one. Default unset (the database).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub limits_redis: Option<String>,
    /// How many unfinished (prepared or uploading) uploads one signed-in owner may have; past
    /// it `prepare` answers 429. 0 turns it off. Default 100.
    #[serde(default = "defaults::max_unfinished_uploads")]
    pub max_unfinished_uploads: u64,
    /// Reverse proxies (CIDRs such as `10.0.0.0/8`, or single addresses) whose `Forwarded` /
    /// `X-Forwarded-For` headers name the client, for the anonymous rate limit and the logs.
    /// From any other peer the headers are ignored. Loco's remote-IP middleware, when the host
    /// enables it (`server.middlewares.remote_ip`), takes precedence. Default: none.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The header the trusted proxies set: `X-Forwarded-For` (nginx, HAProxy, AWS ALB) or
    /// `Forwarded` (RFC 7239). Only this one is read. Default `X-Forwarded-For`.
    #[serde(default = "defaults::client_address_header")]
    pub client_address_header: String,
    /// Origins browsers upload from, for the bucket CORS rule (`joist:cors`). Default: the app's
    /// `server.host`.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// The embedded development S3 endpoint. Default disabled.
    #[serde(default)]
    pub dev_endpoint: DevEndpointConfig,
    /// Scanning and quarantine (see [`ChecksConfig`]). Default: no scanner, no quarantine.
    #[serde(default)]
    pub checks: ChecksConfig,
}

impl std::fmt::Debug for JoistConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoistConfig")
            .field("api_base_url", &self.api_base_url)
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .finish_non_exhaustive()
    }
}

mod defaults {
    pub fn api_base_url() -> String {
        "/api/joist".to_string()
    }
    pub fn admin_base_url() -> String {
        "/admin/joist".to_string()
    }
    pub fn client_address_header() -> String {
        "X-Forwarded-For".to_string()
    }
    pub fn region() -> String {
        "us-east-1".to_string()
    }
    pub const fn multipart_threshold() -> u64 {
        64 << 20
    }
    pub const fn part_size() -> u64 {
        16 << 20
    }
    pub const fn max_object_size() -> u64 {
        5 << 40
    }
    pub const fn part_url_window() -> u32 {
        16
    }
    pub const fn url_lifetime() -> u64 {
        3600
    }
    pub const fn token_lifetime() -> u64 {
        86_400
    }
    pub const fn two_days() -> u64 {
        172_800
    }
    pub const fn cleanup_batch() -> u64 {
        100
    }
    pub const fn prepare_rate_limit() -> u32 {
        60
    }
    pub const fn max_unfinished_uploads() -> u64 {
        100
    }
    pub const fn event_retries() -> u32 {
        3
    }
    pub const fn event_backoff() -> u64 {
        1000
    }
    pub const fn event_lease() -> u64 {
        300
    }
    pub const fn event_sweep_interval() -> u64 {
        5000
    }
}

/// The S3 limits joist plans within.
pub mod limits {
    /// Smallest part S3 accepts (except the last).
    pub const MIN_PART_SIZE: u64 = 5 << 20;
    /// Largest part S3 accepts.
    pub const MAX_PART_SIZE: u64 = 5 << 30;
    /// Most parts one multipart upload may have.
    pub const MAX_PARTS: u64 = 10_000;
    /// Longest lifetime of a SigV4 presigned URL.
    pub const MAX_URL_LIFETIME: u64 = 7 * 86_400;
}

/// An optional setting where an empty string (e.g. an unset environment variable in a config
/// template) means unset.
fn empty_as_none<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let value: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    Ok(value.filter(|text| !text.trim().is_empty()))
}

/// Checks that a mount path starts with `/` and does not end with one.
fn mount_path(key: &str, path: &str) -> Result<(), ConfigError> {
    if path.starts_with('/') && !path.ends_with('/') {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            "must start with `/` and not end with one, e.g. `/api/joist`",
        ))
    }
}

impl JoistConfig {
    /// Reads and validates joist's block from a Loco config.
    ///
    /// # Errors
    /// When the block is missing, does not parse, or holds a value joist cannot work with;
    /// the error names the key.
    pub fn from_loco(config: &loco_rs::config::Config) -> Result<Self, ConfigError> {
        let block = config
            .initializers
            .as_ref()
            .and_then(|initializers| initializers.get("joist"))
            .ok_or_else(|| ConfigError::new("", "the block is missing: add `initializers: { joist: { bucket: ..., secrets: [...] } }` to the config"))?;
        let parsed: Self = serde_json::from_value(block.clone())
            .map_err(|error| ConfigError::new("", error.to_string()))?;
        parsed.validate()?;
        Ok(parsed)
    }

    /// Checks the values against each other and against S3's limits.
    ///
    /// # Errors
    /// The first value that is wrong, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.bucket.as_deref().is_none_or(str::is_empty) {
            return Err(ConfigError::new(
                "bucket",
                "required: the bucket uploads go to",
            ));
        }
        mount_path("api_base_url", &self.api_base_url)?;
        mount_path("admin_base_url", &self.admin_base_url)?;
        if self.upload_prefix.starts_with('/') || self.upload_prefix.contains("..") {
            return Err(ConfigError::new(
                "upload_prefix",
                "must not start with `/` or contain `..`",
            ));
        }
        if self.secrets.is_empty() {
            return Err(ConfigError::new(
                "secrets",
                "required: at least one secret of 32+ characters (e.g. from `openssl rand -hex 32`)",
            ));
        }
        if let Some(index) = self.secrets.iter().position(|secret| secret.len() < 32) {
            return Err(ConfigError::new(
                &format!("secrets[{index}]"),
                "too short: use at least 32 characters",
            ));
        }
        if !(limits::MIN_PART_SIZE..=limits::MAX_PART_SIZE).contains(&self.part_size) {
            return Err(ConfigError::new(
                "part_size",
                "must be between 5 MiB and 5 GiB",
            ));
        }
        if self.multipart_threshold < limits::MIN_PART_SIZE {
            return Err(ConfigError::new(
                "multipart_threshold",
                "must be at least 5 MiB (the smallest S3 part)",
            ));
        }
        if self.max_object_size == 0 {
            return Err(ConfigError::new("max_object_size", "must be above 0"));
        }
        if self.part_url_window == 0 || self.part_url_window > 1000 {
            return Err(ConfigError::new(
                "part_url_window",
                "must be between 1 and 1000",
            ));
        }
        if self.url_lifetime == 0 || self.url_lifetime > limits::MAX_URL_LIFETIME {
            return Err(ConfigError::new(
                "url_lifetime",
                "must be between 1 and 604800 seconds (7 days)",
            ));
        }
        if self.event_lease == 0 || self.event_sweep_interval == 0 {
            return Err(ConfigError::new(
                "event_lease",
                "`event_lease` and `event_sweep_interval` must be above 0",
            ));
        }
        if self.cleanup_batch == 0 {
            return Err(ConfigError::new("cleanup_batch", "must be above 0"));
        }
        if self.token_lifetime == 0 || self.field_value_lifetime == 0 {
            return Err(ConfigError::new(
                "token_lifetime",
                "lifetimes must be above 0 seconds",
            ));
        }
        self.checks.validate(&self.upload_prefix)?;
        self.validate_store()
    }

    /// Checks the store, credentials and proxy settings.
    fn validate_store(&self) -> Result<(), ConfigError> {
        if let Err((index, entry)) =
            crate::client_address::TrustedProxies::parse(&self.trusted_proxies)
        {
            return Err(ConfigError::new(
                &format!("trusted_proxies[{index}]"),
                format!("`{entry}` is not a CIDR (`10.0.0.0/8`) or an IP address"),
            ));
        }
        crate::client_address::ForwardedHeader::parse(&self.client_address_header)
            .map_err(|message| ConfigError::new("client_address_header", message))?;
        if let Some(url) = &self.limits_redis
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError::new(
                "limits_redis",
                format!("`{url}` must be a Redis URL like `redis://127.0.0.1:6379/0`"),
            ));
        }
        for (key, value) in [
            ("endpoint", &self.endpoint),
            ("public_endpoint", &self.public_endpoint),
            ("public_base_url", &self.public_base_url),
        ] {
            if let Some(url) = value {
                check_endpoint(key, url)?;
            }
        }
        if self.dev_endpoint.enabled && self.endpoint.is_some() {
            return Err(ConfigError::new(
                "dev_endpoint.enabled",
                "set either `endpoint` or `dev_endpoint.enabled`, not both",
            ));
        }
        if self.upload_sts_arn.is_some() && self.dev_endpoint.enabled {
            return Err(ConfigError::new(
                "upload_sts_arn",
                "the development endpoint has no STS: unset it, or use a real store",
            ));
        }
        if self.sts_expose_credentials && self.upload_sts_arn.is_none() {
            return Err(ConfigError::new(
                "sts_expose_credentials",
                "needs `upload_sts_arn`",
            ));
        }
        for (key, set) in [
            ("credentials", self.credentials.is_some()),
            ("credentials_profile", self.credentials_profile.is_some()),
        ] {
            if set && self.dev_endpoint.enabled {
                return Err(ConfigError::new(
                    key,
                    format!("the development endpoint uses its own credentials: remove `{key}`"),
                ));
            }
        }
        if self.credentials.is_some() && self.credentials_profile.is_some() {
            return Err(ConfigError::new(
                "credentials_profile",
                "set either `credentials` or `credentials_profile`, not both",
            ));
        }
        Ok(())
    }

    /// The bucket (validated present).
    #[must_use]
    pub fn bucket(&self) -> &str {
        self.bucket.as_deref().unwrap_or_default()
    }

    /// [`Self::event_lease`] as a duration.
    #[must_use]
    pub const fn event_lease(&self) -> Duration {
        Duration::from_secs(self.event_lease)
    }

    /// [`Self::event_sweep_interval`] as a duration.
    #[must_use]
    pub const fn event_sweep_interval(&self) -> Duration {
        Duration::from_millis(self.event_sweep_interval)
    }

    /// [`Self::url_lifetime`] as a duration.
    #[must_use]
    pub const fn url_lifetime(&self) -> Duration {
        Duration::from_secs(self.url_lifetime)
    }
}

fn check_endpoint(key: &str, url: &str) -> Result<(), ConfigError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| ConfigError::new(key, format!("`{url}` is not a URL")))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) if uri.query().is_none() => Ok(()),
        _ => Err(ConfigError::new(
            key,
            format!("`{url}` must be an http(s) URL like `https://s3.example.com`"),
        )),
    }
}

#[cfg(test)]
mod tests;
