//! Connection settings: [`ClientOptions`] and how the FFI layers fill them from plain values
//! ([`ClientOptions::from_args`]), so that both give the same defaults.

use std::time::Duration;

/// How calls pick an endpoint (the `load_balancer` constructor argument).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadBalancing {
    /// Each call starts at the next endpoint (`"round_robin"`, the default).
    #[default]
    RoundRobin,
    /// Calls stay on the first endpoint that works (`"pick_first"`).
    PickFirst,
}

impl LoadBalancing {
    /// Maps etcd-cpp-apiv3's gRPC policy names; unknown names mean round robin.
    pub fn from_name(name: &str) -> LoadBalancing {
        match name.trim() {
            "pick_first" => LoadBalancing::PickFirst,
            _ => LoadBalancing::RoundRobin,
        }
    }
}

/// Connection settings.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Deadline of each unary request (`set_grpc_timeout`); `None` waits as long as it takes.
    pub request_timeout: Option<Duration>,
    /// TCP connect timeout per endpoint.
    pub connect_timeout: Duration,
    /// HTTP/2 keep-alive ping interval and ack timeout: a frozen server is detected after about
    /// their sum. etcd rejects pings more frequent than every 5 s.
    pub keepalive_time: Duration,
    pub keepalive_timeout: Duration,
    pub load_balancing: LoadBalancing,
    /// User name and password; the token is renewed before `auth_token_ttl` runs out and
    /// whenever the server refuses it.
    pub user: Option<(String, String)>,
    /// Lifetime of auth tokens on the server (etcd's `--auth-token-ttl`), in seconds.
    pub auth_token_ttl: i64,
    /// TLS settings; `None` for plain HTTP/2.
    pub tls: Option<TlsFiles>,
    /// Largest response accepted, in bytes.
    pub max_receive_message_size: usize,
    /// Largest request sent, in bytes.
    pub max_send_message_size: usize,
    /// How often the endpoint list is refreshed from the cluster's member list (the members'
    /// client URLs), as etcd's Go client does with `AutoSyncInterval`; the first refresh runs
    /// as soon as the client is created. `None` (the default): never, the endpoints stay as
    /// given.
    pub auto_sync_interval: Option<Duration>,
}

/// TLS material as etcd-cpp-apiv3 takes it: file paths, read when the client is created.
#[derive(Clone, Debug, Default)]
pub struct TlsFiles {
    /// CA certificate file (PEM) that signs the server certificate.
    pub ca: String,
    /// Client certificate and private key files (PEM), for client-certificate authentication.
    pub cert: String,
    pub key: String,
    /// Name to verify the server certificate against instead of the endpoint's host.
    pub target_name_override: String,
}

impl TlsFiles {
    pub(crate) fn load(&self) -> Result<etcd_client::TlsOptions, String> {
        let read = |what: &str, path: &str| -> Result<Option<Vec<u8>>, String> {
            if path.is_empty() {
                return Ok(None);
            }
            match std::fs::read(path) {
                Ok(d) if !d.is_empty() => Ok(Some(d)),
                Ok(_) => Err(format!("etcd-cpp-rs: the {what} file '{path}' is empty")),
                Err(e) => Err(format!(
                    "etcd-cpp-rs: cannot read the {what} file '{path}': {e}"
                )),
            }
        };
        let mut tls = etcd_client::TlsOptions::new();
        match read("CA certificate", &self.ca)? {
            Some(ca) => tls = tls.ca_certificate(etcd_client::Certificate::from_pem(ca)),
            // Without a CA file, the system's trust store (which honours SSL_CERT_FILE and
            // SSL_CERT_DIR) verifies the server, as gRPC does for etcd-cpp-apiv3.
            None => tls = tls.with_native_roots(),
        }
        match (read("client certificate", &self.cert)?, read("private key", &self.key)?) {
            (Some(cert), Some(key)) => tls = tls.identity(etcd_client::Identity::from_pem(cert, key)),
            (None, None) => {}
            _ => return Err("etcd-cpp-rs: a client certificate needs both the certificate and the private key file".into()),
        }
        if !self.target_name_override.is_empty() {
            tls = tls.domain_name(self.target_name_override.clone());
        }
        Ok(tls)
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: None,
            connect_timeout: Duration::from_secs(3),
            keepalive_time: Duration::from_secs(6),
            keepalive_timeout: Duration::from_secs(4),
            load_balancing: LoadBalancing::RoundRobin,
            user: None,
            auth_token_ttl: 300,
            tls: None,
            max_receive_message_size: i32::MAX as usize,
            max_send_message_size: i32::MAX as usize,
            auto_sync_interval: None,
        }
    }
}

