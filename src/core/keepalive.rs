//! [`KeepAlive`]: keeps a lease alive in the background (`etcd::KeepAlive`).
//!
//! All keep-alives of a client share one LeaseKeepAlive stream, owned by one task on the runtime
//! (the [`Hub`]; no thread of its own), as Go's clientv3 does. Each keep-alive asks for a refresh
//! of its lease every TTL/3 on that stream; the answers carry their lease id and are routed by
//! it. An answer is due within the keep-alive's answer timeout: when one does not come, or the
//! stream breaks, the task opens a new stream (on the next endpoint if one is down) and refreshes
//! every lease on it at once. Only an answer saying a lease is gone (TTL 0, not found) ends that
//! lease's keep-alives, as an `out_of_range` error given to their handlers; the others carry on.
//! Transport trouble alone is never reported as a lost lease. The task holds the keep-alives
//! weakly and ends when the client has none left.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::client::{classify, is_permanent, Client, Failure, StreamError};
use super::dispatch::{Gate, Strand};
use super::hub;
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
    /// The client's shared keep-alive stream and this keep-alive's number there; `None` for a
    /// keep-alive that failed from the start.
    hub: Option<(Arc<Hub>, u64)>,
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
            return KeepAlive { shared, hub: None };
        }
        let hub = client.per_connection::<Hub>();
        let task_client = client.clone();
        let id = hub.add(Arc::downgrade(&shared), move |hub, rx| {
            manage(hub, task_client, rx)
        });
        KeepAlive {
            shared,
            hub: Some((hub, id)),
        }
    }

    /// The lease id.
    pub fn lease(&self) -> i64 {
        self.shared.lease
    }

    /// Stops refreshing (the lease is not revoked; it expires after its TTL). Returns promptly;
    /// after it returns the handler does not run, unless called from inside the handler.
    pub fn cancel(&self) {
        let first = {
            let mut st = self.shared.lock();
            !std::mem::replace(&mut st.cancelled, true)
        };
        if first {
            if let Some((hub, id)) = &self.hub {
                hub.remove(*id);
            }
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

/// One refresh on a stream of its own (for `check`, which waits for it), with fail-over.
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

/// The LeaseKeepAlive stream that all keep-alives of one client share ([`hub::Hub`]); kept per
/// connection, so namespace views of a connection share it too.
type Hub = hub::Hub<Weak<Shared>>;
type Cmd = hub::Cmd<Weak<Shared>>;

/// Where a keep-alive is in its refresh cycle on the current stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Next refresh at this time.
    Idle(Instant),
    /// A refresh is waiting its turn to be sent.
    Queued,
    /// A refresh was sent; its answer is due by this time.
    Sent(Instant),
}

/// A keep-alive in the stream task. Only the [`KeepAlive`] holds its `Shared` (and with it the
/// user's handler): the task only has a weak reference.
struct Entry {
    shared: Weak<Shared>,
    lease: i64,
    interval: Duration,
    phase: Phase,
}

/// The keep-alives of the task, by number (creation order), with their timers.
#[derive(Default)]
struct Entries {
    all: BTreeMap<u64, Entry>,
    /// Lease id -> the keep-alives of that lease (usually one).
    by_lease: HashMap<i64, Vec<u64>>,
    /// (time, keep-alive) of every `Idle` or `Sent` phase.
    timers: BTreeSet<(Instant, u64)>,
    /// Keep-alives whose refresh is to be sent, in order (may name ones removed meanwhile).
    outbox: VecDeque<u64>,
    /// Keep-alives in the `Sent` phase.
    in_flight: usize,
}

impl Entries {
    /// Applies a command; a keep-alive added is refreshed at once.
    fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Add(id, weak) => {
                let Some(s) = weak.upgrade() else { return };
                let entry = Entry {
                    lease: s.lease,
                    interval: s.refresh_interval(),
                    shared: weak,
                    phase: Phase::Queued,
                };
                self.by_lease.entry(entry.lease).or_default().push(id);
                self.all.insert(id, entry);
                self.outbox.push_back(id);
            }
            Cmd::Remove(id) => self.remove(id),
        }
    }

    fn remove(&mut self, id: u64) {
        let Some(e) = self.all.remove(&id) else {
            return;
        };
        self.leave(id, e.phase);
        if let Some(ids) = self.by_lease.get_mut(&e.lease) {
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                self.by_lease.remove(&e.lease);
            }
        }
    }

    /// Undoes the bookkeeping of keep-alive `id` being in `phase`: its timer, its place among
    /// the refreshes in flight.
    fn leave(&mut self, id: u64, phase: Phase) {
        if let Phase::Idle(t) | Phase::Sent(t) = phase {
            self.timers.remove(&(t, id));
        }
        if let Phase::Sent(_) = phase {
            self.in_flight -= 1;
        }
    }

    fn set_phase(&mut self, id: u64, phase: Phase) {
        let Some(old) = self.all.get(&id).map(|e| e.phase) else {
            return;
        };
        self.leave(id, old);
        if let Phase::Sent(_) = phase {
            self.in_flight += 1;
        }
        if let Some(e) = self.all.get_mut(&id) {
            e.phase = phase;
        }
        match phase {
            Phase::Idle(t) | Phase::Sent(t) => {
                self.timers.insert((t, id));
            }
            Phase::Queued => self.outbox.push_back(id),
        }
    }

    /// Ends every keep-alive of `lease`, which the server says is gone.
    fn gone(&mut self, lease: i64) {
        for id in self.by_lease.get(&lease).cloned().unwrap_or_default() {
            if let Some(s) = self.all.get(&id).and_then(|e| e.shared.upgrade()) {
                report(&s, KeepAliveError::expired());
            }
            self.remove(id);
        }
    }

    /// Ends every keep-alive with `err`.
    fn fail_all(&mut self, err: KeepAliveError) {
        for e in std::mem::take(&mut self.all).into_values() {
            if let Some(s) = e.shared.upgrade() {
                report(&s, err.clone());
            }
        }
        *self = Entries::default();
    }

    /// Forgets the keep-alives whose [`KeepAlive`] was dropped.
    fn prune(&mut self) {
        let dead: Vec<u64> = self
            .all
            .iter()
            .filter(|(_, e)| e.shared.strong_count() == 0)
            .map(|(&id, _)| id)
            .collect();
        for id in dead {
            self.remove(id);
        }
    }

    /// A new stream: every keep-alive is to be refreshed on it at once.
    fn restart(&mut self) {
        self.timers.clear();
        self.outbox.clear();
        self.in_flight = 0;
        for (&id, e) in self.all.iter_mut() {
            e.phase = Phase::Queued;
            self.outbox.push_back(id);
        }
    }

    /// The first keep-alive still held, with its lease and answer timeout (the stream is
    /// opened with a refresh of it).
    fn first(&mut self) -> Option<(u64, i64, Duration)> {
        self.prune();
        let (&id, e) = self.all.iter().next()?;
        let timeout = e.shared.upgrade()?.answer_timeout();
        Some((id, e.lease, timeout))
    }

    /// The shortest refresh interval (the longest pause between rounds of reconnection).
    fn shortest_interval(&self) -> Duration {
        self.all
            .values()
            .map(|e| e.interval)
            .min()
            .unwrap_or(Duration::from_secs(1))
    }

    /// The next refresh to send: (keep-alive, lease, answer timeout).
    fn next_to_send(&mut self) -> Option<(u64, i64, Duration)> {
        while let Some(id) = self.outbox.pop_front() {
            let Some(e) = self.all.get(&id) else {
                continue;
            };
            if e.phase != Phase::Queued {
                continue;
            }
            match e.shared.upgrade() {
                Some(s) => return Some((id, e.lease, s.answer_timeout())),
                None => self.remove(id),
            }
        }
        None
    }

    /// An answer for `lease` on the stream.
    fn answered(&mut self, lease: i64, ttl: i64, now: Instant) {
        if ttl <= 0 {
            self.gone(lease);
            return;
        }
        for id in self.by_lease.get(&lease).cloned().unwrap_or_default() {
            if let Some(e) = self.all.get(&id) {
                if matches!(e.phase, Phase::Sent(_)) {
                    let next = now + e.interval;
                    self.set_phase(id, Phase::Idle(next));
                }
            }
        }
    }

    /// Moves the keep-alives whose time has come: a refresh due is queued. Returns false when an
    /// answer is overdue (the stream no longer answers).
    fn fire(&mut self, now: Instant) -> bool {
        while let Some(&(t, id)) = self.timers.first() {
            if t > now {
                break;
            }
            self.timers.pop_first();
            let Some(e) = self.all.get_mut(&id) else {
                continue;
            };
            match e.phase {
                Phase::Sent(_) => {
                    if e.shared.strong_count() == 0 {
                        self.remove(id);
                        continue;
                    }
                    // Put back, so the next stream refreshes it like the others.
                    self.timers.insert((t, id));
                    return false;
                }
                Phase::Idle(_) => {
                    e.phase = Phase::Queued;
                    self.outbox.push_back(id);
                }
                Phase::Queued => {}
            }
        }
        true
    }
}

