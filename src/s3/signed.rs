//! The store calls on a request's path, sent by joist itself: `CreateMultipartUpload` in a
//! multipart `prepare`, `HeadObject` and the first bytes' range GET in `finalize`. Each is signed
//! like a browser's URL (SigV4 query signing, the signing key derived once a day) and sent with
//! reqwest, on the same endpoint, credentials and trusted roots as the SDK's calls. The SDK spends
//! most of a call's CPU on its generic machinery (endpoint rules, interceptors, header signing,
//! response parsing); BENCHMARKS.md "Where a request's time goes" has the numbers. The other
//! calls (completing, listing, copying, deleting) stay on the SDK.
//!
//! Like the SDK's client, a call is tried up to three times when the store cannot be reached,
//! times out or answers 5xx, with exponential backoff and jitter.

use std::time::{Duration, SystemTime};

use aws_smithy_xml::decode::{Document, try_data};
use reqwest::{Method, Response, StatusCode};

use super::{
    StoreError,
    credentials::TimedCredentials,
    presign::{PresignRequest, Presigner},
};

/// Attempts per call (the SDK's standard retry mode has the same).
const ATTEMPTS: u32 = 3;
/// The first retry waits up to this long, each later one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// How long a signed server call stays valid (a clock a little off still passes).
const CALL_LIFETIME: Duration = Duration::from_mins(5);
/// An error answer longer than this is cut (its code and message come first).
const MAX_ERROR_BODY: usize = 16 << 10;

/// Signs and sends the store calls on a request's path.
#[derive(Debug)]
pub struct SignedCalls {
    presigner: Presigner,
    http: reqwest::Client,
}

/// One call: what is signed, and the headers sent with it.
pub struct Call<'a> {
    /// `POST`, `HEAD`, `GET`.
    pub method: Method,
    /// The object key.
    pub key: &'a str,
    /// Query parameters (`uploads`).
    pub params: Vec<(&'static str, String)>,
    /// Headers, lower-case names; all of them signed.
    pub headers: Vec<(&'static str, String)>,
}

impl SignedCalls {
    /// Calls to `presigner`'s endpoint and bucket with `http`.
    pub const fn new(presigner: Presigner, http: reqwest::Client) -> Self {
        Self { presigner, http }
    }

    /// Sends `call` signed with `signer`: the store's 2xx answer.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for a 404 without another code (a HEAD's) and for `NoSuchKey`
    /// and `NoSuchUpload`; the other error answers by their code; unavailable when the store
    /// cannot be reached.
    pub async fn send(
        &self,
        call: &Call<'_>,
        signer: &TimedCredentials,
    ) -> Result<Response, StoreError> {
        let mut attempt = 1;
        loop {
            let now = SystemTime::now();
            let request = PresignRequest {
                method: call.method.as_str(),
                key: call.key,
                params: call.params.clone(),
                headers: call.headers.clone(),
                expires_in: signer
                    .lifetime(CALL_LIFETIME, now)
                    .max(Duration::from_secs(1)),
            };
            let url = self.presigner.presign(&request, now, &signer.credentials);
            let mut builder = self.http.request(call.method.clone(), url);
            for (name, value) in &call.headers {
                builder = builder.header(*name, value);
            }
            if call.method == Method::POST {
                builder = builder.body(Vec::new());
            }
            let failure = match builder.send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) if !response.status().is_server_error() => {
                    return Err(refusal(response).await);
                }
                Ok(response) => refusal(response).await,
                Err(error) => super::unreachable(chain(&error)),
            };
            if attempt == ATTEMPTS {
                return Err(failure);
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
    }
}

/// The wait before retry `attempt` (1-based): up to 200 ms, then 400 ms, with full jitter.
fn backoff(attempt: u32) -> Duration {
    let jitter = f64::from(uuid::Uuid::new_v4().as_bytes()[0]) / 255.0;
    (FIRST_BACKOFF * 2_u32.pow(attempt - 1)).mul_f64(jitter)
}

/// An error and its causes, as one line (reqwest's own text leaves out the TLS reason).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// What an S3 error answer means, from its XML `Code` and `Message`.
async fn refusal(response: Response) -> StoreError {
    let status = response.status();
    let body = bounded_body(response, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    let (code, message) = error_code(&String::from_utf8_lossy(&body));
    let code = code.unwrap_or_else(|| match status {
        StatusCode::NOT_FOUND => "NotFound".into(),
        _ => status.as_u16().to_string(),
    });
    super::store::from_code(Some(&code), &message)
}

/// The `Code` and `Message` of an S3 `<Error>` document.
fn error_code(xml: &str) -> (Option<String>, String) {
    let [code, message] = child_texts(xml, ["Code", "Message"]);
    (code, message.unwrap_or_default())
}

/// The text of the root's child element `name` (`UploadId` of `InitiateMultipartUploadResult`).
pub fn child_text(xml: &str, name: &str) -> Option<String> {
    let [text] = child_texts(xml, [name]);
    text
}

/// The texts of the root's first child elements named `names`, each `None` when absent (or
/// when `xml` is not XML).
fn child_texts<const N: usize>(xml: &str, names: [&str; N]) -> [Option<String>; N] {
    let mut found = [const { None }; N];
    let mut document = Document::new(xml);
    let Ok(mut root) = document.root_element() else {
        return found;
    };
    while let Some(mut tag) = root.next_tag() {
        if let Some(index) = names.iter().position(|name| tag.start_el().matches(name))
            && found[index].is_none()
        {
            found[index] = try_data(&mut tag).ok().map(std::borrow::Cow::into_owned);
        }
    }
    found
}

/// The response's body, at most `limit` bytes (a store that sends more is cut off there).
///
/// # Errors
/// When the body cannot be read to the end (or to the limit).
pub async fn bounded_body(mut response: Response, limit: usize) -> Result<Vec<u8>, StoreError> {
    let mut bytes = Vec::new();
    while bytes.len() < limit
        && let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| super::unreachable(chain(&error)))?
    {
        bytes.extend_from_slice(&chunk[..chunk.len().min(limit - bytes.len())]);
    }
    Ok(bytes)
}

/// A response header as text.
pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::{child_text, error_code};

    #[test]
    fn reads_an_upload_id_with_escapes() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>a&amp;b.c-_=</UploadId></InitiateMultipartUploadResult>"#;
        assert_eq!(child_text(xml, "UploadId").as_deref(), Some("a&b.c-_="));
        assert_eq!(child_text(xml, "Missing"), None);
        assert_eq!(child_text("not xml", "UploadId"), None);
    }

    #[test]
    fn reads_an_error_code_and_message() {
        let xml = "<Error><Code>NoSuchUpload</Code><Message>gone &lt;now&gt;</Message></Error>";
        assert_eq!(
            error_code(xml),
            (Some("NoSuchUpload".into()), "gone <now>".into())
        );
        assert_eq!(error_code(""), (None, String::new()));
    }
}
