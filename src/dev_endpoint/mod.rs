//! The embedded development S3 endpoint: s3s-fs on a folder, behind a permissive CORS layer.
//!
//! **Development and tests only.** Objects are plain files, the key pair is fixed and public,
//! every origin passes CORS. It exists so the demo and the fast tests need no external service.

mod cors;
mod store;

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Mutex, OnceLock},
};

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder as ConnBuilder,
};
use s3s::{auth::SimpleAuth, service::S3ServiceBuilder};

use crate::s3::presign::SigningCredentials;

/// The development endpoint's fixed access key id.
pub const ACCESS_KEY_ID: &str = "joist-dev-access-key";
/// The development endpoint's fixed secret: public, so never use the endpoint for real data.
pub const SECRET_ACCESS_KEY: &str = "joist-dev-secret-key-not-for-production";

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevEndpointError {
    /// The storage folder could not be created or opened.
    #[error("cannot use folder {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The address could not be bound (taken, or not an address).
    #[error("cannot listen on {bind}: {message}")]
    Bind {
        /// The configured address.
        bind: String,
        /// The cause.
        message: String,
    },
}

/// The fixed credentials of the development endpoint.
#[must_use]
pub fn credentials() -> SigningCredentials {
    SigningCredentials {
        access_key_id: ACCESS_KEY_ID.to_string(),
        secret_access_key: SECRET_ACCESS_KEY.to_string(),
        session_token: None,
    }
}

fn running() -> &'static Mutex<HashMap<(String, PathBuf), SocketAddr>> {
    static RUNNING: OnceLock<Mutex<HashMap<(String, PathBuf), SocketAddr>>> = OnceLock::new();
    RUNNING.get_or_init(Mutex::default)
}

/// Starts the endpoint on `bind` over `root` with `bucket` created, once per process: a second
/// call with the same address and folder returns the running one's address. It runs on its own
/// thread until the process ends.
///
/// # Errors
/// When the folder cannot be made or the address cannot be bound.
pub fn ensure_running(
    bind: &str,
    root: &Path,
    bucket: &str,
) -> Result<SocketAddr, DevEndpointError> {
    let mut running = running()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let id = (bind.to_string(), root.to_path_buf());
    if let Some(address) = running.get(&id) {
        return Ok(*address);
    }
    let folder_error = |source| DevEndpointError::Folder {
        path: root.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(root.join(bucket)).map_err(folder_error)?;
    let filesystem = s3s_fs::FileSystem::new(root)
        .map_err(|error| folder_error(std::io::Error::other(format!("{error:?}"))))?;
    let root = root.canonicalize().map_err(folder_error)?;
    let bind_error = |message: String| DevEndpointError::Bind {
        bind: bind.to_string(),
        message,
    };
    let listener =
        std::net::TcpListener::bind(bind).map_err(|error| bind_error(error.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|error| bind_error(error.to_string()))?;
    let address = listener
        .local_addr()
        .map_err(|error| bind_error(error.to_string()))?;

    let mut builder = S3ServiceBuilder::new(store::DevStore::new(filesystem, root));
    builder.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
    let service = cors::Cors::new(builder.build());
    std::thread::Builder::new()
        .name("joist-dev-endpoint".into())
        .spawn(move || serve(listener, service))
        .map_err(|error| bind_error(error.to_string()))?;
    tracing::info!(%address, "joist development S3 endpoint listening (development only)");
    running.insert(id, address);
    Ok(address)
}

fn serve(listener: std::net::TcpListener, service: cors::Cors) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("joist-dev-endpoint")
        .enable_all()
        .build()
        .expect("a runtime for the development endpoint");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        let connections = ConnBuilder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let connection = connections
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "development endpoint connection ended");
                }
            });
        }
    });
}