/// At most this many refreshes wait for their answer at a time. etcd answers a stream's
/// refreshes one after the other (a follower forwards each to the leader and waits), so
/// without a bound a burst of refreshes (every lease after a reconnect) would keep the last
/// ones waiting longer than the answer timeout, and the stream would be reopened again and
/// again; with it, an answer is late only when the stream no longer moves.
const IN_FLIGHT: usize = 128;

/// How a stream ended.
enum Ended {
    /// No keep-alive left.
    Idle,
    /// It broke (or an answer did not come in time): reopen it on the next endpoint.
    Broken,
}

/// The task that owns the client's LeaseKeepAlive stream, until the client has no keep-alive.
async fn manage(hub: Arc<Hub>, client: Client, mut rx: mpsc::UnboundedReceiver<Cmd>) {
    let mut entries = Entries::default();
    let mut attempt = 0usize;
    let mut backoff = Duration::from_millis(100);
    loop {
        while let Ok(cmd) = rx.try_recv() {
            entries.apply(cmd);
        }
        let Some((first, first_lease, timeout)) = entries.first() else {
            match hub.retire(&mut rx) {
                Some(cmd) => {
                    entries.apply(cmd);
                    continue;
                }
                None => return,
            }
        };
        // The stream is opened with a refresh of the first keep-alive's lease.
        let (i, opened) = match client.stream_endpoint(attempt).await {
            Ok((i, c)) => (
                i,
                tokio::time::timeout(timeout, async {
                    c.lease_client().keep_alive(first_lease).await
                })
                .await,
            ),
            Err(StreamError::Unusable(code, msg)) => {
                entries.fail_all(KeepAliveError::failed(code, &msg));
                continue;
            }
            Err(StreamError::Connect(i, e)) => (i, Ok(Err(e))),
        };
        attempt += 1;
        match opened {
            Ok(Ok((keeper, stream))) => {
                client.report(i, true);
                attempt = 0;
                backoff = Duration::from_millis(100);
                entries.restart();
                entries.set_phase(
                    first,
                    Phase::Idle(Instant::now() + entries.all[&first].interval),
                );
                match serve(keeper, stream, &mut entries, &mut rx).await {
                    Ended::Idle => continue,
                    Ended::Broken => client.report(i, false),
                }
            }
            Ok(Err(e)) => {
                let e = client.explain(i, e).await;
                match refresh_error(&e) {
                    Refresh::Gone => {
                        // The server answered: the first lease is gone, the stream is fine.
                        client.report(i, true);
                        attempt = 0;
                        entries.gone(first_lease);
                        continue;
                    }
                    _ if super::client::is_token_refusal(&error_to_response(&e).error_message) => {
                        client.renew_token(i).await;
                    }
                    _ if is_permanent(&e) => {
                        let r = error_to_response(&e);
                        entries.fail_all(KeepAliveError::failed(r.error_code, &r.error_message));
                        continue;
                    }
                    _ => client.report(i, false),
                }
            }
            Err(_) => client.report(i, false),
        }
        // Keep-alives cancelled or dropped meanwhile are not reconnected (nor logged about: the
        // program may be exiting).
        while let Ok(cmd) = rx.try_recv() {
            entries.apply(cmd);
        }
        entries.prune();
        if entries.all.is_empty() {
            continue;
        }
        super::log::warn(|| {
            format!(
                "keep-alive stream of {} lease(s) lost on {}; reconnecting",
                entries.by_lease.len(),
                client.endpoint_name(i)
            )
        });
        // A full round over the endpoints (the list may have changed since the last one).
        if attempt.is_multiple_of(client.endpoint_count().max(1)) {
            tokio::time::sleep(backoff).await;
            let cap = entries.shortest_interval().max(Duration::from_millis(200));
            backoff = (backoff * 2).min(cap);
        }
    }
}

