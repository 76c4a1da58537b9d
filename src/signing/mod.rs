//! Signed, expiring values: upload tokens and form field values.
//!
//! A signed value is `base64url(json payload) "." base64url(HMAC-SHA256(purpose "." payload))`.
//! The purpose keeps a token from passing as a field value and back. Several secrets may be
//! configured: the first signs, every one verifies, so a secret can be rotated without breaking
//! uploads in flight.

mod claims;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
pub use claims::{AdminActionClaims, Expiring, Purpose, UploadClaims};
use hmac::{Hmac, Mac};
use serde::{Serialize, de::DeserializeOwned};
use sha2::Sha256;

/// Why a signed value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// Not of the `payload.signature` shape, or the payload does not decode.
    #[error("the signed value is malformed")]
    Malformed,
    /// No configured secret produced this signature (forged, tampered, or for another purpose).
    #[error("the signature does not match")]
    BadSignature,
    /// The value was genuine but its expiry has passed.
    #[error("the signed value has expired")]
    Expired,
}

/// Signs and verifies claims ([`UploadClaims`], [`AdminActionClaims`]) with the configured secrets.
#[derive(Clone)]
pub struct Signer {
    keys: Vec<Hmac<Sha256>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("secrets", &self.keys.len())
            .finish()
    }
}

impl Signer {
    /// A signer over `secrets`; the first one signs.
    ///
    /// # Panics
    /// When `secrets` is empty (the config check refuses that before).
    #[must_use]
    pub fn new(secrets: &[String]) -> Self {
        assert!(
            !secrets.is_empty(),
            "joist needs at least one signing secret"
        );
        let keys = secrets
            .iter()
            .map(|secret| {
                Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key size")
            })
            .collect();
        Self { keys }
    }

    /// Signs `claims` for `purpose`.
    ///
    /// # Panics
    /// Never: the claims are plain strings and numbers, which always serialize.
    #[must_use]
    pub fn sign<C: Serialize>(&self, purpose: Purpose, claims: &C) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signature = Self::mac(&self.keys[0], purpose, &payload)
            .finalize()
            .into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// Verifies a signed value made for `purpose` and returns its claims if not expired at `now`
    /// (unix seconds).
    ///
    /// # Errors
    /// [`SigningError`] when it is malformed, forged or expired.
    pub fn verify<C: DeserializeOwned + Expiring>(
        &self,
        purpose: Purpose,
        signed: &str,
        now: i64,
    ) -> Result<C, SigningError> {
        let (payload, signature) = signed.split_once('.').ok_or(SigningError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| SigningError::Malformed)?;
        let genuine = self.keys.iter().any(|key| {
            Self::mac(key, purpose, payload)
                .verify_slice(&signature)
                .is_ok()
        });
        if !genuine {
            return Err(SigningError::BadSignature);
        }
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| SigningError::Malformed)?;
        let claims: C = serde_json::from_slice(&json).map_err(|_| SigningError::Malformed)?;
        if claims.expires_at() <= now {
            return Err(SigningError::Expired);
        }
        Ok(claims)
    }

    fn mac(key: &Hmac<Sha256>, purpose: Purpose, payload: &str) -> Hmac<Sha256> {
        let mut mac = key.clone();
        mac.update(purpose.label().as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(expires_at: i64) -> UploadClaims {
        UploadClaims {
            upload: uuid::Uuid::nil(),
            field: "car.owners_manual".into(),
            key: "car.owners_manual/x/manual.pdf".into(),
            owner: Some("user-1".into()),
            expires_at,
        }
    }

    fn secret(fill: char) -> String {
        std::iter::repeat_n(fill, 32).collect()
    }

    #[test]
    fn round_trips_and_checks_purpose() {
        let signer = Signer::new(&[secret('a')]);
        let token = signer.sign(Purpose::UploadToken, &claims(100));
        assert_eq!(
            signer.verify::<UploadClaims>(Purpose::UploadToken, &token, 99),
            Ok(claims(100))
        );
        assert_eq!(
            signer.verify::<UploadClaims>(Purpose::FieldValue, &token, 99),
            Err(SigningError::BadSignature)
        );
    }

    #[test]
    fn refuses_expired_tampered_and_malformed_values() {
        let signer = Signer::new(&[secret('a')]);
        let token = signer.sign(Purpose::UploadToken, &claims(100));
        assert_eq!(
            signer.verify::<UploadClaims>(Purpose::UploadToken, &token, 100),
            Err(SigningError::Expired)
        );
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(10_000)).unwrap());
        let (_, signature) = token.split_once('.').unwrap();
        assert_eq!(
            signer.verify::<UploadClaims>(
                Purpose::UploadToken,
                &format!("{forged_payload}.{signature}"),
                99
            ),
            Err(SigningError::BadSignature)
        );
        for malformed in ["", "abc", "a.b.c", "***.***"] {
            assert!(
                signer
                    .verify::<UploadClaims>(Purpose::UploadToken, malformed, 0)
                    .is_err(),
                "{malformed}"
            );
        }
    }

    #[test]
    fn rotation_keeps_old_values_valid_and_signs_with_the_first_secret() {
        let old = Signer::new(&[secret('a')]);
        let rotated = Signer::new(&[secret('b'), secret('a')]);
        let old_token = old.sign(Purpose::UploadToken, &claims(100));
        assert!(
            rotated
                .verify::<UploadClaims>(Purpose::UploadToken, &old_token, 0)
                .is_ok()
        );
        let new_token = rotated.sign(Purpose::UploadToken, &claims(100));
        assert_eq!(
            old.verify::<UploadClaims>(Purpose::UploadToken, &new_token, 0),
            Err(SigningError::BadSignature)
        );
    }
}
