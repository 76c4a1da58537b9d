//! The credentials joist signs with: explicit keys from the config, a named profile, or the AWS
//! standard chain (environment, shared files, web identity, ECS/EKS container credentials, EC2
//! instance metadata). One cache serves the presigner and the SDK clients, so a rotated key is
//! picked up by both before the old one expires, with no restart.

use std::{
    sync::{Arc, RwLock, Weak},
    time::{Duration, SystemTime},
};

use aws_config::{
    BehaviorVersion, default_provider::credentials::DefaultCredentialsChain,
    profile::ProfileFileCredentialsProvider, provider_config::ProviderConfig,
};
use aws_credential_types::{
    Credentials,
    provider::{ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future},
};
use aws_sdk_s3::config::{Region, SharedHttpClient};

use super::{StoreError, presign::SigningCredentials};

/// Credentials are fetched again when they have less than this left.
pub const REFRESH_BEFORE: Duration = Duration::from_mins(5);
/// While a refresh fails, held credentials with more than this left are still signed with.
const STILL_USABLE: Duration = Duration::from_mins(1);
/// How long a failed refresh waits before the background refresher tries again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// Where the credentials come from.
#[derive(Debug, Clone)]
pub enum CredentialSource {
    /// Keys written in the config (or the development endpoint's own).
    Fixed(SigningCredentials),
    /// The shared config and credentials files' profile of this name.
    Profile(String),
    /// The AWS standard chain.
    Chain,
}

/// Credentials to sign with, and when they stop working (`None`: never).
#[derive(Debug, Clone)]
pub struct TimedCredentials {
    /// The keys.
    pub credentials: SigningCredentials,
    /// When they expire.
    pub expires_at: Option<SystemTime>,
}

impl TimedCredentials {
    /// How long a URL signed with these at `now` may live, at most `wanted`.
    #[must_use]
    pub fn lifetime(&self, wanted: Duration, now: SystemTime) -> Duration {
        self.expires_at.map_or(wanted, |expires_at| {
            wanted.min(expires_at.duration_since(now).unwrap_or_default())
        })
    }
}

impl From<&Credentials> for TimedCredentials {
    fn from(credentials: &Credentials) -> Self {
        Self {
            credentials: SigningCredentials {
                access_key_id: credentials.access_key_id().to_string(),
                secret_access_key: credentials.secret_access_key().to_string(),
                session_token: credentials.session_token().map(str::to_string),
            },
            expires_at: credentials.expiry(),
        }
    }
}

