//! The service a host's handlers and joist's own controllers share.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::http::request::Parts;
use loco_rs::app::AppContext;
use uuid::Uuid;

use crate::{
    Error, Result,
    admin::AuthorizeAdmin,
    client_address::{ForwardedHeader, TrustedProxies},
    config::{ConfigError, CredentialsConfig, JoistConfig},
    events::Handlers,
    field::{Denied, Fields, Owner},
    limits::RateLimiter,
    models::{Upload, insert_queue::InsertQueue},
    s3::{
        Store, StoreError, StoreSettings,
        credentials::{self, CredentialSource, TimedCredentials},
        endpoint::Endpoint,
        presign::SigningCredentials,
        sts::{StsBroker, UploadCredentials},
        tls::TrustedRoots,
    },
    scan::{ClamAv, Scanners},
    signing::Signer,
};

/// joist, set up: config, fields, signer and store. Cheap to clone.
#[derive(Clone)]
pub struct Joist {
    inner: Arc<Inner>,
}

struct Inner {
    config: JoistConfig,
    fields: Fields,
    handlers: Handlers,
    admin: Arc<dyn AuthorizeAdmin>,
    signer: Signer,
    limiter: RateLimiter,
    trusted_proxies: TrustedProxies,
    upload_locks: std::sync::Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    store: Store,
    sts: Option<StsBroker>,
    scanners: Scanners,
    inserts: InsertQueue,
}

impl std::fmt::Debug for Joist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joist")
            .field("config", &self.inner.config)
            .field("fields", &self.inner.fields)
            .finish_non_exhaustive()
    }
}

fn config_error(key: &str, message: impl Into<String>) -> Error {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
    .into()
}

/// The embedded endpoint, started: its URL and fixed key pair.
#[cfg(feature = "dev-endpoint")]
fn dev_store(config: &JoistConfig) -> Result<(Endpoint, bool, CredentialSource)> {
    use crate::dev_endpoint;
    let address = dev_endpoint::ensure_running(
        &config.dev_endpoint.bind,
        &config.dev_endpoint.root,
        config.bucket(),
    )?;
    Ok((
        Endpoint::parse(&format!("http://{address}"), true),
        true,
        CredentialSource::Fixed(dev_endpoint::credentials()),
    ))
}

/// Built without the embedded endpoint: the config that enables it is refused.
#[cfg(not(feature = "dev-endpoint"))]
fn dev_store(_config: &JoistConfig) -> Result<(Endpoint, bool, CredentialSource)> {
    Err(config_error(
        "dev_endpoint.enabled",
        "joist was built without its `dev-endpoint` feature",
    ))
}

/// The upload role's broker, when `upload_sts_arn` is set (the same signature as the build
/// without STS, which refuses the key).
#[cfg(feature = "sts")]
#[allow(clippy::unnecessary_wraps)]
fn sts_broker(
    config: &JoistConfig,
    settings: &StoreSettings,
    store: &Store,
) -> Result<Option<StsBroker>> {
    Ok(config.upload_sts_arn.as_deref().map(|role_arn| {
        let endpoint = config
            .sts_endpoint
            .clone()
            .or_else(|| config.endpoint.clone());
        let endpoint =
            endpoint.unwrap_or_else(|| format!("https://sts.{}.amazonaws.com", config.region));
        StsBroker::new(settings, store.connection(), role_arn, &endpoint)
    }))
}

/// Built without STS: `upload_sts_arn` is refused.
#[cfg(not(feature = "sts"))]
fn sts_broker(
    config: &JoistConfig,
    _settings: &StoreSettings,
    _store: &Store,
) -> Result<Option<StsBroker>> {
    match config.upload_sts_arn {
        Some(_) => Err(config_error(
            "upload_sts_arn",
            "joist was built without its `sts` feature",
        )),
        None => Ok(None),
    }
}

/// `handlers` and, after them, the job that makes the variants of each field declaring some.
#[cfg(feature = "variants")]
#[allow(clippy::unnecessary_wraps)]
fn with_variant_jobs(fields: &Fields, mut handlers: Handlers) -> Result<Handlers> {
    for field in fields
        .iter()
        .filter(|field| field.variants().next().is_some())
    {
        handlers = handlers.with_builtin(field.name(), crate::variants::GenerateVariants);
    }
    Ok(handlers)
}

/// Built without variants: a field declaring some is refused.
#[cfg(not(feature = "variants"))]
fn with_variant_jobs(fields: &Fields, handlers: Handlers) -> Result<Handlers> {
    match fields
        .iter()
        .find(|field| field.variants().next().is_some())
    {
        Some(field) => Err(config_error(
            "fields",
            format!(
                "`{}` declares image variants; joist was built without its `variants` feature",
                field.name()
            ),
        )),
        None => Ok(handlers),
    }
}

