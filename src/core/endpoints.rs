//! Parsing of etcd-cpp-apiv3 endpoint strings: `host:port` items separated by `,` or `;`, each
//! with an optional scheme (`http://`, `https://`, ...), hosts as IPv4, `[IPv6]`, bare IPv6
//! (the port is after the last `:`) or DNS names.

/// One parsed endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Host without brackets.
    pub host: String,
    pub port: u16,
    /// True when the item said `https://`.
    pub https: bool,
}

impl Endpoint {
    /// `host:port` with brackets around IPv6 hosts.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Parses `spec`; items that are not `host:port` are skipped and reported in the second list.
pub fn parse(spec: &str) -> (Vec<Endpoint>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for item in spec.split([',', ';']) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        match parse_one(item) {
            Some(ep) => {
                if !good.contains(&ep) {
                    good.push(ep);
                }
            }
            None => bad.push(item.to_string()),
        }
    }
    (good, bad)
}

fn parse_one(item: &str) -> Option<Endpoint> {
    let (https, rest) = match item.find("://") {
        Some(i) => (item[..i].eq_ignore_ascii_case("https"), &item[i + 3..]),
        None => (false, item),
    };
    // A trailing "/" (as in "http://host:2379/") is harmless; any other path is not an endpoint.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return None;
    }
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']')?;
        (&r[..close], r[close + 1..].strip_prefix(':')?)
    } else {
        let i = rest.rfind(':')?;
        (&rest[..i], &rest[i + 1..])
    };
    let port: u16 = port.parse().ok()?;
    if host.is_empty() || port == 0 {
        return None;
    }
    Some(Endpoint {
        host: host.to_string(),
        port,
        https,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(host: &str, port: u16) -> Endpoint {
        Endpoint {
            host: host.into(),
            port,
            https: false,
        }
    }

    #[test]
    fn lists_and_schemes() {
        let (g, b) = parse("http://127.0.0.1:2379,127.0.0.2:2380;localhost:1");
        assert_eq!(
            g,
            vec![
                ep("127.0.0.1", 2379),
                ep("127.0.0.2", 2380),
                ep("localhost", 1)
            ]
        );
        assert!(b.is_empty());
    }

    #[test]
    fn ipv6() {
        let (g, _) = parse("[::1]:2379,::1:2380,http://[fe80::1]:1/");
        assert_eq!(g, vec![ep("::1", 2379), ep("::1", 2380), ep("fe80::1", 1)]);
        assert_eq!(g[0].authority(), "[::1]:2379");
    }

    #[test]
    fn invalid_items() {
        let (g, b) = parse("nohost,http://h:notaport,h:2379/path,:5,,");
        assert!(g.is_empty());
        assert_eq!(b.len(), 4);
        let (g, _) = parse("https://h:1");
        assert!(g[0].https);
    }
}
