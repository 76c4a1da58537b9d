//! The client's address behind reverse proxies, for the anonymous rate limit and the logs:
//! Loco's remote-IP middleware's value where the host enables it; else the `X-Forwarded-For`
//! (or RFC 7239 `Forwarded`) header, read only when the connecting peer is a configured trusted
//! proxy; else the connecting peer. Only the one header the proxy sets is read: a client could
//! send the other, and a proxy passes on what it does not set.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;
use loco_rs::controller::middleware::remote_ip::{ClientIpSource, RemoteIP};

/// Which header the trusted proxies set (`client_address_header`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, ...` (nginx, HAProxy, AWS ALB, most others).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

impl ForwardedHeader {
    /// The header named `name` (case-insensitive).
    ///
    /// # Errors
    /// When `name` is neither header.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err(format!("`{name}` is not `X-Forwarded-For` or `Forwarded`")),
        }
    }
}

/// The networks whose forwarding header is believed (`trusted_proxies`), and that header.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`) and single addresses (`127.0.0.1`, `::1`).
    ///
    /// # Errors
    /// The index and text of the first entry that is neither.
    pub fn parse(entries: &[String]) -> Result<Self, (usize, String)> {
        entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| (index, entry.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|networks| Self {
                networks,
                header: ForwardedHeader::default(),
            })
    }

    /// These proxies, setting `header`.
    #[must_use]
    pub fn with_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks
            .iter()
            .any(|network| network.contains(&address))
    }

    /// The address of the client that sent `request`, `None` when the server was started
    /// without peer addresses.
    pub async fn client_address(&self, request: &mut Parts) -> Option<IpAddr> {
        if request.extensions.get::<ClientIpSource>().is_some() {
            return match RemoteIP::from_request_parts(request, &()).await {
                Ok(RemoteIP::Forwarded(address) | RemoteIP::Socket(address)) => Some(address),
                Ok(RemoteIP::None) | Err(_) => None,
            };
        }
        let peer = request
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| canonical(address.ip()))?;
        Some(self.through_proxies(peer, &request.headers))
    }

    /// Walks the forwarding chain from the peer back while each hop is trusted: the first
    /// untrusted hop is the client. A header from an untrusted peer is never read.
    fn through_proxies(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_hops(headers, self.header).into_iter().rev() {
            let Some(hop) = hop else { break };
            client = hop;
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) as the IPv4 address they carry.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// The hops `header` lists, oldest first; `None` for a hop that is not an address (`unknown`,
/// an obfuscated name, garbage).
fn forwarded_hops(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    if header == ForwardedHeader::Forwarded {
        return headers
            .get_all("forwarded")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(value.trim().trim_matches('"')))
                })?
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect()
}

/// An address, with or without a port, IPv6 possibly in brackets.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(canonical(socket.ip()));
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(address, _)| address.parse().ok())
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(
            trusted.through_proxies(ip("203.0.113.9"), &forged),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::default().through_proxies(ip("10.0.0.1"), &forged),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "::1"]);
        let forwarded = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            trusted.through_proxies(ip("10.1.2.3"), &forwarded),
            ip("198.51.100.7")
        );
        assert_eq!(
            trusted.through_proxies(ip("::1"), &forwarded),
            ip("198.51.100.7")
        );
        assert_eq!(
            trusted.through_proxies(ip("::ffff:10.1.2.3"), &forwarded),
            ip("198.51.100.7"),
            "an IPv4-mapped peer"
        );
    }

    #[test]
    fn a_client_cannot_hide_behind_a_forged_first_hop() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // the client sent `X-Forwarded-For: 1.1.1.1`; the proxies appended the client and themselves
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(
            trusted.through_proxies(ip("10.0.0.1"), &chain),
            ip("198.51.100.7")
        );
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(
            trusted.through_proxies(ip("10.0.0.1"), &split),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn reads_only_the_header_the_proxy_sets() {
        let both = headers(&[
            (
                "forwarded",
                r#"for=192.0.2.60;proto=http;by=10.0.0.1, for="[2001:db8::1]:4711""#,
            ),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        let by_default = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            by_default.through_proxies(ip("10.0.0.1"), &both),
            ip("198.51.100.7"),
            "a Forwarded header the proxy passed on is the client's own"
        );
        let rfc = proxies(&["10.0.0.0/8"]).with_header(ForwardedHeader::Forwarded);
        assert_eq!(
            rfc.through_proxies(ip("10.0.0.1"), &both),
            ip("2001:db8::1")
        );
        let with_port = headers(&[("forwarded", "For=\"192.0.2.60:8080\"")]);
        assert_eq!(
            rfc.through_proxies(ip("10.0.0.1"), &with_port),
            ip("192.0.2.60")
        );
        assert_eq!(
            ForwardedHeader::parse("X-Forwarded-For"),
            Ok(ForwardedHeader::XForwardedFor)
        );
        assert!(ForwardedHeader::parse("x-real-ip").is_err());
    }

    #[test]
    fn stops_at_a_hop_that_is_not_an_address() {
        let rfc = proxies(&["10.0.0.0/8"]).with_header(ForwardedHeader::Forwarded);
        let unknown = headers(&[("forwarded", "for=unknown, for=10.0.0.5")]);
        assert_eq!(
            rfc.through_proxies(ip("10.0.0.1"), &unknown),
            ip("10.0.0.5")
        );
        let garbage = headers(&[("x-forwarded-for", "<script>")]);
        assert_eq!(
            proxies(&["10.0.0.0/8"]).through_proxies(ip("10.0.0.1"), &garbage),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn refuses_what_is_not_a_network() {
        assert_eq!(
            TrustedProxies::parse(&["10.0.0.0/8".into(), "10.0.0.0/33".into()]).unwrap_err(),
            (1, "10.0.0.0/33".to_string())
        );
        assert!(TrustedProxies::parse(&["proxy.internal".into()]).is_err());
    }
}
