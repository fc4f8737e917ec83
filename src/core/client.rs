//! A connection to an etcd cluster: one etcd-client channel per endpoint, our own endpoint
//! selection with fail-over, per-request timeouts, and the blocking / asynchronous entry points.
//!
//! etcd-client balances one channel over all endpoints and keeps picking a dead one (a third to
//! two thirds of calls fail with one endpoint of two down). Here every endpoint has its own
//! channel; a call goes to one endpoint and moves on to the next when the failure shows that the
//! request never reached a server (connection refused, connect timeout), or, for idempotent
//! requests, when the connection broke. An endpoint that failed is tried last for a while.
//!
//! The endpoint list is a snapshot replaced as a whole when an endpoint sync (opt-in, see
//! [`ClientOptions::auto_sync_interval`]) learns the cluster's members; endpoints that stay keep
//! their channel and state. Streams and calls name an endpoint by its id, which is never reused,
//! so one that was dropped from the list is simply not found any more.

use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use super::endpoints;
use super::namespace::Namespace;
pub use super::options::{ClientOptions, LoadBalancing, OptionArgs, TlsFiles};
use super::response::{code, message, Member as ClusterMember, Response};
use super::runtime;

/// The locks taken with `lock(name, ttl)` and not yet unlocked: (lock key, lease, keep-alive of
/// the lease). The keep-alive is only held here (dropping it stops it), so its type does not
/// matter to the connection.
#[derive(Default)]
struct Locks(Mutex<Vec<HeldLock>>);

/// (lock key, lease, keep-alive of the lease).
type HeldLock = (Vec<u8>, i64, Box<dyn Send + Sync>);

impl Locks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<HeldLock>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// First and longest pause between health probes of an endpoint that failed.
const PROBE_MIN: Duration = Duration::from_millis(200);
const PROBE_MAX: Duration = Duration::from_secs(5);
/// How long a probe waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a periodic endpoint sync may take (as etcd's Go client).
const AUTO_SYNC_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to an etcd cluster. Cheap to clone; clones share the connection.
///
/// A client may be a view of its connection inside a namespace ([`Client::with_namespace`]):
/// its requests, watchers and observers then have their keys under the namespace's prefix, and
/// their responses and events carry the keys without it.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// The locks taken with `lock(name, ttl)` through this client or its clones (not through
    /// other namespace views of the connection).
    locks: Arc<Locks>,
    namespace: Option<Arc<Namespace>>,
}

/// The endpoint list: replaced as a whole, never changed in place.
type Members = Arc<Vec<Arc<Member>>>;

struct Inner {
    members: RwLock<Members>,
    /// How to connect to an endpoint, also to those an endpoint sync learns.
    connect: Connect,
    /// Id of the next endpoint added to the list.
    next_id: AtomicUsize,
    /// One endpoint sync at a time.
    syncing: tokio::sync::Mutex<()>,
    /// Why no call can work (bad TLS files, no usable endpoint), as (code, message).
    unusable: Option<(i32, String)>,
    user: Option<(String, String)>,
    auth_token_ttl: Duration,
    max_receive: usize,
    max_send: usize,
    connect_timeout: Duration,
    /// The client does not use TLS.
    plain_text: bool,
    /// A token for `current_auth_token()` and when it was obtained.
    token: Mutex<Option<(String, Instant)>>,
    policy: LoadBalancing,
    /// Round robin: a counter; pick first: the id of the endpoint that last answered.
    next: AtomicUsize,
    timeout_ms: AtomicI64,
    /// What the stream modules share per connection (the one watch stream and the one
    /// keep-alive stream all watchers and keep-alives of this client use), type-erased so that
    /// this layer does not depend on them. See [`Client::per_connection`].
    shared_streams: Mutex<Vec<Arc<dyn std::any::Any + Send + Sync>>>,
}

/// The settings with which the client connects to an endpoint.
#[derive(Clone)]
struct Connect {
    connect_timeout: Duration,
    keepalive_time: Duration,
    keepalive_timeout: Duration,
    tls: Option<etcd_client::TlsOptions>,
}

impl Connect {
    /// A channel to `ep` with id `id`. Without credentials in the options this does not touch
    /// the network; the user is logged in on first use (see `Client::authenticate`).
    async fn member(&self, id: usize, ep: &endpoints::Endpoint) -> Option<Member> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", ep.authority());
        let mut opts = etcd_client::ConnectOptions::new()
            .with_connect_timeout(self.connect_timeout)
            .with_keep_alive(self.keepalive_time, self.keepalive_timeout)
            .with_keep_alive_while_idle(false)
            .with_auto_token_refresh(true);
        if let Some(t) = &self.tls {
            opts = opts.with_tls(t.clone());
        }
        let client = etcd_client::Client::connect([url], Some(opts)).await.ok()?;
        Some(Member {
            id,
            client,
            authority: ep.authority(),
            speaks_tls: std::sync::OnceLock::new(),
            health: Mutex::new(Health::default()),
            authenticated: tokio::sync::Mutex::new(None),
        })
    }
}

