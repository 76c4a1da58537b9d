//! The doctor: probes the store for real (credentials, bucket, multipart, CORS from each origin,
//! STS) and names the fix for whatever fails. Runs as `joist:doctor` and in `cargo loco doctor`.

use std::{fmt, time::SystemTime};

use uuid::Uuid;

use crate::{Joist, s3::presign::PresignRequest};

/// How one probe went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It works; what was checked.
    Ok(String),
    /// It does not; what is wrong and how to fix it.
    Failed {
        /// What is wrong.
        problem: String,
        /// What to do.
        fix: String,
    },
    /// Not checked, and why.
    Skipped(String),
}

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// What was probed.
    pub name: String,
    /// How it went.
    pub outcome: Outcome,
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Ok(detail) => write!(f, "ok      {}: {detail}", self.name),
            Outcome::Failed { problem, fix } => {
                write!(f, "FAILED  {}: {problem}\n        fix: {fix}", self.name)
            }
            Outcome::Skipped(reason) => write!(f, "skipped {}: {reason}", self.name),
        }
    }
}

/// Whether every probe passed or was skipped.
#[must_use]
pub fn healthy(probes: &[Probe]) -> bool {
    probes
        .iter()
        .all(|probe| !matches!(probe.outcome, Outcome::Failed { .. }))
}

fn failed(name: &str, problem: impl Into<String>, fix: impl Into<String>) -> Probe {
    Probe {
        name: name.to_string(),
        outcome: Outcome::Failed {
            problem: problem.into(),
            fix: fix.into(),
        },
    }
}

fn ok(name: &str, detail: impl Into<String>) -> Probe {
    Probe {
        name: name.to_string(),
        outcome: Outcome::Ok(detail.into()),
    }
}

/// What to do when the store refuses the credentials or none can be had.
const CREDENTIALS_FIX: &str = "set `credentials` or `credentials_profile`, or give the app AWS credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, a web identity token, a container or instance role), and let them use this bucket";

/// Runs every probe, CORS once per origin.
pub async fn run(joist: &Joist, origins: &[String]) -> Vec<Probe> {
    let mut probes = vec![credentials(joist).await, bucket(joist).await];
    let reachable = matches!(probes[1].outcome, Outcome::Ok(_));
    if reachable {
        probes.push(multipart(joist).await);
        for origin in origins {
            probes.push(cors(joist, origin).await);
        }
    }
    probes.push(sts(joist).await);
    probes
}

async fn sts(joist: &Joist) -> Probe {
    let name = "sts";
    match joist.probe_sts().await {
        None => Probe {
            name: name.to_string(),
            outcome: Outcome::Skipped("`upload_sts_arn` is not set".to_string()),
        },
        Some(Ok(())) => ok(
            name,
            "assumed the upload role with a one-key session policy",
        ),
        Some(Err(error)) => failed(
            name,
            format!("cannot assume `upload_sts_arn`: {error}"),
            "let the configured credentials call sts:AssumeRole on the role, and check `sts_endpoint`",
        ),
    }
}

async fn credentials(joist: &Joist) -> Probe {
    let name = "credentials";
    match joist.store().credentials().await {
        Ok(current) => ok(
            name,
            match current.expires_at {
                Some(expires_at) => format!(
                    "access key `{}`, refreshed before it expires at {}",
                    current.credentials.access_key_id,
                    chrono::DateTime::<chrono::Utc>::from(expires_at).to_rfc3339()
                ),
                None => format!(
                    "access key `{}`, does not expire",
                    current.credentials.access_key_id
                ),
            },
        ),
        Err(error) => failed(name, error.to_string(), CREDENTIALS_FIX),
    }
}

