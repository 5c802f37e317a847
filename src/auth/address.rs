//! The client address that login throttling counts against.
//!
//! Without a reverse proxy it is the TCP peer. Behind `trusted_proxies` hops of reverse proxy,
//! each of which appends the address it received the request from to `X-Forwarded-For`, the
//! client is the `trusted_proxies`-th entry from the right: everything to the left of it was
//! written by the client itself and can be anything. `Forwarded` is ignored (our proxies are
//! configured to append to `X-Forwarded-For`; a client-sent `Forwarded` header would otherwise
//! pick its own address).

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;

use crate::web::Settings;

pub fn client_address(req: &HttpRequest, settings: &Settings) -> String {
    let peer = req.peer_addr().map(|a| a.ip().to_string());
    from_parts(req.headers(), peer, settings.trusted_proxies)
}

/// Longest address text kept: an IPv6 address with zone fits, a proxy's garbage does not.
const MAX_ADDRESS: usize = 64;

fn from_parts(headers: &HeaderMap, peer: Option<String>, hops: usize) -> String {
    let peer = peer.unwrap_or_else(|| "unknown".to_string());
    if hops == 0 {
        return peer;
    }
    // Several header lines count as one list, in order (RFC 9110 §5.3). A header that is not
    // text at all makes the list unusable: fall back to the peer.
    let mut entries = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return peer;
        };
        entries.extend(value.split(',').map(str::trim));
    }
    match entries.len().checked_sub(hops) {
        Some(index) => normalize(entries[index]),
        None => peer,
    }
}

/// `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]:4711` and `2001:db8::1` are one address
/// each; anything else is kept as written (cut short, only letters, digits and `.:-_[]`), so
/// that it still counts as one address. Throttle keys rely on there being no space.
fn normalize(entry: &str) -> String {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return ip.to_string();
    }
    if let Ok(socket) = entry.parse::<SocketAddr>() {
        return socket.ip().to_string();
    }
    let kept: String = entry
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_' | '[' | ']'))
        .take(MAX_ADDRESS)
        .collect();
    if kept.is_empty() {
        "unknown".to_string()
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(value).expect("header"),
            );
        }
        map
    }

    fn address(values: &[&str], hops: usize) -> String {
        from_parts(&headers(values), Some("10.0.0.2".to_string()), hops)
    }

    #[test]
    fn without_proxies_the_header_is_ignored() {
        assert_eq!(address(&["198.51.100.1"], 0), "10.0.0.2");
    }

    #[test]
    fn the_nth_entry_from_the_right_is_the_client() {
        assert_eq!(address(&["1.1.1.1, 203.0.113.7"], 1), "203.0.113.7");
        assert_eq!(
            address(&["1.1.1.1, 203.0.113.7, 10.0.0.9"], 2),
            "203.0.113.7"
        );
        assert_eq!(
            address(&["1.1.1.1", "203.0.113.7", "10.0.0.9"], 2),
            "203.0.113.7"
        );
        assert_eq!(address(&["203.0.113.7:4711"], 1), "203.0.113.7");
        assert_eq!(address(&["[2001:db8::1]:4711"], 1), "2001:db8::1");
        assert_eq!(address(&["a b|c"], 1), "abc");
        assert_eq!(address(&["1.1.1.1, "], 1), "unknown");
    }

    #[test]
    fn too_few_entries_fall_back_to_the_peer() {
        assert_eq!(address(&[], 1), "10.0.0.2");
        assert_eq!(address(&["203.0.113.7"], 2), "10.0.0.2");
    }
}
