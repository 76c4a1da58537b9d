//! The bucket CORS rule browsers need for joist: PUT from the app's origins, the headers
//! joist.js sends, and `ETag` exposed (multipart uploads cannot finish without it).

use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use serde_json::{Value, json};

use super::{Store, StoreError};

const METHODS: [&str; 3] = ["PUT", "GET", "HEAD"];
const HEADERS: [&str; 3] = ["content-type", "if-none-match", "x-amz-checksum-sha256"];
const MAX_AGE_SECONDS: i32 = 3600;

/// The rule as S3's JSON (`aws s3api put-bucket-cors --cors-configuration`) spells it.
#[must_use]
pub fn rule_json(origins: &[String]) -> Value {
    json!({"CORSRules": [{
        "AllowedOrigins": origins,
        "AllowedMethods": METHODS,
        "AllowedHeaders": HEADERS,
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": MAX_AGE_SECONDS,
    }]})
}

fn rule(origins: &[String]) -> CorsRule {
    CorsRule::builder()
        .set_allowed_origins(Some(origins.to_vec()))
        .set_allowed_methods(Some(METHODS.map(String::from).to_vec()))
        .set_allowed_headers(Some(HEADERS.map(String::from).to_vec()))
        .expose_headers("ETag")
        .max_age_seconds(MAX_AGE_SECONDS)
        .build()
        .expect("origins and methods are set")
}

impl Store {
    /// Replaces the bucket's CORS configuration with joist's rule for `origins`.
    ///
    /// # Errors
    /// When the store refuses (e.g. the credentials may not change the bucket) or is unreachable.
    pub async fn apply_cors(&self, origins: &[String]) -> Result<(), StoreError> {
        let configuration = CorsConfiguration::builder()
            .cors_rules(rule(origins))
            .build()
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        self.client()
            .put_bucket_cors()
            .bucket(self.bucket())
            .cors_configuration(configuration)
            .send()
            .await
            .map_err(|error| super::store::classify(&error))?;
        Ok(())
    }
}
