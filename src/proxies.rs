//! The real client address behind a reverse proxy. A forwarding header is
//! believed only when the connection comes from an address the operator
//! named in `SAFELOG_TRUSTED_PROXIES`; otherwise anyone could write
//! `X-Forwarded-For: 1.2.3.4` and sign in as a fresh address every time,
//! escaping the lockout and writing a false address into the audit trail.

use std::fmt;
use std::net::IpAddr;

/// One trusted address or network (`10.0.0.0/8`, `::1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 peer on a dual-stack socket arrives as `::ffff:a.b.c.d`.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose forwarding headers are believed; none by default.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self
            .0
            .iter()
            .map(|n| format!("{}/{}", n.addr, n.prefix))
            .collect();
        write!(f, "TrustedProxies({})", list.join(", "))
    }
}

impl TrustedProxies {
    /// Parses a list of addresses or CIDRs separated by commas or spaces.
    /// The error names the entry and the form expected.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in list.split([',', ' ', '\t', '\n']).filter(|e| !e.is_empty()) {
            nets.push(parse_network(entry).ok_or_else(|| {
                format!(
                    "SAFELOG_TRUSTED_PROXIES: '{entry}' is not an IP address or CIDR network; \
                     write addresses or networks separated by commas, such as 127.0.0.1,10.0.0.0/8,::1"
                )
            })?);
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address: the TCP peer, unless the peer is a trusted
    /// proxy, in which case the forwarding chain is walked from the right
    /// (the hop nearest us, which our proxy wrote) to the first address that
    /// is not itself a trusted proxy. Entries further left were written by
    /// the client and are not believed. `X-Forwarded-For` is read when
    /// present (nginx and Caddy set it), `Forwarded` otherwise.
    pub fn client(&self, peer: IpAddr, x_forwarded_for: &[&str], forwarded: &[&str]) -> IpAddr {
        let peer = unmap(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let chain: Vec<Option<IpAddr>> = if !x_forwarded_for.is_empty() {
            x_forwarded_for
                .iter()
                .flat_map(|h| h.split(','))
                .map(|e| parse_forwarded_addr(e.trim()))
                .collect()
        } else {
            forwarded
                .iter()
                .flat_map(|h| h.split(','))
                .filter_map(forwarded_for)
                .collect()
        };
        let mut client = peer;
        for hop in chain.into_iter().rev() {
            // An entry we cannot read (`unknown`, an obfuscated name) ends
            // the walk: the last address we could trust is the answer.
            let Some(hop) = hop.map(unmap) else {
                break;
            };
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

fn parse_network(entry: &str) -> Option<Network> {
    let (addr, prefix) = match entry.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => p.parse().ok()?,
        Some(_) => return None,
        None => max,
    };
    (prefix <= max).then_some(Network { addr, prefix })
}

/// The `for=` value of one element of a `Forwarded` header (RFC 7239);
/// `None` inside when the element has a `for` we cannot read.
fn forwarded_for(element: &str) -> Option<Option<IpAddr>> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_forwarded_addr(value.trim().trim_matches('"')))
    })
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_forwarded_addr(value: &str) -> Option<IpAddr> {
    if let Ok(ip) = value.parse() {
        return Some(ip);
    }
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_list_of_addresses_and_networks_parses_and_a_bad_entry_is_named() {
        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8 ::1,fd00::/8").unwrap();
        assert!(t.trusts(ip("10.20.30.40")));
        assert!(t.trusts(ip("fd12::1")));
        assert!(t.trusts(ip("::ffff:127.0.0.1")));
        assert!(!t.trusts(ip("11.0.0.1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        for bad in [
            "10.0.0.0/33",
            "proxy.school",
            "10.0.0/8",
            "::1/",
            "1.2.3.4/x",
        ] {
            let err = TrustedProxies::parse(bad).unwrap_err();
            assert!(err.contains(&format!("'{bad}'")), "{err}");
        }
    }

    #[test]
    fn the_chain_is_believed_only_from_a_trusted_peer_and_only_up_to_the_first_untrusted_hop() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let spoofed = ["6.6.6.6, 203.0.113.9"];
        assert_eq!(
            t.client(ip("198.51.100.1"), &spoofed, &[]),
            ip("198.51.100.1")
        );
        assert_eq!(t.client(ip("10.0.0.2"), &spoofed, &[]), ip("203.0.113.9"));
        assert_eq!(
            t.client(ip("10.0.0.2"), &["203.0.113.9", "10.1.1.1"], &[]),
            ip("203.0.113.9")
        );
        assert_eq!(t.client(ip("10.0.0.2"), &["unknown"], &[]), ip("10.0.0.2"));
        assert_eq!(
            t.client(
                ip("10.0.0.2"),
                &[],
                &["for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https"]
            ),
            ip("2001:db8::7")
        );
        assert_eq!(
            t.client(ip("10.0.0.2"), &[], &["for=192.0.2.60:8080"]),
            ip("192.0.2.60")
        );
    }
}
