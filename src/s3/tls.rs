//! The HTTPS clients joist makes (the SDK's, for S3 and STS and the credentials chain, and the
//! doctor's), all on rustls with the ring provider Loco uses, trusting the system's roots and,
//! with `ca_file`, a private CA's.

use std::time::Duration;

use aws_sdk_s3::config::SharedHttpClient;
use aws_smithy_http_client::{
    Builder,
    tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode},
};
use rustls_pki_types::{CertificateDer, pem::PemObject};

/// How long a store call may take to connect, the SDK's and joist's own alike.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one attempt of a store call may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// The trusted roots: the system's, plus the PEM bundle of `ca_file` when set.
#[derive(Debug, Clone, Default)]
pub struct TrustedRoots {
    pem: Option<Vec<u8>>,
}

impl TrustedRoots {
    /// Reads and checks the PEM bundle at `path`.
    ///
    /// # Errors
    /// A sentence saying why the file cannot be used: unreadable, or without a certificate.
    pub fn from_pem_file(path: &str) -> Result<Self, String> {
        let pem = std::fs::read(path).map_err(|error| format!("cannot read `{path}`: {error}"))?;
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("`{path}` is not a PEM bundle: {error}"))?;
        if certificates.is_empty() {
            return Err(format!(
                "`{path}` holds no certificate (expected `-----BEGIN CERTIFICATE-----` blocks)"
            ));
        }
        Ok(Self { pem: Some(pem) })
    }

    /// Whether a private CA is trusted on top of the system's roots.
    #[must_use]
    pub const fn has_private_ca(&self) -> bool {
        self.pem.is_some()
    }

    /// The SDK's HTTP client.
    ///
    /// # Errors
    /// When the TLS settings are refused.
    pub fn sdk_client(&self) -> Result<SharedHttpClient, String> {
        let mut trust = TrustStore::default();
        if let Some(pem) = &self.pem {
            trust = trust.with_pem_certificate(pem.clone());
        }
        let context = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .map_err(|error| error.to_string())?;
        Ok(Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .tls_context(context)
            .build_https())
    }

    /// The doctor's HTTP client.
    ///
    /// # Errors
    /// When the TLS settings are refused.
    pub fn reqwest_client(&self) -> Result<reqwest::Client, String> {
        self.reqwest_builder()?
            .build()
            .map_err(|error| error.to_string())
    }

    /// The client of joist's own signed store calls: the SDK's timeouts (3 s to connect, 20 s
    /// an attempt), and like the SDK's, no proxy from the environment.
    ///
    /// # Errors
    /// When the TLS settings are refused.
    pub fn store_client(&self) -> Result<reqwest::Client, String> {
        self.reqwest_builder()?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(ATTEMPT_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|error| error.to_string())
    }

    fn reqwest_builder(&self) -> Result<reqwest::ClientBuilder, String> {
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &self.pem {
            for certificate in
                reqwest::Certificate::from_pem_bundle(pem).map_err(|error| error.to_string())?
            {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(builder)
    }
}