struct Member {
    /// Names the endpoint for the client's lifetime (never reused).
    id: usize,
    client: etcd_client::Client,
    /// host:port of the endpoint.
    authority: String,
    /// For a plain-text client: whether the server there turned out to speak TLS (asked once,
    /// after a connection to it broke).
    speaks_tls: std::sync::OnceLock<bool>,
    /// Set when a call or stream failed on this endpoint; cleared by a success or by a health
    /// probe that got an answer. A stopped (SIGSTOP) server still accepts connections, so
    /// merely reconnecting proves nothing: only answers do.
    health: Mutex<Health>,
    /// When this endpoint's client last authenticated (None: not yet).
    authenticated: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Default)]
struct Health {
    down: bool,
    probing: bool,
}

impl Member {
    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_down(&self) -> bool {
        self.health().down
    }

    /// Marks the endpoint up, or down (and starts probing it until it answers).
    fn mark(self: &Arc<Self>, ok: bool) {
        let mut h = self.health();
        if ok {
            h.down = false;
            return;
        }
        h.down = true;
        if !h.probing {
            h.probing = true;
            runtime::spawn(probe(Arc::downgrade(self)));
        }
    }
}

/// Probes endpoint `m` until it answers, then puts it back in rotation. Stops when the
/// endpoint is gone (the client dropped it or was dropped).
async fn probe(m: Weak<Member>) {
    let mut pause = PROBE_MIN;
    loop {
        tokio::time::sleep(pause).await;
        let Some(m) = m.upgrade() else { return };
        if !m.is_down() {
            m.health().probing = false;
            return;
        }
        let mut kv = m.client.kv_client();
        let opts = etcd_client::GetOptions::new()
            .with_serializable()
            .with_count_only();
        let answered =
            match tokio::time::timeout(PROBE_TIMEOUT, kv.get(vec![0u8], Some(opts))).await {
                Ok(Ok(_)) => true,
                // Any error the server itself sends back (auth, permissions) proves it is alive.
                Ok(Err(e)) => classify(&e) == Failure::Server,
                Err(_) => false,
            };
        if answered {
            let mut h = m.health();
            h.down = false;
            h.probing = false;
            return;
        }
        pause = (pause * 2).min(PROBE_MAX);
    }
}

