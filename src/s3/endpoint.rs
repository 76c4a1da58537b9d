//! Where URLs point: scheme, host, optional base path, path- or virtual-host style.

/// A parsed S3 endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: String,
    host: String,
    base_path: String,
    path_style: bool,
}

impl Endpoint {
    /// Parses an `http(s)://host[:port][/base]` URL (checked by the config before).
    ///
    /// # Panics
    /// When `url` is not such a URL.
    #[must_use]
    pub fn parse(url: &str, path_style: bool) -> Self {
        let uri: http::Uri = url.parse().expect("endpoint checked by the config");
        let scheme = uri.scheme_str().unwrap_or("https").to_string();
        let authority = uri.authority().expect("endpoint has a host");
        let default_port = if scheme == "https" { 443 } else { 80 };
        let host = match authority.port_u16() {
            Some(port) if port != default_port => format!("{}:{port}", authority.host()),
            _ => authority.host().to_string(),
        };
        Self {
            scheme,
            host,
            base_path: uri.path().trim_end_matches('/').to_string(),
            path_style,
        }
    }

    /// AWS S3's endpoint for `region` (virtual-host style unless `path_style`).
    #[must_use]
    pub fn aws(region: &str, path_style: bool) -> Self {
        Self::parse(&format!("https://s3.{region}.amazonaws.com"), path_style)
    }

    /// The `Host` header value and the unencoded path of `key` in `bucket`.
    #[must_use]
    pub fn host_and_path(&self, bucket: &str, key: &str) -> (String, String) {
        if self.path_style {
            (
                self.host.clone(),
                format!("{}/{bucket}/{key}", self.base_path),
            )
        } else {
            (
                format!("{bucket}.{}", self.host),
                format!("{}/{key}", self.base_path),
            )
        }
    }

    /// `scheme://host` for a host returned by [`Self::host_and_path`].
    #[must_use]
    pub fn origin_for(&self, host: &str) -> String {
        format!("{}://{host}", self.scheme)
    }

    /// The endpoint as a URL (for the SDK client).
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.base_path)
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn drops_default_ports_and_builds_both_styles() {
        let path = Endpoint::parse("http://127.0.0.1:80/", true);
        assert_eq!(
            path.host_and_path("b", "k/x.pdf"),
            ("127.0.0.1".into(), "/b/k/x.pdf".into())
        );
        let virtual_host = Endpoint::parse("https://s3.example.com:8443/proxy/", false);
        assert_eq!(
            virtual_host.host_and_path("b", "k"),
            ("b.s3.example.com:8443".into(), "/proxy/k".into())
        );
        assert_eq!(virtual_host.url(), "https://s3.example.com:8443/proxy");
    }
}
