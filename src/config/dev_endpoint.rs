//! Settings of the embedded development S3 endpoint.

use std::path::PathBuf;

use serde::Deserialize;

/// The embedded S3-compatible endpoint (s3s-fs on a folder) for development and tests.
///
/// **Development only**: it keeps objects as plain files, has one fixed key pair and lets every
/// origin through CORS. Never point production at it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevEndpointConfig {
    /// Start the endpoint with the app and use it as the store. Default `false`.
    #[serde(default)]
    pub enabled: bool,
    /// Address to listen on; port `0` picks a free one. Default `127.0.0.1:9090`.
    #[serde(default = "default_bind")]
    pub bind: String,
    /// Folder the objects are kept in (one sub-folder per bucket). Default `storage/joist`.
    #[serde(default = "default_root")]
    pub root: PathBuf,
}

impl Default for DevEndpointConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            bind: default_bind(),
            root: default_root(),
        }
    }
}

fn default_bind() -> String {
    "127.0.0.1:9090".to_string()
}

fn default_root() -> PathBuf {
    PathBuf::from("storage/joist")
}