/// The current credentials of one source, fetched again before they expire.
#[derive(Debug)]
pub struct CredentialCache {
    provider: SharedCredentialsProvider,
    current: RwLock<Option<Credentials>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl CredentialCache {
    /// A cache over `source`; its HTTPS calls (STS, container and instance endpoints) go through
    /// `http`.
    #[must_use]
    pub fn new(source: &CredentialSource, region: &str, http: &SharedHttpClient) -> Arc<Self> {
        let provider = match source {
            CredentialSource::Fixed(keys) => SharedCredentialsProvider::new(Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.clone(),
                keys.session_token.clone(),
                None,
                "joist-config",
            )),
            CredentialSource::Profile(name) => SharedCredentialsProvider::new(
                ProfileFileCredentialsProvider::builder()
                    .profile_name(name)
                    .configure(&provider_config(region, http))
                    .build(),
            ),
            CredentialSource::Chain => SharedCredentialsProvider::new(LazyChain {
                config: provider_config(region, http),
                region: region.to_string(),
                chain: tokio::sync::OnceCell::new(),
            }),
        };
        Arc::new(Self {
            provider,
            current: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// The credentials to sign with now, fetched when missing or near expiry.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the source gives no credentials.
    pub async fn current(&self) -> Result<TimedCredentials, StoreError> {
        self.credentials()
            .await
            .map(|credentials| TimedCredentials::from(&credentials))
            .map_err(|error| {
                StoreError::Unavailable(format!(
                    "no credentials: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&error)
                ))
            })
    }

    /// The credentials last fetched, without waiting (`None` before the first fetch).
    #[must_use]
    pub fn cached(&self) -> Option<TimedCredentials> {
        self.read().as_ref().map(TimedCredentials::from)
    }

    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let now = SystemTime::now();
        if let Some(fresh) = self.held_for(now, REFRESH_BEFORE) {
            return Ok(fresh);
        }
        let _refreshing = self.refreshing.lock().await;
        if let Some(fresh) = self.held_for(now, REFRESH_BEFORE) {
            return Ok(fresh);
        }
        let fetched = match self.provider.provide_credentials().await {
            Ok(fetched) => fetched,
            // a source that fails while the held credentials still work: keep using them
            Err(error) => match self.held_for(now, STILL_USABLE) {
                Some(held) => {
                    tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(&error), "joist could not refresh the store credentials; using the current ones until they expire");
                    return Ok(held);
                }
                None => return Err(error),
            },
        };
        if fetched.access_key_id() != self.read().as_ref().map_or("", |held| held.access_key_id()) {
            tracing::info!(access_key_id = fetched.access_key_id(), expires_at = ?fetched.expiry().map(chrono::DateTime::<chrono::Utc>::from), "joist store credentials loaded");
        }
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(fetched.clone());
        Ok(fetched)
    }

    /// The held credentials when they have more than `margin` left at `now`.
    fn held_for(&self, now: SystemTime, margin: Duration) -> Option<Credentials> {
        self.read()
            .as_ref()
            .filter(|held| held.expiry().is_none_or(|expiry| expiry > now + margin))
            .cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Credentials>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps the cached credentials fresh in the background (for the presigned URLs made
    /// without waiting, such as download links in templates) until the cache is dropped.
    pub fn keep_fresh(self: &Arc<Self>) {
        let cache: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some(held) = cache.upgrade() {
                let wait = match held.credentials().await {
                    Ok(credentials) => credentials.expiry().map_or(Duration::MAX, |expiry| {
                        expiry
                            .duration_since(SystemTime::now() + REFRESH_BEFORE)
                            .unwrap_or_default()
                            .max(Duration::from_secs(1))
                    }),
                    Err(error) => {
                        tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(&error), "joist could not refresh the store credentials");
                        RETRY_AFTER_FAILURE
                    }
                };
                drop(held);
                if wait == Duration::MAX {
                    return;
                }
                tokio::time::sleep(wait.min(Duration::from_mins(1))).await;
            }
        });
    }

    /// This cache as the credentials provider of an SDK client (which must not cache on its own).
    #[must_use]
    pub fn provider(self: &Arc<Self>) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(CachedProvider(Arc::clone(self)))
    }
}

fn provider_config(region: &str, http: &SharedHttpClient) -> ProviderConfig {
    ProviderConfig::default()
        .with_http_client(http.clone())
        .with_region(Some(Region::new(region.to_string())))
        .with_behavior_version(Some(BehaviorVersion::latest()))
}

/// The standard chain, built on first use (building it is async).
#[derive(Debug)]
struct LazyChain {
    config: ProviderConfig,
    region: String,
    chain: tokio::sync::OnceCell<DefaultCredentialsChain>,
}

impl ProvideCredentials for LazyChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let chain = self
                .chain
                .get_or_init(|| {
                    DefaultCredentialsChain::builder()
                        .configure(self.config.clone())
                        .region(Region::new(self.region.clone()))
                        .build()
                })
                .await;
            chain.provide_credentials().await
        })
    }
}

#[derive(Debug)]
struct CachedProvider(Arc<CredentialCache>);

impl ProvideCredentials for CachedProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.0.credentials())
    }
}

/// Checks that profile `name` exists in the shared config or credentials files.
///
/// # Errors
/// A sentence naming the profiles there are, when `name` is not one of them or the files do
/// not parse.
pub async fn check_profile(name: &str) -> Result<(), String> {
    let profiles = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        None,
    )
    .await
    .map_err(|error| format!("the shared AWS config files do not load: {error}"))?;
    if profiles.get_profile(name).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = profiles.profiles().collect();
    Err(format!(
        "no profile `{name}` in the shared AWS config or credentials files (they have: {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
}
