//! A connection to an etcd cluster: one etcd-client channel per endpoint, our own endpoint
//! selection with fail-over, per-request timeouts, and the blocking / asynchronous entry points.
//!
//! etcd-client balances one channel over all endpoints and keeps picking a dead one (a third to
//! two thirds of calls fail with one endpoint of two down). Here every endpoint has its own
//! channel; a call goes to one endpoint and moves on to the next when the failure shows that the
//! request never reached a server (connection refused, connect timeout), or, for idempotent
//! requests, when the connection broke. An endpoint that failed is tried last for a while.

use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::endpoints;
use super::request::Request;
use super::response::{code, message, Response};
use super::{dispatch, ops, runtime};

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
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: None,
            connect_timeout: Duration::from_secs(3),
            keepalive_time: Duration::from_secs(6),
            keepalive_timeout: Duration::from_secs(4),
            load_balancing: LoadBalancing::RoundRobin,
        }
    }
}

/// How long an endpoint that failed is tried only after the others.
const DOWN_FOR: Duration = Duration::from_secs(2);

/// A connection to an etcd cluster. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    members: Vec<Member>,
    policy: LoadBalancing,
    next: AtomicUsize,
    timeout_ms: AtomicI64,
}

struct Member {
    url: String,
    client: etcd_client::Client,
    down_until: Mutex<Option<Instant>>,
}

impl Member {
    fn is_down(&self, now: Instant) -> bool {
        self.down_until.lock().unwrap_or_else(|e| e.into_inner()).is_some_and(|t| t > now)
    }

    fn set_down(&self, down: bool) {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) = down.then(|| Instant::now() + DOWN_FOR);
    }
}

/// How a failed attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The request never reached a server: always safe to retry elsewhere.
    NotSent,
    /// The connection broke after the request may have been sent.
    Transport,
    /// The server answered with an error.
    Server,
}

/// Classifies an etcd-client error.
pub(crate) fn classify(err: &etcd_client::Error) -> Failure {
    use etcd_client::Error as E;
    match err {
        E::TransportError(_) | E::IoError(_) | E::EndpointError(_) => Failure::NotSent,
        E::GRpcStatus(s) => {
            let text = super::response::error_to_response(err).error_message.to_ascii_lowercase();
            let connect = ["tcp connect error", "connection refused", "error trying to connect", "dns error", "connect timed out", "timed out connecting"];
            if s.code() == tonic::Code::Unavailable && connect.iter().any(|c| text.contains(c)) {
                Failure::NotSent
            } else if text.starts_with("etcdserver:") || text.starts_with("mvcc:") || text.starts_with("lease") {
                Failure::Server
            } else if matches!(s.code(), tonic::Code::Unavailable | tonic::Code::Unknown | tonic::Code::Cancelled | tonic::Code::Internal) {
                Failure::Transport
            } else {
                Failure::Server
            }
        }
        E::WatchError(_) | E::LeaseKeepAliveError(_) => Failure::Transport,
        _ => Failure::Server,
    }
}

impl Client {
    /// Connects lazily to the endpoints in `spec` (see [`endpoints::parse`]). Never fails: a
    /// spec without a usable endpoint gives a client whose every call answers
    /// 13 "the target uri is not valid", as etcd-cpp-apiv3 does.
    pub fn new(spec: &str, options: ClientOptions) -> Client {
        let (eps, _bad) = endpoints::parse(spec);
        let members = eps
            .iter()
            .filter_map(|ep| {
                let url = format!("http://{}", ep.authority());
                let opts = etcd_client::ConnectOptions::new()
                    .with_connect_timeout(options.connect_timeout)
                    .with_keep_alive(options.keepalive_time, options.keepalive_timeout)
                    .with_keep_alive_while_idle(false);
                let u = url.clone();
                // Without credentials this does not touch the network.
                let client = runtime::block_on(async move { etcd_client::Client::connect([u], Some(opts)).await }).ok()?;
                Some(Member { url, client, down_until: Mutex::new(None) })
            })
            .collect();
        let timeout_ms = options.request_timeout.map_or(0, |d| d.as_millis() as i64);
        Client {
            inner: Arc::new(Inner {
                members,
                policy: options.load_balancing,
                next: AtomicUsize::new(0),
                timeout_ms: AtomicI64::new(timeout_ms),
            }),
        }
    }

    /// The endpoint URLs in use.
    pub fn endpoints(&self) -> Vec<String> {
        self.inner.members.iter().map(|m| m.url.clone()).collect()
    }