/// Connection settings as the C and C++ APIs take them: plain numbers where 0 or less means
/// "the default", and texts.
#[derive(Clone, Debug, Default)]
pub struct OptionArgs {
    /// User name and password; both empty for none.
    pub user: String,
    pub password: String,
    /// Seconds; 0 or less: 300.
    pub auth_token_ttl: i64,
    /// TLS files; `None` for plain HTTP/2.
    pub tls: Option<TlsFiles>,
    /// gRPC policy name (`"round_robin"`, `"pick_first"`); anything else: round robin.
    pub load_balancer: String,
    /// Milliseconds; 0 or less: no request timeout.
    pub request_timeout_ms: i64,
    /// Milliseconds; 0 or less: the defaults of [`ClientOptions::default`].
    pub connect_timeout_ms: i64,
    pub keepalive_time_ms: i64,
    pub keepalive_timeout_ms: i64,
    /// Bytes; 0 or less: 2^31 - 1.
    pub max_receive_message_size: i64,
    pub max_send_message_size: i64,
    /// Milliseconds; 0 or less: no endpoint auto-sync.
    pub auto_sync_interval_ms: i64,
}

impl ClientOptions {
    /// The options `args` describe, with the defaults where it says so.
    pub fn from_args(args: OptionArgs) -> ClientOptions {
        let d = ClientOptions::default();
        let ms = |v: i64| (v > 0).then(|| Duration::from_millis(v as u64));
        let size = |v: i64, default: usize| {
            usize::try_from(v)
                .ok()
                .filter(|&v| v > 0)
                .unwrap_or(default)
        };
        ClientOptions {
            request_timeout: ms(args.request_timeout_ms),
            connect_timeout: ms(args.connect_timeout_ms).unwrap_or(d.connect_timeout),
            keepalive_time: ms(args.keepalive_time_ms).unwrap_or(d.keepalive_time),
            keepalive_timeout: ms(args.keepalive_timeout_ms).unwrap_or(d.keepalive_timeout),
            load_balancing: LoadBalancing::from_name(&args.load_balancer),
            user: Some((args.user, args.password)),
            auth_token_ttl: if args.auth_token_ttl > 0 {
                args.auth_token_ttl
            } else {
                d.auth_token_ttl
            },
            tls: args.tls,
            max_receive_message_size: size(
                args.max_receive_message_size,
                d.max_receive_message_size,
            ),
            max_send_message_size: size(args.max_send_message_size, d.max_send_message_size),
            auto_sync_interval: ms(args.auto_sync_interval_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_where_zero_or_negative() {
        let o = ClientOptions::from_args(OptionArgs {
            connect_timeout_ms: -1,
            ..OptionArgs::default()
        });
        let d = ClientOptions::default();
        assert_eq!(o.request_timeout, None);
        assert_eq!(o.connect_timeout, d.connect_timeout);
        assert_eq!(o.keepalive_time, d.keepalive_time);
        assert_eq!(o.keepalive_timeout, d.keepalive_timeout);
        assert_eq!(o.auth_token_ttl, d.auth_token_ttl);
        assert_eq!(o.max_receive_message_size, d.max_receive_message_size);
        assert_eq!(o.max_send_message_size, d.max_send_message_size);
        assert_eq!(o.load_balancing, LoadBalancing::RoundRobin);
        assert_eq!(o.auto_sync_interval, None);
    }

    #[test]
    fn given_values() {
        let o = ClientOptions::from_args(OptionArgs {
            user: "u".into(),
            password: "p".into(),
            auth_token_ttl: 60,
            load_balancer: "pick_first".into(),
            request_timeout_ms: 1500,
            connect_timeout_ms: 250,
            keepalive_time_ms: 7000,
            keepalive_timeout_ms: 3000,
            max_receive_message_size: 1024,
            max_send_message_size: 2048,
            auto_sync_interval_ms: 200,
            ..OptionArgs::default()
        });
        assert_eq!(o.user, Some(("u".into(), "p".into())));
        assert_eq!(o.auth_token_ttl, 60);
        assert_eq!(o.load_balancing, LoadBalancing::PickFirst);
        assert_eq!(o.request_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(o.connect_timeout, Duration::from_millis(250));
        assert_eq!(o.keepalive_time, Duration::from_millis(7000));
        assert_eq!(o.keepalive_timeout, Duration::from_millis(3000));
        assert_eq!(o.max_receive_message_size, 1024);
        assert_eq!(o.max_send_message_size, 2048);
        assert_eq!(o.auto_sync_interval, Some(Duration::from_millis(200)));
    }
}