/// Marks `endpoint` down when dropped with it still set: the attempt on it was abandoned.
struct Abandoned {
    endpoint: Option<Arc<Member>>,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        if let Some(m) = self.endpoint.take() {
            m.mark(false);
        }
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

/// Why a stream could not be opened on an endpoint.
pub(crate) enum StreamError {
    /// The client cannot work at all: (code, message).
    Unusable(i32, String),
    /// Logging in to endpoint `.0` (an id) failed.
    Connect(usize, etcd_client::Error),
}

/// "revision of auth store is old": the token must be renewed.
fn is_stale_auth(e: &etcd_client::Error) -> bool {
    matches!(e, etcd_client::Error::GRpcStatus(s) if is_token_refusal(s.message()))
}

/// The messages with which etcd refuses a token that a new login would fix.
pub(crate) fn is_token_refusal(message: &str) -> bool {
    message.contains("revision of auth store is old") || message.contains("invalid auth token")
}

/// Failures that retrying cannot fix, which end a watcher and fail a keep-alive: the server
/// refused the credentials (a wrong password) or the permission, or the TLS handshake failed on
/// the certificates (an unknown CA, a name mismatch, a missing or rejected client certificate),
/// or a plain-text client talks to a TLS server. Unavailability, timeouts and a token that a
/// new login fixes are transient.
pub(crate) fn is_permanent(err: &etcd_client::Error) -> bool {
    let r = super::response::error_to_response(err);
    if is_token_refusal(&r.error_message) {
        return false;
    }
    match r.error_code {
        code::PERMISSION_DENIED | code::UNAUTHENTICATED => true,
        code::INVALID_ARGUMENT => r.error_message.contains("authentication failed"),
        _ => super::response::is_tls_failure(&r.error_message),
    }
}

/// Classifies an etcd-client error.
pub(crate) fn classify(err: &etcd_client::Error) -> Failure {
    use etcd_client::Error as E;
    match err {
        E::TransportError(_) | E::IoError(_) | E::EndpointError(_) => Failure::NotSent,
        E::GRpcStatus(s) => {
            let text = super::response::error_to_response(err)
                .error_message
                .to_ascii_lowercase();
            let connect = [
                "tcp connect error",
                "connection refused",
                "error trying to connect",
                "dns error",
                "connect timed out",
                "timed out connecting",
            ];
            if s.code() == tonic::Code::Unavailable && connect.iter().any(|c| text.contains(c)) {
                Failure::NotSent
            } else if s.code() == tonic::Code::Unavailable {
                // Also etcd's own "no leader", "request timed out", "leader changed": the member
                // cannot serve now, another may.
                Failure::Transport
            } else if text.starts_with("etcdserver:")
                || text.starts_with("mvcc:")
                || text.starts_with("lease")
            {
                Failure::Server
            } else if matches!(
                s.code(),
                tonic::Code::Unavailable
                    | tonic::Code::Unknown
                    | tonic::Code::Cancelled
                    | tonic::Code::Internal
            ) {
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
    /// 13 "the target uri is not valid", as etcd-cpp-apiv3 does; unreadable TLS files give a
    /// client whose every call reports that.
    pub fn new(spec: &str, options: ClientOptions) -> Client {
        let (eps, _bad) = endpoints::parse(spec);
        let mut unusable = None;
        let tls = match options.tls.as_ref().map(TlsFiles::load).transpose() {
            Ok(t) => t,
            Err(msg) => {
                unusable = Some((code::INVALID_ARGUMENT, msg));
                None
            }
        };
        let connect = Connect {
            connect_timeout: options.connect_timeout,
            keepalive_time: options.keepalive_time,
            keepalive_timeout: options.keepalive_timeout,
            tls,
        };
        let members: Vec<Arc<Member>> = if unusable.is_some() {
            Vec::new()
        } else {
            let connect = connect.clone();
            runtime::block_on(async move {
                let mut members = Vec::new();
                for ep in &eps {
                    if let Some(m) = connect.member(members.len(), ep).await {
                        members.push(Arc::new(m));
                    }
                }
                members
            })
        };
        if members.is_empty() && unusable.is_none() {
            unusable = Some((code::INTERNAL, message::INVALID_TARGET.to_string()));
        }
        let plain_text = connect.tls.is_none();
        let timeout_ms = options.request_timeout.map_or(0, |d| d.as_millis() as i64);
        let user = options.user.filter(|(u, p)| !u.is_empty() && !p.is_empty());
        let first_id = members.first().map_or(0, |m| m.id);
        let client = Client {
            inner: Arc::new(Inner {
                next_id: AtomicUsize::new(members.len()),
                members: RwLock::new(Arc::new(members)),
                connect,
                syncing: tokio::sync::Mutex::new(()),
                unusable,
                user,
                auth_token_ttl: Duration::from_secs(options.auth_token_ttl.max(1) as u64),
                max_receive: options.max_receive_message_size,
                max_send: options.max_send_message_size,
                connect_timeout: options.connect_timeout,
                plain_text,
                token: Mutex::new(None),
                policy: options.load_balancing,
                next: AtomicUsize::new(first_id),
                timeout_ms: AtomicI64::new(timeout_ms),
                shared_streams: Mutex::new(Vec::new()),
            }),
            locks: Default::default(),
            namespace: None,
        };
        if let Some(interval) = options.auto_sync_interval.filter(|d| !d.is_zero()) {
            if client.inner.unusable.is_none() {
                runtime::spawn(auto_sync(Arc::downgrade(&client.inner), interval));
            }
        }
        client
    }

    /// The current endpoint list.
    fn snapshot(&self) -> Members {
        self.inner
            .members
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The endpoint with id `id`, if it is still in the list.
    fn member(&self, id: usize) -> Option<Arc<Member>> {
        self.snapshot().iter().find(|m| m.id == id).cloned()
    }

    /// Asks the cluster for its members and makes their client URLs the endpoint list (see
    /// [`learned_endpoints`]); endpoints that stay keep their channel, login and health, the
    /// others are dropped. When the members name no usable URL the list stays as it is, so it
    /// is never empty. An error leaves the list unchanged and is logged.
    pub(crate) async fn sync_members(
        &self,
    ) -> Result<etcd_client::MemberListResponse, etcd_client::Error> {
        let _one_at_a_time = self.inner.syncing.lock().await;
        let listed = self
            .with_failover(true, |c| {
                let mut cl = c.cluster_client();
                async move { cl.member_list().await }
            })
            .await;
        let r = match listed {
            Ok(r) => r,
            Err(e) => {
                let kept = self.endpoints().join(", ");
                super::log::warn(|| {
                    format!("endpoint sync failed ({e}); keeping the endpoints {kept}")
                });
                return Err(e);
            }
        };
        let members: Vec<ClusterMember> = r.members().iter().map(super::response::member).collect();
        let wanted = learned_endpoints(&members);
        if wanted.is_empty() {
            let kept = self.endpoints().join(", ");
            super::log::warn(|| {
                format!("endpoint sync: no member has a client URL; keeping the endpoints {kept}")
            });
            return Ok(r);
        }
        let old = self.snapshot();
        // Endpoints that stay keep their place; new ones follow in the members' order.
        let mut list: Vec<Arc<Member>> = old
            .iter()
            .filter(|m| wanted.iter().any(|ep| ep.authority() == m.authority))
            .cloned()
            .collect();
        for ep in &wanted {
            if list.iter().any(|m| m.authority == ep.authority()) {
                continue;
            }
            let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
            match self.inner.connect.member(id, ep).await {
                Some(m) => list.push(Arc::new(m)),
                None => {
                    super::log::warn(|| format!("endpoint sync: cannot use {}", ep.authority()))
                }
            }
        }
        if list.is_empty() {
            return Ok(r);
        }
        let changed =
            list.len() != old.len() || list.iter().zip(old.iter()).any(|(a, b)| a.id != b.id);
        if changed {
            let names = |l: &[Arc<Member>]| {
                l.iter()
                    .map(|m| m.authority.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (was, now) = (names(&old), names(&list));
            *self
                .inner
                .members
                .write()
                .unwrap_or_else(|e| e.into_inner()) = Arc::new(list);
            super::log::info(|| {
                format!("endpoints synced from the member list: {now} (were {was})")
            });
        }
        Ok(r)
    }

    /// A view of this client's connection whose keys live under `prefix`, as Go's
    /// `clientv3/namespace`: every key and range of its requests, watchers and election
    /// observers gets the prefix, and every key of their responses and events loses it. Inside
    /// a view, the prefix is added to the view's own (namespaces nest). The view shares the
    /// connection and its settings (timeout, credentials) but has its own held locks.
    pub fn with_namespace(&self, prefix: &[u8]) -> Client {
        let mut full = self.namespace_prefix().to_vec();
        full.extend_from_slice(prefix);
        Client {
            inner: self.inner.clone(),
            locks: Default::default(),
            namespace: if full.is_empty() {
                None
            } else {
                Some(Arc::new(Namespace::new(&full)))
            },
        }
    }

    /// The prefix of the client's keys (empty outside a namespace).
    pub fn namespace_prefix(&self) -> &[u8] {
        self.namespace.as_deref().map_or(&[], Namespace::prefix)
    }

    /// The namespace of the client, if it is a view inside one.
    pub fn namespace(&self) -> Option<&Namespace> {
        self.namespace.as_deref()
    }

    /// The TCP connect timeout per endpoint; also how long a watch waits for etcd to confirm it
    /// on one endpoint before trying the next.
    pub fn connect_timeout(&self) -> Duration {
        self.inner.connect_timeout
    }

    /// Largest response and request sizes, for the per-call clients.
    pub(crate) fn message_limits(&self) -> (usize, usize) {
        (self.inner.max_receive, self.inner.max_send)
    }

    /// Logs endpoint `m` in (once, then again before the token's lifetime runs out). Without
    /// credentials, nothing to do.
    async fn authenticate(&self, m: &Member) -> Result<(), etcd_client::Error> {
        let Some(creds) = &self.inner.user else {
            return Ok(());
        };
        let mut last = m.authenticated.lock().await;
        // Renew a little before the server forgets the token, as etcd-cpp-apiv3 does.
        let renew_after = self
            .inner
            .auth_token_ttl
            .saturating_sub(Duration::from_secs(3))
            .max(Duration::from_secs(1));
        if last.is_some_and(|t| t.elapsed() < renew_after) {
            return Ok(());
        }
        let renewal = last.is_some();
        let mut c = m.client.clone();
        if let Err(e) = c.update_user(Some(creds.clone())).await {
            super::log::warn(|| {
                format!("logging in as '{}' on {} failed: {e}", creds.0, m.authority)
            });
            return Err(e);
        }
        *last = Some(Instant::now());
        super::log::info(|| {
            format!(
                "{} as '{}' on {}",
                if renewal {
                    "auth token renewed"
                } else {
                    "logged in"
                },
                creds.0,
                m.authority
            )
        });
        Ok(())
    }

    /// [`Client::authenticate`] with its state on the heap, and only with credentials: the
    /// state of a login would otherwise be part of every call's.
    async fn login(&self, m: &Member) -> Result<(), etcd_client::Error> {
        if self.inner.user.is_none() {
            return Ok(());
        }
        Box::pin(self.authenticate(m)).await
    }

    /// Forces a new token for endpoint `m` (after "revision of auth store is old").
    async fn reauthenticate(&self, m: &Member) -> Result<(), etcd_client::Error> {
        *m.authenticated.lock().await = None;
        self.authenticate(m).await
    }

    /// After a stream was refused for its token (see [`is_token_refusal`]), logs endpoint `i`
    /// in again; true when the stream should simply be opened again.
    pub(crate) async fn renew_token(&self, i: usize) -> bool {
        match self.member(i) {
            Some(m) if self.inner.user.is_some() => self.reauthenticate(&m).await.is_ok(),
            _ => false,
        }
    }

    /// `current_auth_token()`: a token for the client's user ("" without credentials), renewed
    /// like the connection's own.
    pub fn auth_token(&self) -> String {
        let Some((user, password)) = self.inner.user.clone() else {
            return String::new();
        };
        let renew_after = self
            .inner
            .auth_token_ttl
            .saturating_sub(Duration::from_secs(3))
            .max(Duration::from_secs(1));
        if let Some((t, at)) = self
            .inner
            .token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            if at.elapsed() < renew_after {
                return t.clone();
            }
        }
        let c = self.clone();
        let got = runtime::block_on(async move {
            c.with_failover(true, |cl| {
                let mut auth = cl.auth_client();
                let (u, p) = (user.clone(), password.clone());
                async move { auth.authenticate(u, p).await }
            })
            .await
        });
        match got {
            Ok(r) => {
                let t = r.token().to_string();
                *self.inner.token.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((t.clone(), Instant::now()));
                t
            }
            Err(_) => String::new(),
        }
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

    /// Runs one request's operation `op` under the client's rules: a client that cannot work
    /// answers at once with why; the per-request timeout applies when `timed`; the response
    /// carries `action` if it has none, and how long it took.
    pub(crate) async fn run_request(
        &self,
        action: &'static str,
        timed: bool,
        op: impl Future<Output = Response>,
    ) -> Response {
        let start = Instant::now();
        let mut resp = if let Some((code, msg)) = &self.inner.unusable {
            Response::error(*code, msg.clone())
        } else {
            match self.timeout() {
                Some(t) if timed => tokio::time::timeout(t, op)
                    .await
                    .unwrap_or_else(|_| Response::error(code::DEADLINE_EXCEEDED, message::TIMEOUT)),
                _ => op.await,
            }
        };
        if resp.action.is_empty() {
            resp.action = action.to_string();
        }
        resp.duration = start.elapsed();
        resp
    }

    /// The endpoints in the order a call should try them: from the policy's starting point
    /// round the current list, the healthy ones first (as they were when the call started),
    /// then the others. Allocates nothing: it walks a snapshot of the list.
    fn order(&self) -> Order {
        let members = self.snapshot();
        let n = members.len();
        let start = match self.inner.policy {
            LoadBalancing::RoundRobin => self.inner.next.fetch_add(1, Ordering::Relaxed) % n.max(1),
            LoadBalancing::PickFirst => {
                let id = self.inner.next.load(Ordering::Relaxed);
                members.iter().position(|m| m.id == id).unwrap_or(0)
            }
        };
        let mut down = 0u64;
        for k in 0..n.min(64) {
            if members[(start + k) % n].is_down() {
                down |= 1 << k;
            }
        }
        Order {
            members,
            start,
            n,
            down,
            k: 0,
            second_pass: false,
        }
    }

    /// The most attempts [`Client::with_failover`] and its variants make for one call on the
    /// current list: one per endpoint, two with credentials (a stale token is renewed and the
    /// attempt made again).
    fn max_attempts(&self) -> usize {
        let per_endpoint = if self.inner.user.is_some() { 2 } else { 1 };
        (self.snapshot().len() * per_endpoint).max(1)
    }

    /// Holds `value` for the attempts of one call (see [`PerAttempt`]).
    pub(crate) fn per_attempt<T: Clone>(&self, value: T) -> PerAttempt<T> {
        PerAttempt {
            value: Some(value),
            left: self.max_attempts(),
        }
    }

    /// Whether an attempt that failed with `e` is made again after a new login: only with
    /// credentials (without them there is no token to renew).
    fn retry_after_login(&self, e: &etcd_client::Error) -> bool {
        self.inner.user.is_some() && is_stale_auth(e)
    }

    /// Runs `attempt` against one endpoint after another until one answers or the failure is
    /// one that must not be retried (see the module docs). An attempt abandoned half-way (its
    /// call timed out) marks its endpoint down: a member that does not answer in time (frozen,
    /// overloaded, cut off) then goes behind the healthy ones until a probe gets an answer.
    pub(crate) async fn with_failover<T, F, Fut>(
        &self,
        idempotent: bool,
        attempt: F,
    ) -> Result<T, etcd_client::Error>
    where
        F: FnMut(&etcd_client::Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.failover(idempotent, true, attempt)
            .await
            .map(|(v, _)| v)
    }

    /// [`Client::with_failover`] that also tells which endpoint (host:port) answered.
    pub(crate) async fn with_failover_tracked<T, F, Fut>(
        &self,
        idempotent: bool,
        attempt: F,
    ) -> Result<(T, String), etcd_client::Error>
    where
        F: FnMut(&etcd_client::Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.failover(idempotent, true, attempt)
            .await
            .map(|(v, m)| (v, m.authority.clone()))
    }

    /// Runs `attempt` on endpoint `i` (an id, see [`Client::endpoint_id`]) only (logged in
    /// first), for requests about one member.
    pub(crate) async fn on_endpoint<T, F, Fut>(
        &self,
        i: usize,
        mut attempt: F,
    ) -> Result<T, etcd_client::Error>
    where
        F: FnMut(&etcd_client::Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let Some(m) = self.member(i) else {
            return Err(etcd_client::Error::EndpointError("no such endpoint".into()));
        };
        let mut result = match self.login(&m).await {
            Ok(()) => attempt(&m.client).await,
            Err(e) => Err(e),
        };
        if matches!(&result, Err(e) if self.retry_after_login(e)) {
            result = match Box::pin(self.reauthenticate(&m)).await {
                Ok(()) => attempt(&m.client).await,
                Err(e) => Err(e),
            };
        }
        match result {
            Ok(v) => {
                m.mark(true);
                Ok(v)
            }
            Err(e) if classify(&e) == Failure::Server => Err(e),
            Err(e) => {
                m.mark(false);
                Err(Box::pin(self.explain_on(&m, e)).await)
            }
        }
    }

    /// The client's endpoints as host:port: those it was given, in that order, or those the
    /// last endpoint sync learned.
    pub fn endpoints(&self) -> Vec<String> {
        self.snapshot()
            .iter()
            .map(|m| m.authority.clone())
            .collect()
    }

    /// The id of the endpoint `authority` (host:port), if it is in the list.
    pub(crate) fn endpoint_id(&self, authority: &str) -> Option<usize> {
        self.snapshot()
            .iter()
            .find(|m| m.authority == authority)
            .map(|m| m.id)
    }

    /// host:port of endpoint `i` (an id), or "?" once it has left the list.
    pub(crate) fn endpoint_name(&self, i: usize) -> String {
        self.member(i)
            .map_or_else(|| "?".to_string(), |m| m.authority.clone())
    }

    /// [`Client::with_failover`] for requests that wait on the server by design (a lock, a
    /// campaign): a timeout there says nothing about the endpoint's health.
    pub(crate) async fn with_failover_waiting<T, F, Fut>(
        &self,
        idempotent: bool,
        attempt: F,
    ) -> Result<T, etcd_client::Error>
    where
        F: FnMut(&etcd_client::Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.failover(idempotent, false, attempt)
            .await
            .map(|(v, _)| v)
    }

    async fn failover<T, F, Fut>(
        &self,
        idempotent: bool,
        suspect_if_abandoned: bool,
        mut attempt: F,
    ) -> Result<(T, Arc<Member>), etcd_client::Error>
    where
        F: FnMut(&etcd_client::Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let mut last: Option<(Arc<Member>, etcd_client::Error)> = None;
        for m in self.order() {
            let mut abandoned = Abandoned {
                endpoint: suspect_if_abandoned.then(|| m.clone()),
            };
            let mut result = match self.login(&m).await {
                Ok(()) => attempt(&m.client).await,
                Err(e) => Err(e),
            };
            if matches!(&result, Err(e) if self.retry_after_login(e)) {
                // JWT tokens go stale after any user or role change: log in again, retry once.
                result = match Box::pin(self.reauthenticate(&m)).await {
                    Ok(()) => attempt(&m.client).await,
                    Err(e) => Err(e),
                };
            }
            abandoned.endpoint = None;
            match result {
                Ok(v) => {
                    m.mark(true);
                    if self.inner.policy == LoadBalancing::PickFirst {
                        self.inner.next.store(m.id, Ordering::Relaxed);
                    }
                    if let Some((failed, e)) = &last {
                        let e = e.to_string();
                        super::log::warn(|| {
                            format!(
                                "endpoint {} failed ({e}); the call went to {} instead",
                                failed.authority, m.authority
                            )
                        });
                    }
                    return Ok((v, m));
                }
                Err(e) => match classify(&e) {
                    Failure::NotSent => {
                        m.mark(false);
                        last = Some((m, e));
                    }
                    Failure::Transport if idempotent => {
                        m.mark(false);
                        last = Some((m, e));
                    }
                    Failure::Transport => {
                        // Not retried (the request may have been applied), but the endpoint is
                        // suspect all the same.
                        m.mark(false);
                        return Err(Box::pin(self.explain_on(&m, e)).await);
                    }
                    Failure::Server => return Err(e),
                },
            }
        }
        match last {
            Some((m, e)) => Err(Box::pin(self.explain_on(&m, e)).await),
            None => Err(etcd_client::Error::EndpointError("no endpoint".into())),
        }
    }

    /// The endpoint a long-lived stream should try next (round robin over the current list,
    /// healthy ones first) as (id, channel), logged in if the client has credentials. `Err`
    /// carries why the client cannot work at all (no endpoint, bad TLS files) as (code,
    /// message), or a login failure.
    pub(crate) async fn stream_endpoint(
        &self,
        attempt: usize,
    ) -> Result<(usize, etcd_client::Client), StreamError> {
        if let Some((code, msg)) = &self.inner.unusable {
            return Err(StreamError::Unusable(*code, msg.clone()));
        }
        let n = self.snapshot().len().max(1);
        let Some(m) = self.order().nth(attempt % n) else {
            return Err(StreamError::Unusable(
                code::INTERNAL,
                message::INVALID_TARGET.to_string(),
            ));
        };
        let m = &m;
        match self.authenticate(m).await {
            Ok(()) => Ok((m.id, m.client.clone())),
            Err(e) => Err(StreamError::Connect(m.id, e)),
        }
    }

    /// Explains a failure on endpoint `i` (an id): when a plain-text client's connection broke
    /// and the server there speaks TLS (asked once by sending it the start of a TLS handshake),
    /// the error says so instead of "connection reset".
    pub(crate) async fn explain(&self, i: usize, e: etcd_client::Error) -> etcd_client::Error {
        match self.member(i) {
            Some(m) => self.explain_on(&m, e).await,
            None => e,
        }
    }

    async fn explain_on(&self, m: &Member, e: etcd_client::Error) -> etcd_client::Error {
        if !self.inner.plain_text || !super::response::is_broken_connection_error(&e) {
            return e;
        }
        let speaks_tls = match m.speaks_tls.get() {
            Some(v) => *v,
            None => match speaks_tls(&m.authority, self.inner.connect_timeout).await {
                Some(v) => *m.speaks_tls.get_or_init(|| v),
                None => false,
            },
        };
        if !speaks_tls {
            return e;
        }
        etcd_client::Error::GRpcStatus(tonic::Status::unavailable(format!(
            "the server at {} speaks TLS: connect with an https:// endpoint and TLS options",
            m.authority
        )))
    }

    /// Records that endpoint `i` (an id) failed (or worked) for a stream; nothing once it has
    /// left the list.
    pub(crate) fn report(&self, i: usize, ok: bool) {
        if let Some(m) = self.member(i) {
            m.mark(ok);
        }
    }

    /// Keeps `keepalive`, which refreshes `lease`, for the lock `key` taken with
    /// `lock(name, ttl)` until it is unlocked.
    pub(crate) fn hold_lock(
        &self,
        key: Vec<u8>,
        lease: i64,
        keepalive: impl Send + Sync + 'static,
    ) {
        self.locks.lock().push((key, lease, Box::new(keepalive)));
    }

    /// Drops the keep-alive of lock `key` and returns its lease; `None` for a lock the client
    /// does not hold that way.
    pub(crate) fn release_lock(&self, key: &[u8]) -> Option<i64> {
        let (_, lease, keepalive) = {
            let mut held = self.locks.lock();
            let i = held.iter().position(|(k, _, _)| k == key)?;
            held.swap_remove(i)
        };
        drop(keepalive);
        Some(lease)
    }

    /// Stops the keep-alives of every lock still held (their leases then expire), as
    /// etcd-cpp-apiv3 does when its client is destroyed. The keep-alives hold the client, so
    /// without this a client with held locks would never be freed.
    pub fn release_locks(&self) {
        let held = std::mem::take(&mut *self.locks.lock());
        drop(held);
    }

    /// The one `T` of this connection (made on first use), shared by all clones of the client.
    /// It must not hold the client itself, or the connection would never be freed.
    pub(crate) fn per_connection<T: std::any::Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut all = self
            .inner
            .shared_streams
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for x in all.iter() {
            if let Ok(t) = x.clone().downcast::<T>() {
                return t;
            }
        }
        let t = Arc::new(T::default());
        all.push(t.clone());
        t
    }

    /// Number of endpoints.
    pub fn endpoint_count(&self) -> usize {
        self.snapshot().len()
    }
}

/// The endpoints an endpoint sync takes from the member list: the client URLs of the started
/// voting members, without repeats. Members not started yet (no name, no client URL) and
/// learners (which serve no linearizable request) are skipped, as etcd's Go client does.
pub(crate) fn learned_endpoints(members: &[ClusterMember]) -> Vec<endpoints::Endpoint> {
    let mut out: Vec<endpoints::Endpoint> = Vec::new();
    for m in members {
        if m.name.is_empty() || m.is_learner {
            continue;
        }
        for url in &m.client_urls {
            for ep in endpoints::parse(url).0 {
                if !out.iter().any(|o| o.authority() == ep.authority()) {
                    out.push(ep);
                }
            }
        }
    }
    out
}

/// Refreshes the endpoint list of the client behind `inner` now and then every `interval`,
/// until the client is dropped. Holds the client only while a refresh runs.
async fn auto_sync(inner: Weak<Inner>, interval: Duration) {
    loop {
        {
            let Some(inner) = inner.upgrade() else { return };
            let client = Client {
                inner,
                locks: Default::default(),
                namespace: None,
            };
            if tokio::time::timeout(AUTO_SYNC_TIMEOUT, client.sync_members())
                .await
                .is_err()
            {
                super::log::warn(|| {
                    format!(
                        "endpoint sync found no answer in {} s; keeping the endpoints {}",
                        AUTO_SYNC_TIMEOUT.as_secs(),
                        client.endpoints().join(", ")
                    )
                });
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// The endpoints of one call in the order to try them (see [`Client::order`]): the ones not
/// marked down in `down` first, then the others. Endpoints past the 64th are taken as healthy.
struct Order {
    members: Members,
    start: usize,
    n: usize,
    /// Bit `k`: the `k`-th endpoint from `start` was down.
    down: u64,
    k: usize,
    second_pass: bool,
}

impl Iterator for Order {
    type Item = Arc<Member>;

    fn next(&mut self) -> Option<Arc<Member>> {
        loop {
            if self.k == self.n {
                if self.second_pass {
                    return None;
                }
                self.second_pass = true;
                self.k = 0;
            }
            let k = self.k;
            self.k += 1;
            let down = k < 64 && self.down & (1 << k) != 0;
            if down == self.second_pass {
                return Some(self.members[(self.start + k) % self.n].clone());
            }
        }
    }
}

/// A value every attempt of a call consumes (a key and value handed to etcd-client): cloned
/// while another attempt may follow, moved into the last possible one. A call on one endpoint
/// without credentials thus hands the caller's bytes on to the encoder without a copy.
pub(crate) struct PerAttempt<T> {
    value: Option<T>,
    left: usize,
}

impl<T: Clone> PerAttempt<T> {
    /// The value for the next attempt; `None` only when the call makes more attempts than
    /// counted when it started, which an endpoint sync growing the list mid-call can cause.
    pub(crate) fn next(&mut self) -> Option<T> {
        self.left = self.left.saturating_sub(1);
        let v = self.value.take()?;
        if self.left == 0 {
            return Some(v);
        }
        let copy = v.clone();
        self.value = Some(v);
        Some(copy)
    }
}

/// The error of an attempt [`PerAttempt`] has no value for: not sent, so the call moves on
/// (and, being the last, reports it).
pub(crate) fn no_value_left() -> etcd_client::Error {
    etcd_client::Error::EndpointError("the endpoint list grew during the call".into())
}

/// Whether the server at `authority` speaks TLS: sends it the start of a TLS handshake (a
/// ClientHello) and looks at the first byte of the answer, a TLS handshake or alert record.
/// `None` when that could not be found out (nothing answered).
async fn speaks_tls(authority: &str, limit: Duration) -> Option<bool> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
    ];
    hello.extend_from_slice(&[0x5a; 32]); // random
    hello.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x00]);
    let ask = async {
        let mut conn = tokio::net::TcpStream::connect(authority).await.ok()?;
        conn.write_all(&hello).await.ok()?;
        let mut first = [0u8; 1];
        match conn.read(&mut first).await {
            Ok(1) => Some(first[0] == 0x15 || first[0] == 0x16),
            Ok(_) => Some(false),
            Err(_) => None,
        }
    };
    tokio::time::timeout(limit, ask).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, learner: bool, urls: &[&str]) -> ClusterMember {
        ClusterMember {
            name: name.into(),
            is_learner: learner,
            client_urls: urls.iter().map(|u| u.to_string()).collect(),
            ..ClusterMember::default()
        }
    }

    #[test]
    fn learned_endpoints_skip_unstarted_members_and_learners() {
        let members = [
            member("m0", false, &["http://127.0.0.1:1", "http://10.0.0.1:1"]),
            // Not started yet: no name and no client URL.
            member("", false, &[]),
            member("m2", true, &["http://127.0.0.1:3"]),
            member("m3", false, &["https://[::1]:4/", "http://127.0.0.1:1"]),
            member("m4", false, &["unix:///not-an-endpoint"]),
        ];
        let got: Vec<String> = learned_endpoints(&members)
            .iter()
            .map(endpoints::Endpoint::authority)
            .collect();
        assert_eq!(got, ["127.0.0.1:1", "10.0.0.1:1", "[::1]:4"]);
        assert!(learned_endpoints(&[member("", false, &[])]).is_empty());
    }

    #[test]
    fn a_failed_sync_keeps_the_endpoints() {
        // Nothing listens on these ports: the member list cannot be asked.
        let dead: Vec<String> = (0..2)
            .map(|_| {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                format!("127.0.0.1:{}", l.local_addr().unwrap().port())
            })
            .collect();
        let options = ClientOptions {
            connect_timeout: Duration::from_millis(300),
            ..ClientOptions::default()
        };
        let c = Client::new(&dead.join(","), options);
        assert_eq!(c.endpoints(), dead);
        let c2 = c.clone();
        let r = runtime::block_on(async move { c2.sync_members().await });
        assert!(r.is_err());
        assert_eq!(c.endpoints(), dead, "a failed sync changes nothing");
    }

    #[test]
    fn auto_sync_stops_with_the_client() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ep = format!("127.0.0.1:{}", l.local_addr().unwrap().port());
        drop(l);
        let options = ClientOptions {
            connect_timeout: Duration::from_millis(100),
            auto_sync_interval: Some(Duration::from_millis(20)),
            ..ClientOptions::default()
        };
        let c = Client::new(&ep, options);
        let weak = Arc::downgrade(&c.inner);
        // Failed refreshes keep the one endpoint.
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(300) {
            assert_eq!(c.endpoints(), std::slice::from_ref(&ep));
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(c);
        // The task holds the client only while a refresh runs (at most a connect timeout
        // here), then sees it is gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        while weak.strong_count() > 0 {
            assert!(
                Instant::now() < deadline,
                "the auto-sync task keeps the client alive"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
