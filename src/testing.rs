//! Helpers for host apps' tests (feature `testing`): an embedded store of the test's own, an
//! upload through the real API in one call, and what the store holds afterwards.
//!
//! In `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! joist = { version = "0.1", features = ["testing"] }
//! ```
//!
//! A test that saves a record with an uploaded file:
//!
//! ```no_run
//! # struct App;
//! # #[async_trait::async_trait]
//! # impl loco_rs::app::Hooks for App {
//! #     fn app_name() -> &'static str { "shop" }
//! #     async fn boot(mode: loco_rs::boot::StartMode, environment: &loco_rs::environment::Environment, config: loco_rs::config::Config) -> loco_rs::Result<loco_rs::boot::BootResult> { unimplemented!() }
//! #     fn routes(_ctx: &loco_rs::app::AppContext) -> loco_rs::controller::AppRoutes { unimplemented!() }
//! #     async fn connect_workers(_ctx: &loco_rs::app::AppContext, _queue: &loco_rs::bgworker::Queue) -> loco_rs::Result<()> { Ok(()) }
//! #     fn register_tasks(_tasks: &mut loco_rs::task::Tasks) {}
//! #     async fn truncate(_ctx: &loco_rs::app::AppContext) -> loco_rs::Result<()> { Ok(()) }
//! #     async fn seed(_ctx: &loco_rs::app::AppContext, _base: &std::path::Path) -> loco_rs::Result<()> { Ok(()) }
//! # }
//! use joist::testing::{Fixture, TestStore};
//! use loco_rs::testing::request::request_with_create_db;
//!
//! #[tokio::test]
//! async fn a_car_keeps_its_manual() {
//!     request_with_create_db::<App, _, _>(|server, ctx| async move {
//!         let store = TestStore::start(&ctx).await.unwrap();
//!         let manual = Fixture::new("car.owners_manual", "manual.pdf", b"%PDF-1.7\n...".to_vec());
//!         let uploaded = store.upload(&server, manual).await.unwrap();
//!
//!         let car = server
//!             .post("/api/cars")
//!             .json(&serde_json::json!({"name": "T", "owners_manual": uploaded.field_value}))
//!             .await;
//!         assert_eq!(car.status_code(), 201);
//!         assert_eq!(store.object(&uploaded.key).await.unwrap(), b"%PDF-1.7\n...");
//!     })
//!     .await;
//! }
//! ```

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use loco_rs::{TestServer, app::AppContext};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Joist, dev_endpoint, s3::StoreError};

/// Why a test helper failed.
#[derive(Debug, thiserror::Error)]
pub enum TestingError {
    /// joist is not set up in this app (its initializer is missing) or could not be set up again.
    #[error("joist: {0}")]
    Joist(#[from] crate::Error),
    /// The embedded store could not start.
    #[error(transparent)]
    Endpoint(#[from] dev_endpoint::DevEndpointError),
    /// An API call answered with an error.
    #[error("{call} answered {status}: {body}")]
    Api {
        /// `prepare`, `parts` or `finalize`.
        call: &'static str,
        /// The HTTP status.
        status: u16,
        /// The JSON error.
        body: Value,
    },
    /// The store refused a part, or could not be reached.
    #[error("the store: {0}")]
    Store(String),
}

impl From<StoreError> for TestingError {
    fn from(error: StoreError) -> Self {
        Self::Store(error.to_string())
    }
}

/// A file to upload in a test, as a browser would send it.
#[derive(Debug, Clone)]
pub struct Fixture {
    field: String,
    filename: String,
    content_type: String,
    bytes: Vec<u8>,
    bearer: Option<String>,
}

impl Fixture {
    /// `bytes` named `filename`, for `field`; its content type is guessed from the extension
    /// (`application/octet-stream` when unknown), as a browser does.
    #[must_use]
    pub fn new(field: &str, filename: &str, bytes: Vec<u8>) -> Self {
        Self {
            field: field.to_string(),
            filename: filename.to_string(),
            content_type: guess_type(filename).to_string(),
            bytes,
            bearer: None,
        }
    }

    /// Declares another content type.
    #[must_use]
    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = content_type.to_string();
        self
    }

    /// Sends `Authorization: Bearer {token}` with every API call (a Loco user's JWT).
    #[must_use]
    pub fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_string());
        self
    }
}

fn guess_type(filename: &str) -> &'static str {
    let extension = filename
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase());
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// A finalized upload: what the form would submit, and where the file is.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The upload's id.
    pub upload: Uuid,
    /// The object's key in the bucket.
    pub key: String,
    /// The signed value a form submits for the field (give it to the host's create or update route).
    pub field_value: String,
    /// What finalize found in the file (`detected_type`, image dimensions).
    pub metadata: Value,
}

/// An embedded S3 endpoint of one test's own, on a free port over a fresh folder (removed when
/// the `TestStore` drops), and the booted app's joist pointed at it.
#[derive(Debug)]
pub struct TestStore {
    joist: Joist,
    root: PathBuf,
    address: SocketAddr,
}

