//! The admin views' extension point and their actions.
//!
//! The pages (`controllers::admin`) are open to whoever the host's [`AuthorizeAdmin`] lets in;
//! the default, [`DevelopmentOnly`], opens them in the development environment only.

mod actions;

pub use actions::{AdminAction, perform};
use async_trait::async_trait;
use axum::http::request::Parts;
use loco_rs::{
    app::AppContext, controller::extractor::auth::extract_jwt_from_request_parts,
    environment::Environment,
};

use crate::Denied;

/// Who is using the admin pages, as the authorizer names them (logged with every action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin(pub String);

/// Decides who may use the admin pages. Set it with
/// [`JoistInitializer::with_admin`](crate::JoistInitializer::with_admin).
///
/// ```
/// use async_trait::async_trait;
/// use axum::http::request::Parts;
/// use joist::{Denied, admin::{Admin, AuthorizeAdmin}};
/// use loco_rs::app::AppContext;
///
/// /// Lets in requests that come through the operators' VPN proxy, which names the user.
/// struct VpnOperators;
///
/// #[async_trait]
/// impl AuthorizeAdmin for VpnOperators {
///     async fn authorize_admin(&self, _ctx: &AppContext, request: &Parts) -> Result<Admin, Denied> {
///         request
///             .headers
///             .get("x-vpn-user")
///             .and_then(|user| user.to_str().ok())
///             .map(|user| Admin(user.to_string()))
///             .ok_or_else(|| Denied::Unauthenticated("connect through the operators' VPN".into()))
///     }
/// }
/// ```
#[async_trait]
pub trait AuthorizeAdmin: Send + Sync + 'static {
    /// Returns the admin making `request`, or why they are refused.
    async fn authorize_admin(&self, ctx: &AppContext, request: &Parts) -> Result<Admin, Denied>;
}

/// Opens the admin pages to anyone in the development environment and to nobody elsewhere.
/// The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct DevelopmentOnly;

#[async_trait]
impl AuthorizeAdmin for DevelopmentOnly {
    async fn authorize_admin(&self, ctx: &AppContext, _request: &Parts) -> Result<Admin, Denied> {
        if ctx.environment == Environment::Development {
            Ok(Admin("development".to_string()))
        } else {
            Err(Denied::Forbidden(
                "the joist admin is open only in development; give `JoistInitializer::with_admin` \
                 an authorizer to open it here"
                    .to_string(),
            ))
        }
    }
}

/// Opens the admin pages to users signed in with Loco's JWT auth whose `pid` is listed.
#[derive(Debug, Clone, Default)]
pub struct JwtAdmins {
    pids: Vec<String>,
}

impl JwtAdmins {
    /// Admins are the users with these `pid`s.
    #[must_use]
    pub fn new(pids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            pids: pids.into_iter().map(Into::into).collect(),
        }
    }
}

#[async_trait]
impl AuthorizeAdmin for JwtAdmins {
    async fn authorize_admin(&self, ctx: &AppContext, request: &Parts) -> Result<Admin, Denied> {
        let jwt = extract_jwt_from_request_parts(request, ctx)
            .map_err(|_| Denied::Unauthenticated("sign in to use the joist admin".to_string()))?;
        if self.pids.contains(&jwt.claims.pid) {
            Ok(Admin(jwt.claims.pid))
        } else {
            Err(Denied::Forbidden(
                "your account may not use the joist admin".to_string(),
            ))
        }
    }
}
