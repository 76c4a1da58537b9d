//! Lets browsers on any origin call the development endpoint and read `ETag`.
//!
//! Every answer carries `Vary: Origin`, also one to a request without `Origin`: an `<img>` loads
//! without it (no CORS headers in the answer), and a browser that cached that answer would hand
//! it to a later `fetch` of the same URL, which then fails its CORS check.

use std::{future::Future, pin::Pin};

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use s3s::{Body, HttpError, service::S3Service};

/// The S3 service wrapped with CORS answers.
#[derive(Clone)]
pub struct Cors {
    inner: S3Service,
}

impl Cors {
    pub const fn new(inner: S3Service) -> Self {
        Self { inner }
    }
}

fn allow(response: &mut Response<Body>, origin: &HeaderValue) {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag"),
    );
}

fn vary_on_origin(response: &mut Response<Body>) {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
}

impl hyper::service::Service<Request<Incoming>> for Cors {
    type Response = Response<Body>;
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let origin = request.headers().get(header::ORIGIN).cloned();
        let preflight = request.method() == Method::OPTIONS
            && request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if let (true, Some(origin)) = (preflight, &origin) {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            allow(&mut response, origin);
            vary_on_origin(&mut response);
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, PUT, POST, HEAD, DELETE"),
            );
            if let Some(requested) = request
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            {
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            }
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            return Box::pin(async move { Ok(response) });
        }
        let inner = self.inner.clone();
        Box::pin(async move {
            let mut response = inner.call(request.map(Body::from)).await?;
            if let Some(origin) = &origin {
                allow(&mut response, origin);
            }
            vary_on_origin(&mut response);
            Ok(response)
        })
    }
}