/// Runs one stream: sends each keep-alive's refreshes when due and routes the answers.
/// `keeper` is the stream's sending half (opened for the first lease); a refresh of any lease
/// is a keeper with the same sender and that lease's id.
async fn serve(
    keeper: etcd_client::LeaseKeeper,
    mut stream: etcd_client::LeaseKeepAliveStream,
    entries: &mut Entries,
    rx: &mut mpsc::UnboundedReceiver<Cmd>,
) -> Ended {
    // Far enough to mean "no timer".
    const NEVER: Duration = Duration::from_secs(3600);
    let sender = keeper.sender;
    loop {
        if entries.all.is_empty() {
            return Ended::Idle;
        }
        let wake = entries
            .timers
            .first()
            .map_or_else(|| Instant::now() + NEVER, |&(t, _)| t);
        let sending = !entries.outbox.is_empty() && entries.in_flight < IN_FLIGHT;
        // Requests are sent while answers are read, so that a burst of refreshes (after a
        // reconnect) cannot stall with both directions' buffers full: a request is sent only
        // once there is room for it (this task is the only sender, so the room stays).
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(cmd) => entries.apply(cmd),
                None => return Ended::Idle,
            },
            msg = stream.message() => match msg {
                Ok(Some(resp)) => entries.answered(resp.id(), resp.ttl(), Instant::now()),
                Ok(None) | Err(_) => return Ended::Broken,
            },
            room = sender.reserve(), if sending => {
                if room.is_err() {
                    return Ended::Broken;
                }
                drop(room);
                if let Some((id, lease, timeout)) = entries.next_to_send() {
                    let mut refresh = etcd_client::LeaseKeeper {
                        id: lease,
                        sender: sender.clone(),
                    };
                    if refresh.keep_alive().await.is_err() {
                        return Ended::Broken;
                    }
                    entries.set_phase(id, Phase::Sent(Instant::now() + timeout));
                }
            },
            _ = tokio::time::sleep_until(wake.into()) => {
                if !entries.fire(Instant::now()) {
                    return Ended::Broken;
                }
            }
        }
    }
}
