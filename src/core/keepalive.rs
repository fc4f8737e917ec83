//! [`KeepAlive`]: keeps a lease alive in the background (`etcd::KeepAlive`).
//!
//! One task on the runtime per keep-alive, no thread. It refreshes every TTL/3 over a
//! LeaseKeepAlive stream. When the stream breaks or a refresh gets no answer within the
//! interval, it reconnects (to the next endpoint if one is down) and carries on; only an
//! answer saying the lease is gone (TTL 0, not found) ends it, as an `out_of_range` error given
//! to the handler. Transport trouble alone is never reported as a lost lease.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::client::{classify, is_permanent, Client, Failure, StreamError};
use super::dispatch::{Gate, Strand};
use super::lease;
use super::response::{code, error_to_response};
use super::runtime;

/// Which C++ exception type an error becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepAliveErrorKind {
    /// `std::runtime_error`: a refresh failed with a server error.
    Runtime,
    /// `std::out_of_range`: the lease expired or was revoked.
    OutOfRange,
}

/// A keep-alive failure, with etcd-cpp-apiv3's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeepAliveError {
    pub kind: KeepAliveErrorKind,
    pub message: String,
}

impl KeepAliveError {
    fn expired() -> KeepAliveError {
        KeepAliveError {
            kind: KeepAliveErrorKind::OutOfRange,
            message: "Failed to refresh lease due to expiration: the new TTL is 0.".into(),
        }
    }

    /// The lease could not be granted: the keep-alive has nothing to keep alive.
    fn not_granted(code: i32, message: &str) -> KeepAliveError {
        KeepAliveError {
            kind: KeepAliveErrorKind::Runtime,
            message: format!("Failed to grant the lease: error code: {code}, message: {message}"),
        }
    }

    fn failed(code: i32, message: &str) -> KeepAliveError {
        KeepAliveError {
            kind: KeepAliveErrorKind::Runtime,
            message: format!("Failed to refresh lease: error code: {code}, message: {message}"),
        }
    }
}

/// Gets the error that ends a keep-alive, once, on a callback thread.
pub type Handler = Box<dyn Fn(KeepAliveError) + Send + Sync>;

struct Shared {
    client: Client,
    lease: i64,
    ttl: i64,
    handler: Option<Handler>,
    gate: Gate,
    strand: Strand,
    timeout_ms: AtomicI64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    error: Option<KeepAliveError>,
    cancelled: bool,
    task: Option<tokio::task::AbortHandle>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores the first error and reports whether it was the first.
    fn store(&self, err: &KeepAliveError) -> bool {
        let mut st = self.lock();
        if st.error.is_some() || st.cancelled {
            return false;
        }
        st.error = Some(err.clone());
        true
    }

    fn refresh_interval(&self) -> Duration {
        Duration::from_millis((self.ttl.max(1) as u64 * 1000) / 3).max(Duration::from_millis(100))
    }

    /// How long to wait for the answer to one refresh.
    fn answer_timeout(&self) -> Duration {
        match self.timeout_ms.load(Ordering::Relaxed) {
            ms if ms > 0 => Duration::from_millis(ms as u64),
            _ => self.refresh_interval().max(Duration::from_secs(1)),
        }
    }
}

/// Result of one refresh attempt.
enum Refresh {
    Alive,
    Gone,
    Unreachable,
}

/// A lease kept alive in the background.
pub struct KeepAlive {
    shared: Arc<Shared>,
}

impl KeepAlive {
    /// Keeps `lease_id` alive, refreshing every `ttl`/3 seconds. When `ttl > 0` and `lease_id ==
    /// 0`, first grants a lease of `ttl` seconds (blocking; a failed grant leaves the id 0, and the
    /// keep-alive then reports the error). `handler` gets the error that ends the keep-alive, once,
    /// on a callback thread.
    pub fn new(client: &Client, ttl: i64, lease_id: i64, handler: Option<Handler>) -> KeepAlive {
        let mut failed = None;
        let lease = if ttl > 0 && lease_id == 0 {
            let r = runtime::block_on(lease::grant_request(client.clone(), ttl));
            if !r.is_ok() {
                failed = Some(KeepAliveError::not_granted(r.error_code, &r.error_message));
            }
            r.value.lease
        } else {
            lease_id
        };
        let shared = Arc::new(Shared {
            client: client.clone(),
            lease,
            ttl,
            handler,
            gate: Gate::default(),
            strand: Strand::new(runtime::pool()),
            timeout_ms: AtomicI64::new(client.timeout_ms()),
            state: Mutex::new(State::default()),
        });
        if let Some(err) = failed {
            // Failed from the start: no lease to keep alive. `check()` reports it and the
            // handler hears of it once, so that nobody goes on with lease 0.
            report(&shared, err);
            return KeepAlive { shared };
        }
        let task = runtime::spawn(run(shared.clone()));
        shared.lock().task = Some(task.abort_handle());
        KeepAlive { shared }
    }

    /// The lease id.
    pub fn lease(&self) -> i64 {
        self.shared.lease
    }

    /// Stops refreshing (the lease is not revoked; it expires after its TTL). Returns promptly;
    /// after it returns the handler does not run, unless called from inside the handler.
    pub fn cancel(&self) {
        let task = {
            let mut st = self.shared.lock();
            st.cancelled = true;
            st.task.take()
        };
        if let Some(t) = task {
            t.abort();
        }
        self.shared.gate.close();
    }

