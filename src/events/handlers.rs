//! The host's handlers, by event and field.

use std::sync::Arc;

use async_trait::async_trait;
use loco_rs::app::AppContext;

use super::{UploadEvent, UploadEventKind};

/// What a failing handler returns; its message is recorded on the upload.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// Handles upload events: thumbnails, virus scans, notifications, indexing.
///
/// ```
/// use async_trait::async_trait;
/// use joist::events::{HandlerError, UploadEvent, UploadHandler};
/// use loco_rs::app::AppContext;
///
/// struct Announce;
///
/// #[async_trait]
/// impl UploadHandler for Announce {
///     async fn handle(&self, _ctx: &AppContext, event: &UploadEvent) -> Result<(), HandlerError> {
///         tracing::info!(key = %event.upload.key, status = ?event.upload.status, "upload settled");
///         Ok(())
///     }
/// }
///
/// let handlers = joist::events::Handlers::new().on_finalized(Announce);
/// ```
#[async_trait]
pub trait UploadHandler: Send + Sync + 'static {
    /// Handles one event; an error makes joist retry it with backoff.
    async fn handle(&self, ctx: &AppContext, event: &UploadEvent) -> Result<(), HandlerError>;
}

#[derive(Clone)]
struct Registration {
    kind: UploadEventKind,
    field: Option<String>,
    handler: Arc<dyn UploadHandler>,
    /// Added by joist itself (the variants job), not by the host.
    builtin: bool,
}

/// The handlers a host registers, each for one event and one field or all.
#[derive(Clone, Default)]
pub struct Handlers {
    registrations: Vec<Registration>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.registrations
                    .iter()
                    .map(|registration| (registration.kind, &registration.field)),
            )
            .finish()
    }
}

impl Handlers {
    /// No handlers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn with(
        mut self,
        kind: UploadEventKind,
        field: Option<&str>,
        handler: impl UploadHandler,
    ) -> Self {
        self.registrations.push(Registration {
            kind,
            field: field.map(str::to_string),
            handler: Arc::new(handler),
            builtin: false,
        });
        self
    }

    /// Adds joist's own `finalized` handler for `field`, after the host's.
    #[cfg_attr(not(feature = "variants"), allow(dead_code))]
    pub(crate) fn with_builtin(mut self, field: &str, handler: impl UploadHandler) -> Self {
        self = self.with(UploadEventKind::Finalized, Some(field), handler);
        if let Some(last) = self.registrations.last_mut() {
            last.builtin = true;
        }
        self
    }

    /// The host's handlers alone.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn host_only(mut self) -> Self {
        self.registrations
            .retain(|registration| !registration.builtin);
        self
    }

    /// Runs `handler` when an upload of any field is prepared.
    #[must_use]
    pub fn on_prepared(self, handler: impl UploadHandler) -> Self {
        self.with(UploadEventKind::Prepared, None, handler)
    }

    /// Runs `handler` when an upload of `field` is prepared.
    #[must_use]
    pub fn on_prepared_for(self, field: &str, handler: impl UploadHandler) -> Self {
        self.with(UploadEventKind::Prepared, Some(field), handler)
    }

    /// Runs `handler` when an upload of any field settles (finalized, failed or aborted).
    #[must_use]
    pub fn on_finalized(self, handler: impl UploadHandler) -> Self {
        self.with(UploadEventKind::Finalized, None, handler)
    }

    /// Runs `handler` when an upload of `field` settles (finalized, failed or aborted).
    #[must_use]
    pub fn on_finalized_for(self, field: &str, handler: impl UploadHandler) -> Self {
        self.with(UploadEventKind::Finalized, Some(field), handler)
    }

    /// The handlers of `kind` for `field`, in registration order.
    pub(crate) fn matching<'a>(
        &'a self,
        kind: UploadEventKind,
        field: &'a str,
    ) -> impl Iterator<Item = &'a Arc<dyn UploadHandler>> {
        self.registrations
            .iter()
            .filter(move |registration| {
                registration.kind == kind
                    && registration
                        .field
                        .as_deref()
                        .is_none_or(|only| only == field)
            })
            .map(|registration| &registration.handler)
    }

    /// Whether any handler listens to `kind` on `field`.
    pub(crate) fn any(&self, kind: UploadEventKind, field: &str) -> bool {
        self.matching(kind, field).next().is_some()
    }
}