    /// Sets the per-request timeout in milliseconds (0 = none).
    pub fn set_timeout_ms(&self, ms: i64) {
        self.inner.timeout_ms.store(ms.max(0), Ordering::Relaxed);
    }

    /// The per-request timeout in milliseconds (0 = none).
    pub fn timeout_ms(&self) -> i64 {
        self.inner.timeout_ms.load(Ordering::Relaxed)
    }

    fn timeout(&self) -> Option<Duration> {
        let ms = self.timeout_ms();
        (ms > 0).then(|| Duration::from_millis(ms as u64))
    }

    /// Runs `req` and returns its response; waits for the result without occupying a thread.
    pub async fn execute(&self, req: Request) -> Response {
        let start = Instant::now();
        let mut resp = if self.inner.members.is_empty() {
            Response::error(code::INTERNAL, message::INVALID_TARGET)
        } else {
            // Like etcd-cpp-apiv3, the timeout does not apply to revoking a lease or to watches.
            match (self.timeout(), &req) {
                (Some(t), r) if !matches!(r, Request::LeaseRevoke { .. } | Request::Watch { .. }) => {
                    tokio::time::timeout(t, ops::run(self, req))
                        .await
                        .unwrap_or_else(|_| Response::error(code::DEADLINE_EXCEEDED, message::TIMEOUT))
                }
                _ => ops::run(self, req).await,
            }
        };
        resp.duration = start.elapsed();
        resp
    }

    /// Runs `req` and blocks the calling thread until its response.
    pub fn execute_blocking(&self, req: Request) -> Response {
        let c = self.clone();
        runtime::block_on(async move { c.execute(req).await })
    }

    /// Runs `req` in the background; `done` gets the response on a callback thread.
    pub fn execute_async(&self, req: Request, done: impl FnOnce(Response) + Send + 'static) {
        let c = self.clone();
        runtime::spawn(async move {
            let resp = c.execute(req).await;
            dispatch::submit(Box::new(move || done(resp)));
        });
    }

    /// Endpoint indices in the order a call should try them.
    fn order(&self) -> Vec<usize> {
        let n = self.inner.members.len();
        let start = match self.inner.policy {
            LoadBalancing::RoundRobin => self.inner.next.fetch_add(1, Ordering::Relaxed),
            LoadBalancing::PickFirst => self.inner.next.load(Ordering::Relaxed),
        } % n.max(1);
        let now = Instant::now();
        let (mut up, down): (Vec<usize>, Vec<usize>) =
            (0..n).map(|i| (start + i) % n).partition(|&i| !self.inner.members[i].is_down(now));
        up.extend(down);
        up
    }

    /// Runs `attempt` against one endpoint after another until one answers or the failure is
    /// one that must not be retried (see the module docs).
    pub(crate) async fn with_failover<T, F, Fut>(&self, idempotent: bool, mut attempt: F) -> Result<T, etcd_client::Error>
    where
        F: FnMut(&etcd_client::Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let mut last = None;
        for i in self.order() {
            let m = &self.inner.members[i];
            match attempt(&m.client).await {
                Ok(v) => {
                    m.set_down(false);
                    if self.inner.policy == LoadBalancing::PickFirst {
                        self.inner.next.store(i, Ordering::Relaxed);
                    }
                    return Ok(v);
                }
                Err(e) => match classify(&e) {
                    Failure::NotSent => {
                        m.set_down(true);
                        last = Some(e);
                    }
                    Failure::Transport if idempotent => {
                        m.set_down(true);
                        last = Some(e);
                    }
                    _ => return Err(e),
                },
            }
        }
        Err(last.unwrap_or_else(|| etcd_client::Error::EndpointError("no endpoint".into())))
    }

    /// The endpoint a long-lived stream should try next (round robin, healthy ones first), and
    /// a way to report its failure.
    pub(crate) fn stream_endpoint(&self, attempt: usize) -> Option<(usize, etcd_client::Client)> {
        let order = self.order();
        let i = *order.get(attempt % order.len().max(1))?;
        Some((i, self.inner.members[i].client.clone()))
    }

    /// Records that endpoint `i` failed (or worked) for a stream.
    pub(crate) fn report(&self, i: usize, ok: bool) {
        if let Some(m) = self.inner.members.get(i) {
            m.set_down(!ok);
        }
    }

    /// Number of endpoints.
    pub fn endpoint_count(&self) -> usize {
        self.inner.members.len()
    }
}