async fn bucket(joist: &Joist) -> Probe {
    let store = joist.store();
    let name = "bucket";
    match store
        .client()
        .head_bucket()
        .bucket(store.bucket())
        .send()
        .await
    {
        Ok(_) => ok(
            name,
            format!(
                "`{}` answers with the configured credentials",
                store.bucket()
            ),
        ),
        Err(error) => {
            let status = error
                .raw_response()
                .map(|response| response.status().as_u16());
            let detail = aws_sdk_s3::error::DisplayErrorContext(&error).to_string();
            match status {
                Some(403) => failed(
                    name,
                    format!(
                        "the store refuses the credentials for `{}` (403)",
                        store.bucket()
                    ),
                    CREDENTIALS_FIX,
                ),
                Some(404) => failed(
                    name,
                    format!("bucket `{}` does not exist (404)", store.bucket()),
                    "create the bucket, or fix `bucket` / `region` in initializers.joist",
                ),
                Some(code) => failed(
                    name,
                    format!("the store answered {code}: {detail}"),
                    "check `endpoint`, `region` and `path_style`",
                ),
                None if crate::s3::untrusted_certificate(&detail) => failed(
                    name,
                    format!("the store's TLS certificate is not trusted: {detail}"),
                    crate::s3::CA_FILE_FIX,
                ),
                None => failed(
                    name,
                    format!("the store is unreachable: {detail}"),
                    "check `endpoint` (and that the store is running)",
                ),
            }
        }
    }
}

async fn multipart(joist: &Joist) -> Probe {
    let name = "multipart";
    let key = format!(
        "{}.joist-doctor/{}",
        joist.config().upload_prefix,
        Uuid::new_v4()
    );
    let store = joist.store();
    let created = match store
        .create_multipart(&key, "application/octet-stream")
        .await
    {
        Ok(created) => created,
        Err(error) => {
            return failed(
                name,
                format!("cannot start a multipart upload: {error}"),
                "give the credentials s3:PutObject, s3:AbortMultipartUpload and s3:ListMultipartUploadParts on the upload prefix",
            );
        }
    };
    match store.abort(&key, &created).await {
        Ok(()) => ok(name, "created and aborted a multipart upload"),
        Err(error) => failed(
            name,
            format!("cannot abort a multipart upload: {error}"),
            "give the credentials s3:AbortMultipartUpload",
        ),
    }
}

/// A real preflight from `origin` for a presigned PUT, then a real PUT to read the exposed headers.
async fn cors(joist: &Joist, origin: &str) -> Probe {
    let name = format!("cors {origin}");
    let key = format!(
        "{}.joist-doctor/{}",
        joist.config().upload_prefix,
        Uuid::new_v4()
    );
    let request = PresignRequest {
        method: "PUT",
        key: &key,
        params: Vec::new(),
        headers: vec![
            ("content-length", "1".to_string()),
            ("content-type", "text/plain".to_string()),
        ],
        expires_in: std::time::Duration::from_mins(1),
    };
    let signer = match joist.store().credentials().await {
        Ok(signer) => signer,
        Err(error) => return failed(&name, error.to_string(), CREDENTIALS_FIX),
    };
    let url = joist.store().presign(&request, SystemTime::now(), &signer);
    let fix = "run `cargo loco task joist:cors apply:true` (or add the rule `joist:cors` prints to the bucket)";
    let client = joist.store().http();
    let preflight = client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send()
        .await;
    let preflight = match preflight {
        Ok(response) => response,
        Err(error) => {
            return failed(
                &name,
                format!("the preflight did not reach the store: {error}"),
                "check `public_endpoint` (the URL browsers use)",
            );
        }
    };
    let allowed = preflight
        .headers()
        .get("access-control-allow-origin")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|allowed| allowed == "*" || allowed == origin);
    if !preflight.status().is_success() || !allowed {
        return failed(
            &name,
            format!(
                "the store does not let {origin} PUT (preflight answered {})",
                preflight.status().as_u16()
            ),
            fix,
        );
    }
    let put = client
        .put(&url)
        .header("origin", origin)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await;
    let _ = joist.store().delete(&key).await;
    let exposed = put.ok().is_some_and(|response| {
        response
            .headers()
            .get("access-control-expose-headers")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|headers| {
                headers
                    .split(',')
                    .any(|header| header.trim().eq_ignore_ascii_case("etag"))
            })
    });
    if exposed {
        ok(
            &name,
            "the preflight allows PUT and the response exposes ETag",
        )
    } else {
        failed(
            &name,
            "the CORS rule does not expose ETag, so browsers cannot finish multipart uploads",
            fix,
        )
    }
}
