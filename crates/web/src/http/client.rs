//! The client's address ([`ClientIp`]): the TCP peer, or — when the peer is
//! one of the configured trusted proxies (`--trusted-proxy`) — the last
//! address in `X-Forwarded-For` that is not itself a trusted proxy. A
//! header from anyone else is ignored, so a client cannot choose its own
//! address and with it its own rate-limit key.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::error::ApiError;
use crate::AppState;

/// An address or a network (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    net: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// IPv4 addresses seen as IPv6 (`::ffff:a.b.c.d`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net = canonical(
            addr.parse::<IpAddr>()
                .map_err(|_| format!("{s}: not an IP address or network"))?,
        );
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s}: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Self { net, prefix })
    }
}

/// One `X-Forwarded-For` entry: an address, or an address with a port
/// (`192.0.2.7:5123`, `[2001:db8::1]:443`) as some balancers write it.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
}

/// The key a per-address limit counts under: an IPv4 address, or an IPv6
/// address's /64 network (one subscriber gets a whole /64, so counting
/// single IPv6 addresses would give an attacker endless allowances).
pub fn limit_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The client address that `X-Forwarded-For` and the peer give, trusting the
/// header only as far as the chain of trusted proxies reaches.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpRange]) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.iter().any(|t| t.contains(peer)) {
        return peer;
    }
    // Rightmost first: each hop appends the address it received from.
    let mut hops = forwarded_for
        .iter()
        .rev()
        .flat_map(|h| h.rsplit(','))
        .map(str::trim);
    let mut last = peer;
    for hop in hops.by_ref() {
        let Some(ip) = parse_hop(hop).map(canonical) else {
            // A malformed entry: nothing left of it is believed.
            return last;
        };
        if !trusted.iter().any(|t| t.contains(ip)) {
            return ip;
        }
        last = ip;
    }
    last
}

/// The client's address, as [`client_address`] decides.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        // Through axum's extractor, which also reads a test's MockConnectInfo.
        let peer = ConnectInfo::<SocketAddr>::from_request_parts(parts, s)
            .await
            .map(|c| c.0.ip())
            .map_err(|_| ApiError::internal("the connection's peer address is unknown"))?;
        let headers: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientIp(client_address(
            peer,
            &headers,
            &s.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<IpRange> = vec!["10.0.0.0/8".parse().expect("range")];
        // Straight from the internet: the header is the client's own words.
        assert_eq!(
            client_address(ip("203.0.113.9"), &["198.51.100.1"], &trusted),
            ip("203.0.113.9")
        );
        // Through the load balancer: the address it saw.
        assert_eq!(
            client_address(ip("10.0.0.2"), &["198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        // A client forging a first hop gets the address the balancer saw.
        assert_eq!(
            client_address(ip("10.0.0.2"), &["1.2.3.4, 198.51.100.1"], &trusted),
            ip("198.51.100.1")
        );
        // Two trusted hops are walked through; IPv4-mapped peers compare as IPv4.
        assert_eq!(
            client_address(
                ip("::ffff:10.0.0.2"),
                &["198.51.100.1", "10.9.9.9"],
                &trusted
            ),
            ip("198.51.100.1")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            client_address(ip("10.0.0.2"), &["nonsense"], &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ports_in_the_header_are_dropped_and_ipv6_counts_by_its_64() {
        let trusted: Vec<IpRange> = vec!["10.0.0.0/8".parse().expect("range")];
        assert_eq!(
            client_address(ip("10.0.0.2"), &["198.51.100.1:5123"], &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &["[2001:db8::1]:443"], &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa::1")),
            limit_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
    }

    #[test]
    fn ranges_parse_and_refuse_nonsense() {
        let r: IpRange = "192.0.2.0/24".parse().expect("range");
        assert!(r.contains(ip("192.0.2.200")));
        assert!(!r.contains(ip("192.0.3.1")));
        assert!(
            "fd00::/8"
                .parse::<IpRange>()
                .expect("v6")
                .contains(ip("fd12::1"))
        );
        assert!(
            "0.0.0.0/0"
                .parse::<IpRange>()
                .expect("all")
                .contains(ip("8.8.8.8"))
        );
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("example.com".parse::<IpRange>().is_err());
    }
}
