//! What a signed upload token or field value says.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a signed value is for; part of what is signed, so one cannot stand in for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The token a client sends to `/parts`, `/status`, `/finalize` and `/abort`.
    UploadToken,
    /// The value a form submits after a finalized upload.
    FieldValue,
    /// The token of a confirmed admin action form (its CSRF protection).
    AdminAction,
}

impl Purpose {
    pub(crate) const fn label(self) -> &'static str {
        match self {
            Self::UploadToken => "joist/upload-token/v1",
            Self::FieldValue => "joist/field-value/v1",
            Self::AdminAction => "joist/admin-action/v1",
        }
    }
}

/// The claims of a token or field value: which upload, for which field and owner, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadClaims {
    /// The upload's id.
    #[serde(rename = "u")]
    pub upload: Uuid,
    /// The field it was prepared for.
    #[serde(rename = "f")]
    pub field: String,
    /// The object key.
    #[serde(rename = "k")]
    pub key: String,
    /// Who prepared it (`None` for an anonymous upload).
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Unix seconds after which the value is refused.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

/// Claims that carry their own expiry.
pub trait Expiring {
    /// Unix seconds after which the signed value is refused.
    fn expires_at(&self) -> i64;
}

impl Expiring for UploadClaims {
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

/// The claims of a confirmed admin action: which action on which uploads, confirmed by whom,
/// once (the nonce), until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminActionClaims {
    /// The form's nonce: the action runs once per nonce and upload.
    #[serde(rename = "n")]
    pub nonce: Uuid,
    /// The action's name.
    #[serde(rename = "a")]
    pub action: String,
    /// The uploads it applies to.
    #[serde(rename = "u")]
    pub uploads: Vec<Uuid>,
    /// The admin who was shown the confirmation.
    #[serde(rename = "by")]
    pub admin: String,
    /// Unix seconds after which the confirmation is refused.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

impl Expiring for AdminActionClaims {
    fn expires_at(&self) -> i64 {
        self.expires_at
    }
}