async fn store_settings(config: &JoistConfig) -> Result<StoreSettings> {
    let (endpoint, path_style, credentials) = if config.dev_endpoint.enabled {
        dev_store(config)?
    } else {
        let endpoint = config.endpoint.as_deref().map_or_else(
            || Endpoint::aws(&config.region, config.path_style),
            |url| Endpoint::parse(url, config.path_style),
        );
        let credentials = match (&config.credentials, &config.credentials_profile) {
            (
                Some(CredentialsConfig {
                    access_key_id,
                    secret_access_key,
                    session_token,
                }),
                _,
            ) => CredentialSource::Fixed(SigningCredentials {
                access_key_id: access_key_id.clone(),
                secret_access_key: secret_access_key.clone(),
                session_token: session_token.clone(),
            }),
            (None, Some(profile)) => {
                credentials::check_profile(profile)
                    .await
                    .map_err(|message| config_error("credentials_profile", message))?;
                CredentialSource::Profile(profile.clone())
            }
            (None, None) => CredentialSource::Chain,
        };
        (endpoint, config.path_style, credentials)
    };
    let public_endpoint = config
        .public_endpoint
        .as_deref()
        .map_or_else(|| endpoint.clone(), |url| Endpoint::parse(url, path_style));
    let roots = match &config.ca_file {
        Some(path) => {
            TrustedRoots::from_pem_file(path).map_err(|message| config_error("ca_file", message))?
        }
        None => TrustedRoots::default(),
    };
    Ok(StoreSettings {
        bucket: config.bucket().to_string(),
        region: config.region.clone(),
        endpoint,
        public_endpoint,
        path_style,
        credentials,
        roots,
    })
}

