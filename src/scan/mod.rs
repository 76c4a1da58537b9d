//! Scanners: host-supplied checks (a virus scanner, say) that every inspected upload must pass
//! before finalize issues its field value. joist ships [`ClamAv`], set up by the `clamd` config key.
//!
//! A scanner that cannot give a verdict never lets a file through. One that answers something
//! else (garbage, an error such as clamd's stream size limit) rejects the upload. One that cannot
//! be reached: with `checks.scan_unavailable: retry` (the default) finalize answers 503 and the
//! upload stays open for a later finalize; with `reject` the upload is rejected.

mod clamav;

use std::sync::Arc;

use async_trait::async_trait;

pub use clamav::{ClamAv, ClamdAddress};

use crate::s3::Store;

/// What a scanner decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found.
    Clean,
    /// Refused, with the scanner's name for what it found (e.g. `Eicar-Signature`).
    Infected(String),
}

/// A scanner that could not give a verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// It could not be reached, or did not answer in time.
    #[error("the scanner is unavailable: {0}")]
    Unavailable(String),
    /// It answered something that is not a verdict (an error, a limit, garbage).
    #[error("the scanner gave no verdict: {0}")]
    NoVerdict(String),
    /// The object could not be read from the store.
    #[error("the file could not be read from the store: {0}")]
    Store(String),
}

/// An object to scan: where it is, and what the client said it is.
#[derive(Debug, Clone, Copy)]
pub struct ScanTarget<'a> {
    /// The store that holds it.
    pub store: &'a Store,
    /// Its key there (under the quarantine prefix in quarantine mode).
    pub key: &'a str,
    /// Its size in bytes.
    pub size: u64,
}

/// A check every inspected upload must pass.
///
/// ```
/// use joist::scan::{ScanError, ScanTarget, Scanner, Verdict};
///
/// /// Refuses files over a size this scanner is licensed for.
/// struct SizeCap(u64);
///
/// #[async_trait::async_trait]
/// impl Scanner for SizeCap {
///     fn name(&self) -> &str {
///         "size-cap"
///     }
///     async fn scan(&self, target: ScanTarget<'_>) -> Result<Verdict, ScanError> {
///         Ok(if target.size > self.0 { Verdict::Infected("too large to vouch for".into()) } else { Verdict::Clean })
///     }
/// }
/// ```
#[async_trait]
pub trait Scanner: Send + Sync + 'static {
    /// A short name, recorded with a refusal.
    fn name(&self) -> &str;

    /// Checks the object.
    ///
    /// # Errors
    /// When it cannot decide: the file is then not let through.
    async fn scan(&self, target: ScanTarget<'_>) -> Result<Verdict, ScanError>;
}

/// The scanners joist runs, in order.
#[derive(Clone, Default)]
pub struct Scanners(Vec<Arc<dyn Scanner>>);

impl std::fmt::Debug for Scanners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|scanner| scanner.name()))
            .finish()
    }
}

/// The first scanner that refused the object, and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The scanner's name.
    pub scanner: String,
    /// What it found.
    pub signature: String,
}

impl Scanners {
    /// Adds a scanner.
    #[must_use]
    pub fn with(mut self, scanner: Arc<dyn Scanner>) -> Self {
        self.0.push(scanner);
        self
    }

    /// Whether there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs every scanner until one refuses the object.
    ///
    /// # Errors
    /// The first scanner that could not decide.
    pub async fn scan(&self, target: ScanTarget<'_>) -> Result<Option<Finding>, ScanError> {
        for scanner in &self.0 {
            if let Verdict::Infected(signature) = scanner.scan(target).await? {
                let scanner = scanner.name().to_string();
                return Ok(Some(Finding { scanner, signature }));
            }
        }
        Ok(None)
    }
}