impl TestStore {
    /// Starts the store and makes the app in `ctx` use it from now on (its fields, handlers,
    /// scanners and every other setting stay). Tests running at once each get their own.
    ///
    /// # Errors
    /// When joist is not set up in the app, or the store cannot start.
    pub async fn start(ctx: &AppContext) -> Result<Self, TestingError> {
        let booted = Joist::from_context(ctx)?;
        let root = std::env::temp_dir().join(format!("joist-test-store-{}", Uuid::new_v4()));
        let bind = "127.0.0.1:0";
        let address = dev_endpoint::ensure_running(bind, &root, booted.config().bucket())?;
        let mut config = booted.config().clone();
        config.dev_endpoint.enabled = true;
        config.dev_endpoint.bind = bind.to_string();
        config.dev_endpoint.root.clone_from(&root);
        config.public_endpoint = None;
        let joist = booted.reconfigured(config).await?;
        ctx.shared_store.insert(joist.clone());
        Ok(Self {
            joist,
            root,
            address,
        })
    }

    /// The store's URL (`http://127.0.0.1:{port}`).
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The folder it keeps objects in (one sub-folder per bucket).
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The bytes of the object at `key`, `None` when there is none.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn object(&self, key: &str) -> Result<Option<Vec<u8>>, TestingError> {
        let store = self.joist.store();
        let Some(info) = store.head(key).await? else {
            return Ok(None);
        };
        Ok(Some(store.read_head(key, info.size).await?))
    }

    /// Uploads `fixture` through the app's real API, as joist.js does (prepare, a PUT per part
    /// straight to the store, finalize; background checks waited for), and answers its field value.
    ///
    /// # Errors
    /// The API's error (a refused type, size or owner, a file finalize refuses), or the store's.
    pub async fn upload(
        &self,
        server: &TestServer,
        fixture: Fixture,
    ) -> Result<Uploaded, TestingError> {
        let api = Api {
            server,
            base: &self.joist.config().api_base_url,
            bearer: fixture.bearer.as_deref(),
        };
        let prepared = api
            .call(
                "prepare",
                &json!({
                    "field": fixture.field,
                    "filename": fixture.filename,
                    "size": fixture.bytes.len(),
                    "content_type": fixture.content_type,
                    "checksum": STANDARD.encode(Sha256::digest(&fixture.bytes)),
                }),
            )
            .await?;
        let token = prepared["token"].as_str().unwrap_or_default().to_string();
        let part_size = prepared["part_size"].as_u64().unwrap_or(u64::MAX);
        let part_count = prepared["part_count"].as_u64().unwrap_or(1);
        let mut parts = prepared["parts"].as_array().cloned().unwrap_or_default();
        if (parts.len() as u64) < part_count {
            let numbers: Vec<u64> = (parts.len() as u64 + 1..=part_count).collect();
            let signed = api
                .call("parts", &json!({"token": token, "numbers": numbers}))
                .await?;
            parts.extend(signed["parts"].as_array().cloned().unwrap_or_default());
        }
        let client = reqwest::Client::new();
        let mut done = Vec::with_capacity(parts.len());
        for part in &parts {
            let number = part["number"].as_u64().unwrap_or(1);
            let start = usize::try_from((number - 1) * part_size).unwrap_or(usize::MAX);
            let end = usize::try_from(number * part_size)
                .unwrap_or(usize::MAX)
                .min(fixture.bytes.len());
            let etag = put_part(&client, part, fixture.bytes[start..end].to_vec()).await?;
            done.push(json!({"number": number, "etag": etag}));
        }
        let mut finalized = api
            .call("finalize", &json!({"token": token, "parts": done}))
            .await?;
        while finalized["status"] == "checking" {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let status = api.call("status", &json!({"token": token})).await?;
            finalized = match status.get("finalized") {
                Some(result) if !result.is_null() => result.clone(),
                _ if status["status"] == "checking" => finalized,
                _ => {
                    return Err(TestingError::Api {
                        call: "finalize",
                        status: 422,
                        body: status,
                    });
                }
            };
        }
        Ok(Uploaded {
            upload: finalized["upload"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .unwrap_or_default(),
            key: finalized["key"].as_str().unwrap_or_default().to_string(),
            field_value: finalized["field_value"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            metadata: finalized["metadata"].clone(),
        })
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        // The endpoint keeps listening until the process ends; its objects go now.
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The app's joist API, called through the test server.
struct Api<'a> {
    server: &'a TestServer,
    base: &'a str,
    bearer: Option<&'a str>,
}

impl Api<'_> {
    async fn call(&self, call: &'static str, body: &Value) -> Result<Value, TestingError> {
        let mut request = self
            .server
            .post(&format!("{}/{call}", self.base))
            .json(body);
        if let Some(token) = self.bearer {
            request = request.authorization_bearer(token);
        }
        let response = request.await;
        let status = response.status_code().as_u16();
        let body = response.json::<Value>();
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(TestingError::Api { call, status, body })
        }
    }
}

/// PUTs `bytes` to a signed part URL with its signed headers: the part's ETag.
async fn put_part(
    client: &reqwest::Client,
    part: &Value,
    bytes: Vec<u8>,
) -> Result<String, TestingError> {
    let mut request = client.put(part["url"].as_str().unwrap_or_default());
    for (name, value) in part["headers"].as_object().into_iter().flatten() {
        request = request.header(name, value.as_str().unwrap_or_default());
    }
    let response = request
        .body(bytes)
        .send()
        .await
        .map_err(|error| TestingError::Store(error.to_string()))?;
    if !response.status().is_success() {
        let status = response.status();
        let said = response.text().await.unwrap_or_default();
        return Err(TestingError::Store(format!(
            "a part PUT answered {status}: {said}"
        )));
    }
    Ok(response
        .headers()
        .get("etag")
        .and_then(|etag| etag.to_str().ok())
        .unwrap_or_default()
        .to_string())
}