    /// The stored error if any; otherwise refreshes once now. A lease found gone is stored,
    /// ends the keep-alive and is passed to the handler on this thread. A refresh that cannot
    /// reach the cluster is not an error (the background loop keeps trying). After
    /// [`KeepAlive::cancel`] returns `None` unless an error was stored before.
    pub fn check(&self) -> Option<KeepAliveError> {
        {
            let st = self.shared.lock();
            if st.error.is_some() || st.cancelled {
                return st.error.clone();
            }
        }
        let s = self.shared.clone();
        let outcome = runtime::block_on(async move {
            let t = s.answer_timeout();
            tokio::time::timeout(t, refresh_once(&s))
                .await
                .unwrap_or(Refresh::Unreachable)
        });
        let err = match outcome {
            Refresh::Alive | Refresh::Unreachable => return None,
            Refresh::Gone => KeepAliveError::expired(),
        };
        if self.shared.store(&err) {
            self.cancel();
            if let Some(h) = &self.shared.handler {
                h(err.clone());
            }
        }
        self.shared.lock().error.clone()
    }

    /// Sets the timeout for one refresh answer in milliseconds (0: the refresh interval).
    pub fn set_timeout_ms(&self, ms: i64) {
        self.shared.timeout_ms.store(ms.max(0), Ordering::Relaxed);
    }

    /// The timeout for one refresh answer in milliseconds.
    pub fn timeout_ms(&self) -> i64 {
        self.shared.timeout_ms.load(Ordering::Relaxed)
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Classifies a failed keep-alive call. Only the server saying the lease does not exist is
/// final; anything else (no leader, timeouts, a member restarting, auth trouble that a new
/// token fixes) is retried while the lease may still be alive.
fn refresh_error(e: &etcd_client::Error) -> Refresh {
    match e {
        etcd_client::Error::LeaseKeepAliveError(m) if m.contains("not found") => Refresh::Gone,
        _ if classify(e) == Failure::Server
            && error_to_response(e).error_code == code::NOT_FOUND =>
        {
            Refresh::Gone
        }
        _ => Refresh::Unreachable,
    }
}

/// One refresh on a fresh stream (for `check`), with fail-over.
async fn refresh_once(s: &Shared) -> Refresh {
    let id = s.lease;
    let r = s
        .client
        .with_failover(true, |c| {
            let mut lease = c.lease_client();
            async move { lease.keep_alive(id).await.map(|_| ()) }
        })
        .await;
    match r {
        Ok(()) => Refresh::Alive,
        Err(e) => refresh_error(&e),
    }
}

fn report(s: &Arc<Shared>, err: KeepAliveError) {
    if !s.store(&err) {
        return;
    }
    super::log::error(|| format!("keep-alive of lease {:x} ended: {}", s.lease, err.message));
    if s.handler.is_some() {
        let s2 = s.clone();
        s.strand.post(Box::new(move || {
            s2.gate.run(|| {
                if let Some(h) = &s2.handler {
                    h(err);
                }
            });
        }));
    }
}

async fn run(s: Arc<Shared>) {
    let interval = s.refresh_interval();
    let mut attempt = 0usize;
    let mut backoff = Duration::from_millis(100);
    loop {
        let (i, opened) = match s.client.stream_endpoint(attempt).await {
            Ok((i, c)) => (
                i,
                tokio::time::timeout(s.answer_timeout(), async {
                    c.lease_client().keep_alive(s.lease).await
                })
                .await,
            ),
            Err(StreamError::Unusable(code, msg)) => {
                report(&s, KeepAliveError::failed(code, &msg));
                return;
            }
            Err(StreamError::Connect(i, e)) => (i, Ok(Err(e))),
        };
        attempt += 1;
        match opened {
            Ok(Ok((mut keeper, mut stream))) => {
                s.client.report(i, true);
                attempt = 0;
                backoff = Duration::from_millis(100);
                loop {
                    tokio::time::sleep(interval).await;
                    if keeper.keep_alive().await.is_err() {
                        break;
                    }
                    match tokio::time::timeout(s.answer_timeout(), stream.message()).await {
                        Ok(Ok(Some(resp))) if resp.ttl() > 0 => {}
                        Ok(Ok(Some(_))) => {
                            report(&s, KeepAliveError::expired());
                            return;
                        }
                        Ok(Ok(None)) | Ok(Err(_)) | Err(_) => break,
                    }
                }
                s.client.report(i, false);
            }
            Ok(Err(e)) => {
                let e = s.client.explain(i, e).await;
                match refresh_error(&e) {
                    Refresh::Gone => {
                        report(&s, KeepAliveError::expired());
                        return;
                    }
                    _ if super::client::is_token_refusal(&error_to_response(&e).error_message) => {
                        s.client.renew_token(i).await;
                    }
                    _ if is_permanent(&e) => {
                        let r = error_to_response(&e);
                        report(&s, KeepAliveError::failed(r.error_code, &r.error_message));
                        return;
                    }
                    _ => s.client.report(i, false),
                }
            }
            Err(_) => s.client.report(i, false),
        }
        super::log::warn(|| {
            format!(
                "keep-alive of lease {:x} lost its stream on {}; reconnecting",
                s.lease,
                s.client.endpoint_name(i)
            )
        });
        // A full round over the endpoints (the list may have changed since the last one).
        if attempt.is_multiple_of(s.client.endpoint_count().max(1)) {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(interval.max(Duration::from_millis(200)));
        }
    }
}
