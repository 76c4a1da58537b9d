//! Who may upload to a field, and as which owner.

use async_trait::async_trait;
use axum::http::request::Parts;
use loco_rs::{app::AppContext, controller::extractor::auth::extract_jwt_from_request_parts};

use super::Field;

/// Who an upload belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Nobody signed in (only on fields that allow it).
    Anonymous,
    /// A signed-in user, by the id the host gives them (e.g. a user's `pid`).
    User(String),
}

impl Owner {
    /// The owner's id, `None` when anonymous.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::User(id) => Some(id),
        }
    }

    /// The owner an id stands for (`None` is anonymous).
    #[must_use]
    pub fn from_id(id: Option<&str>) -> Self {
        id.map_or(Self::Anonymous, |id| Self::User(id.to_string()))
    }
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Nobody is signed in, or the credentials are not valid (HTTP 401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but not allowed to upload to this field (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
}

/// Decides who may upload to a field. Called on every API call of an upload; on the calls after
/// `prepare` the owner it returns must be the owner the upload was prepared for.
///
/// ```
/// use async_trait::async_trait;
/// use axum::http::request::Parts;
/// use joist::{Authorize, Denied, Field, Owner};
/// use loco_rs::app::AppContext;
///
/// /// Lets in callers that present the shared kiosk key, as owner `kiosk`.
/// struct KioskKey(String);
///
/// #[async_trait]
/// impl Authorize for KioskKey {
///     async fn authorize(&self, _ctx: &AppContext, request: &Parts, _field: &Field) -> Result<Owner, Denied> {
///         match request.headers.get("x-kiosk-key") {
///             Some(key) if key.as_bytes() == self.0.as_bytes() => Ok(Owner::User("kiosk".into())),
///             Some(_) => Err(Denied::Forbidden("wrong kiosk key".into())),
///             None => Err(Denied::Unauthenticated("send the kiosk key".into())),
///         }
///     }
/// }
///
/// let field = Field::new("kiosk.photo").authorize_with(KioskKey("k3y".into()));
/// ```
#[async_trait]
pub trait Authorize: Send + Sync + 'static {
    /// Returns the owner of an upload to `field` made by `request`, or why it is refused.
    async fn authorize(
        &self,
        ctx: &AppContext,
        request: &Parts,
        field: &Field,
    ) -> Result<Owner, Denied>;
}

/// Everyone may upload, anonymously. Opt in with [`Field::public`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Public;

#[async_trait]
impl Authorize for Public {
    async fn authorize(
        &self,
        _ctx: &AppContext,
        _request: &Parts,
        _field: &Field,
    ) -> Result<Owner, Denied> {
        Ok(Owner::Anonymous)
    }
}

/// Users signed in with Loco's JWT auth (bearer header, cookie or query, as `auth.jwt` is
/// configured); the owner is the token's `pid`. The default for every field.
#[derive(Debug, Clone, Copy, Default)]
pub struct JwtUser;

#[async_trait]
impl Authorize for JwtUser {
    async fn authorize(
        &self,
        ctx: &AppContext,
        request: &Parts,
        _field: &Field,
    ) -> Result<Owner, Denied> {
        extract_jwt_from_request_parts(request, ctx)
            .map(|jwt| Owner::User(jwt.claims.pid))
            .map_err(|_| Denied::Unauthenticated("sign in to upload to this field".to_string()))
    }
}