impl Joist {
    /// Sets joist up from its validated config, the host's fields, event handlers and admin
    /// authorizer; starts the development endpoint when the config enables it, loads the store
    /// credentials and keeps them fresh in the background.
    ///
    /// # Errors
    /// When a public field is not declared, `credentials_profile` names no profile, `ca_file`
    /// cannot be used, or the development endpoint cannot start.
    pub async fn new(
        config: JoistConfig,
        fields: Fields,
        handlers: Handlers,
        admin: Arc<dyn AuthorizeAdmin>,
        scanners: Scanners,
    ) -> Result<Self> {
        let fields = fields
            .open_to_public(&config.public_fields)
            .map_err(|message| ConfigError {
                key: "public_fields".into(),
                message,
            })?;
        let fields = if config.checks.inspect {
            fields
        } else {
            fields.without_inspection()
        };
        let handlers = with_variant_jobs(&fields, handlers)?;
        let settings = store_settings(&config).await?;
        let store = Store::new(&settings).map_err(|message| config_error("ca_file", message))?;
        if let Err(error) = store.credentials().await {
            tracing::error!(%error, "joist has no store credentials yet; it keeps trying");
        }
        store.connection().credentials.keep_fresh();
        let sts = sts_broker(&config, &settings, &store)?;
        let signer = Signer::new(&config.secrets);
        let limiter = match &config.limits_redis {
            Some(url) => RateLimiter::in_redis(config.prepare_rate_limit, url)
                .map_err(|error| config_error("limits_redis", error.to_string()))?,
            None => RateLimiter::in_database(config.prepare_rate_limit),
        };
        // validated with the config
        let trusted_proxies = TrustedProxies::parse(&config.trusted_proxies)
            .unwrap_or_default()
            .with_header(ForwardedHeader::parse(&config.client_address_header).unwrap_or_default());
        let clamd = config
            .checks
            .clamd_address()
            .map_err(|error| config_error(&error.key, error.message))?;
        let scanners = match clamd {
            Some(address) => {
                let timeout = Duration::from_secs(config.checks.scan_timeout);
                scanners.with(Arc::new(ClamAv::new(address, timeout)))
            }
            None => scanners,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                fields,
                handlers,
                admin,
                signer,
                limiter,
                trusted_proxies,
                upload_locks: std::sync::Mutex::default(),
                store,
                sts,
                scanners,
                inserts: InsertQueue::default(),
            }),
        })
    }

    /// The instance the initializer put into the app context.
    ///
    /// # Errors
    /// [`Error::NotSetUp`] when the initializer did not run.
    pub fn from_context(ctx: &AppContext) -> Result<Self> {
        ctx.shared_store.get::<Self>().ok_or(Error::NotSetUp)
    }

    /// This joist with `config` instead (the same fields, handlers, admin authorizer and
    /// scanners): how [`crate::testing::TestStore`] points a booted app at its own store.
    #[cfg(feature = "testing")]
    pub(crate) async fn reconfigured(&self, mut config: JoistConfig) -> Result<Self> {
        // clamd's scanner, when configured, is among the scanners already
        config.checks.clamd = None;
        Self::new(
            config,
            self.inner.fields.clone(),
            self.inner.handlers.clone().host_only(),
            Arc::clone(&self.inner.admin),
            self.inner.scanners.clone(),
        )
        .await
    }

    /// The config.
    #[must_use]
    pub fn config(&self) -> &JoistConfig {
        &self.inner.config
    }

    /// The declared fields.
    #[must_use]
    pub fn fields(&self) -> &Fields {
        &self.inner.fields
    }

    /// The event handlers.
    #[must_use]
    pub fn handlers(&self) -> &Handlers {
        &self.inner.handlers
    }

    /// The scanners every inspected upload must pass: the host's, then ClamAV with `checks.clamd`.
    #[must_use]
    pub fn scanners(&self) -> &Scanners {
        &self.inner.scanners
    }

    /// `Some(kind)` when a handler listens to `kind` on `field`: the event a state change
    /// records (see [`crate::models::uploads::Changes::event`]).
    #[must_use]
    pub fn listening(
        &self,
        kind: crate::events::UploadEventKind,
        field: &str,
    ) -> Option<crate::events::UploadEventKind> {
        self.inner.handlers.any(kind, field).then_some(kind)
    }

    /// Who may use the admin pages.
    #[must_use]
    pub fn admin(&self) -> &dyn AuthorizeAdmin {
        self.inner.admin.as_ref()
    }

    /// The token and field-value signer.
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    /// The `prepare_rate_limit` counter.
    #[must_use]
    pub fn prepare_limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// The address of the client that sent `request`, through `trusted_proxies` (see
    /// [`TrustedProxies::client_address`]).
    pub async fn client_address(&self, request: &mut Parts) -> Option<std::net::IpAddr> {
        self.inner.trusted_proxies.client_address(request).await
    }

    /// Waits until no other call of this app process works on upload `id`, and holds it until
    /// the guard drops (racing finalizes then see each other's result).
    pub(crate) async fn lock_upload(&self, id: Uuid) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .inner
                .upload_locks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            Arc::clone(locks.entry(id).or_default())
        };
        lock.lock_owned().await
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The queue that records concurrent `prepare`s in one statement.
    #[must_use]
    pub fn inserts(&self) -> &InsertQueue {
        &self.inner.inserts
    }

    /// The temporary credentials that sign `upload`'s URLs when `upload_sts_arn` is set.
    ///
    /// # Errors
    /// When STS refuses or cannot be reached.
    pub async fn upload_credentials(
        &self,
        upload: &Upload,
    ) -> std::result::Result<Option<UploadCredentials>, StoreError> {
        match &self.inner.sts {
            Some(sts) => sts
                .credentials_for(
                    upload.id,
                    upload.landing(),
                    self.inner.config.url_lifetime(),
                )
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// The credentials `upload`'s URLs are signed with: its temporary ones when `upload_sts_arn`
    /// is set, else the store's current ones.
    ///
    /// # Errors
    /// When STS refuses, or no credentials can be had.
    pub async fn signing_credentials(
        &self,
        temporary: Option<&UploadCredentials>,
    ) -> std::result::Result<TimedCredentials, StoreError> {
        match temporary {
            Some(temporary) => Ok(TimedCredentials::from(temporary)),
            None => self.inner.store.credentials().await,
        }
    }

    /// Assumes the upload role once, when `upload_sts_arn` is set (`None` otherwise).
    pub async fn probe_sts(&self) -> Option<std::result::Result<(), StoreError>> {
        match &self.inner.sts {
            Some(sts) => Some(sts.probe().await),
            None => None,
        }
    }

    /// Who `request` uploads to `field` as, by the field's authorizer: what a host's controller
    /// passes to [`Self::attach`].
    ///
    /// # Errors
    /// [`Denied`] when the caller may not upload to the field (or it is not declared).
    pub async fn owner(
        &self,
        ctx: &AppContext,
        request: &Parts,
        field: &str,
    ) -> Result<Owner, Denied> {
        let field = self
            .fields()
            .get(field)
            .ok_or_else(|| Denied::Forbidden(format!("`{field}` is not an upload field")))?;
        field.authorizer().authorize(ctx, request, field).await
    }
}
