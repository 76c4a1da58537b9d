//! Settings of what finalize checks beyond type and dimensions: scanning and quarantine
//! (`initializers.joist.checks`).

use serde::Deserialize;

use super::ConfigError;
use crate::scan::ClamdAddress;

/// What to do with an upload when a scanner cannot be asked (down, timed out, the file unreadable
/// in the store). Either way the file is never let through unchecked; a scanner that answers
/// something other than a verdict (garbage, clamd's size limit) always rejects it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanUnavailable {
    /// Answer 503 `scanner_unavailable`; the upload stays open and a later finalize (joist.js
    /// retries) scans it again.
    #[default]
    Retry,
    /// Reject the upload (`422 scan_failed`).
    Reject,
}

/// Scanning and quarantine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Inspect every field's files at finalize (their real type, image metadata, scanners);
    /// `false` is [`crate::Field::skip_inspection`] for every field. Default `true`.
    #[serde(default = "default_inspect")]
    pub inspect: bool,
    /// Every field's uploads land under `quarantine_prefix`, which only the server reads; after
    /// every check passed, finalize copies the object to its final key (server-side) and deletes
    /// the quarantine copy. A field can ask for it alone with `Field::quarantine`. Default `false`.
    #[serde(default)]
    pub quarantine: bool,
    /// Where quarantined uploads land, before `upload_prefix`. Default `quarantine/`.
    #[serde(default = "default_quarantine_prefix")]
    pub quarantine_prefix: String,
    /// clamd's address (`tcp://127.0.0.1:3310` or `unix:///run/clamav/clamd.ctl`): every
    /// inspected upload is streamed to its `INSTREAM` before it gets a field value. Default unset.
    #[serde(default, deserialize_with = "super::empty_as_none")]
    pub clamd: Option<String>,
    /// Seconds one scan may take. Default `120`.
    #[serde(default = "default_scan_timeout")]
    pub scan_timeout: u64,
    /// `retry` (default) or `reject`: see [`ScanUnavailable`].
    #[serde(default)]
    pub scan_unavailable: ScanUnavailable,
    /// Files of at least this size whose checks may take long (scanners, or a promotion from
    /// quarantine) are checked in the background: finalize answers `202` with status
    /// `checking`, and `/status` gives the field value once they passed (joist.js waits,
    /// showing "Checking…"). Default `64 MiB`.
    #[serde(
        default = "default_background_above",
        deserialize_with = "super::byte_size::deserialize"
    )]
    pub background_above: u64,
    /// Seconds a background check may go without finishing before another app instance (or
    /// this one after a restart) runs it again: longer than the slowest scan and promotion.
    /// Default `600`.
    #[serde(default = "default_check_lease")]
    pub check_lease: u64,
    /// Keep a rejected upload's object for review instead of deleting it (under the quarantine
    /// prefix in quarantine mode). Default `false`.
    #[serde(default)]
    pub keep_rejected: bool,
}

impl Default for ChecksConfig {
    fn default() -> Self {
        Self {
            inspect: true,
            quarantine: false,
            quarantine_prefix: default_quarantine_prefix(),
            clamd: None,
            scan_timeout: default_scan_timeout(),
            scan_unavailable: ScanUnavailable::Retry,
            background_above: default_background_above(),
            check_lease: default_check_lease(),
            keep_rejected: false,
        }
    }
}

const fn default_inspect() -> bool {
    true
}

fn default_quarantine_prefix() -> String {
    "quarantine/".to_string()
}

const fn default_scan_timeout() -> u64 {
    120
}

const fn default_background_above() -> u64 {
    64 << 20
}

const fn default_check_lease() -> u64 {
    600
}

impl ChecksConfig {
    /// clamd's parsed address, if set.
    ///
    /// # Errors
    /// `checks.clamd` when it is not an address.
    pub fn clamd_address(&self) -> Result<Option<ClamdAddress>, ConfigError> {
        self.clamd
            .as_deref()
            .map(ClamdAddress::parse)
            .transpose()
            .map_err(|message| ConfigError::new("checks.clamd", message))
    }

    /// Checks the values.
    ///
    /// # Errors
    /// The first key with a bad value.
    pub fn validate(&self, upload_prefix: &str) -> Result<(), ConfigError> {
        let prefix = &self.quarantine_prefix;
        if prefix.is_empty()
            || !prefix.ends_with('/')
            || prefix.starts_with('/')
            || prefix.contains("..")
        {
            return Err(ConfigError::new(
                "checks.quarantine_prefix",
                "must be a folder like `quarantine/`: not empty, ending in `/`, without a leading `/` or `..`",
            ));
        }
        if upload_prefix.starts_with(prefix.as_str()) {
            return Err(ConfigError::new(
                "checks.quarantine_prefix",
                "must not hold `upload_prefix`: promoted files would stay in quarantine",
            ));
        }
        if self.check_lease == 0 {
            return Err(ConfigError::new(
                "checks.check_lease",
                "must be at least 1 second",
            ));
        }
        if self.scan_timeout == 0 {
            return Err(ConfigError::new(
                "checks.scan_timeout",
                "must be at least 1 second",
            ));
        }
        self.clamd_address().map(|_| ())
    }
}
