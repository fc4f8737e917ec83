//! [`ServiceRegistry`]: entries written under one lease that is kept alive, and written again
//! under a new lease when that one is lost.
//!
//! One task on the runtime per registry, no thread. It keeps the lease alive with a
//! [`KeepAlive`] and asks etcd for the lease's TTL every [`RegistryOptions::check_interval`];
//! when etcd says the lease is gone (it expired during a long partition, or an operator revoked
//! it), the task grants a new lease and writes every entry again at once, then tells the
//! optional callback (on a callback thread). Unreachable servers are not a loss: the task keeps
//! asking until one answers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use super::client::Client;
use super::dispatch::{Gate, Strand};
use super::keepalive::KeepAlive;
use super::request::Request;
use super::response::{code, Response};
use super::runtime;
use super::txn::{Transaction, TxnOperation};

/// Puts per transaction when the entries are written again.
const TXN_OPS: usize = 128;

/// Settings of a [`ServiceRegistry`].
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// TTL of the lease in seconds (at least 1).
    pub ttl: i64,
    /// Revoke the lease on `close()`/drop, so that watchers see the DELETEs at once instead of
    /// after the TTL.
    pub revoke_on_close: bool,
    /// How often the lease is checked; a lost lease is noticed within this time.
    pub check_interval: Duration,
    /// How long `close()` waits for the revocation when the cluster does not answer.
    pub close_timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            ttl: 10,
            revoke_on_close: true,
            check_interval: Duration::from_millis(250),
            close_timeout: Duration::from_secs(1),
        }
    }
}

/// Called after the entries were written again under a new lease: (old lease, new lease).
pub type ReregisterCallback = Box<dyn Fn(i64, i64) + Send + Sync>;

struct Shared {
    client: Client,
    options: RegistryOptions,
    callback: Option<ReregisterCallback>,
    gate: Gate,
    strand: Strand,
    /// Serialises writes (add, remove, the rewrite after a loss) so that none is overtaken.
    io: tokio::sync::Mutex<()>,
    wake: Notify,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    lease: i64,
    /// The lease is known to be gone and a new one is being granted.
    lost: bool,
    closed: bool,
    reregistrations: u64,
    /// From noticing the loss to every entry written again, the last time.
    last_rewrite: Duration,
    task: Option<tokio::task::AbortHandle>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Entries kept registered under one lease (`etcd::ServiceRegistry`).
pub struct ServiceRegistry {
    shared: Arc<Shared>,
}

impl ServiceRegistry {
    /// Grants the first lease (blocking, bounded by the client's timeout) and starts keeping it
    /// alive. When the grant fails the registry keeps trying in the background; entries added
    /// meanwhile are written as soon as a lease is granted. With a client inside a namespace
    /// ([`Client::with_namespace`]) the entries' keys are inside it.
    pub fn new(
        client: &Client,
        options: RegistryOptions,
        callback: Option<ReregisterCallback>,
    ) -> ServiceRegistry {
        let mut options = options;
        options.ttl = options.ttl.max(1);
        if options.check_interval.is_zero() {
            options.check_interval = RegistryOptions::default().check_interval;
        }
        let shared = Arc::new(Shared {
            client: client.clone(),
            options,
            callback,
            gate: Gate::default(),
            strand: Strand::new(runtime::pool()),
            io: tokio::sync::Mutex::new(()),
            wake: Notify::new(),
            state: Mutex::new(State::default()),
        });
        let r = client.execute_blocking(Request::LeaseGrant {
            ttl: shared.options.ttl,
        });
        if r.is_ok() && r.value.lease != 0 {
            shared.lock().lease = r.value.lease;
        }
        let task = runtime::spawn(run(shared.clone()));
        shared.lock().task = Some(task.abort_handle());
        ServiceRegistry { shared }
    }

    /// The current lease (0 while none is granted).
    pub fn lease(&self) -> i64 {
        self.shared.lock().lease
    }

    /// How many times the entries were written again under a new lease.
    pub fn reregistrations(&self) -> u64 {
        self.shared.lock().reregistrations
    }

    /// How long the last re-registration took, from noticing the lost lease to every entry
    /// written again.
    pub fn last_rewrite(&self) -> Duration {
        self.shared.lock().last_rewrite
    }

    /// The registered entries.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.shared
            .lock()
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Registers `key = value` (or replaces its value) under the lease and writes it now. The
    /// response is the put's; when no lease is held at the moment (the cluster is unreachable
    /// or the lease is being replaced) it is error 14 and the entry is written as soon as a
    /// lease is granted. After `close()`: error 1.
    pub fn add(&self, key: &[u8], value: &[u8]) -> Response {
        let s = self.shared.clone();
        let (key, value) = (key.to_vec(), value.to_vec());
        runtime::block_on(async move { add(&s, key, value).await })
    }

    /// Unregisters `key` and deletes it from etcd. Returns the delete's response (error 100 if
    /// the key was not in etcd).
    pub fn remove(&self, key: &[u8]) -> Response {
        let s = self.shared.clone();
        let key = key.to_vec();
        runtime::block_on(async move {
            let _io = s.io.lock().await;
            {
                let mut st = s.lock();
                if st.closed {
                    return closed_response();
                }
                st.entries.remove(&key);
            }
            retrying(&s.client, Request::Rm { key }).await
        })
    }

    /// Stops keeping the lease alive and, if configured, revokes it (waiting at most
    /// `close_timeout`). Returns promptly with the cluster down; after it returns the callback
    /// does not run (unless called from inside it). Idempotent.
    pub fn close(&self) {
        let (task, lease) = {
            let mut st = self.shared.lock();
            if st.closed {
                return;
            }
            st.closed = true;
            (st.task.take(), st.lease)
        };
        if let Some(t) = task {
            t.abort();
        }
        self.shared.gate.close();
        if self.shared.options.revoke_on_close && lease != 0 {
            let c = self.shared.client.clone();
            let t = self.shared.options.close_timeout;
            runtime::block_on(async move {
                let _ =
                    tokio::time::timeout(t, c.execute(Request::LeaseRevoke { id: lease })).await;
            });
        }
    }
}

impl Drop for ServiceRegistry {
    fn drop(&mut self) {
        self.close();
    }
}

fn closed_response() -> Response {
    Response::error(code::CANCELLED, "the registry is closed")
}

fn is_lease_gone(r: &Response) -> bool {
    r.error_code == code::NOT_FOUND || r.error_message.contains("lease not found")
}

async fn add(s: &Arc<Shared>, key: Vec<u8>, value: Vec<u8>) -> Response {
    let _io = s.io.lock().await;
    let lease = {
        let mut st = s.lock();
        if st.closed {
            return closed_response();
        }
        st.entries.insert(key.clone(), value.clone());
        if st.lost {
            0
        } else {
            st.lease
        }
    };
    if lease == 0 {
        s.wake.notify_one();
        return Response::error(
            code::UNAVAILABLE,
            "no lease at the moment: the entry is written once one is granted",
        );
    }
    let r = retrying(&s.client, Request::Put { key, value, lease }).await;
    if is_lease_gone(&r) {
        s.wake.notify_one();
    }
    r
}

/// How long `add` and `remove` keep trying while the cluster cannot answer (a leader election
/// after a member failure takes a few seconds).
const RETRY_FOR: Duration = Duration::from_secs(15);

/// Runs a write that may safely be repeated (a put of the same value under the same lease, a
/// delete), trying again for up to [`RETRY_FOR`] while the cluster cannot answer (a member killed
/// mid-call, a leader election): the client does not resend writes by itself.
async fn retrying(client: &Client, req: Request) -> Response {
    let deadline = tokio::time::Instant::now() + RETRY_FOR;
    let mut pause = Duration::from_millis(50);
    loop {
        let r = client.execute(req.clone()).await;
        let transient = matches!(
            r.error_code,
            code::UNAVAILABLE | code::DEADLINE_EXCEEDED | code::UNKNOWN
        );
        if !transient || tokio::time::Instant::now() + pause > deadline {
            return r;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// Grants a new lease and writes every entry under it. Returns the new lease, or None if the
/// cluster did not let it finish (the caller tries again).
async fn reregister(s: &Arc<Shared>) -> Option<i64> {
    let _io = s.io.lock().await;
    let r = s
        .client
        .execute(Request::LeaseGrant { ttl: s.options.ttl })
        .await;
    if !r.is_ok() || r.value.lease == 0 {
        return None;
    }
    let lease = r.value.lease;
    let entries: Vec<(Vec<u8>, Vec<u8>)> = s
        .lock()
        .entries
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // In transactions of up to 128 puts (etcd's default --max-txn-ops), sent concurrently: a
    // thousand entries take a few round trips' time, not a thousand.
    let mut set = tokio::task::JoinSet::new();
    for chunk in entries.chunks(TXN_OPS) {
        let txn = Transaction {
            success: chunk
                .iter()
                .map(|(key, value)| TxnOperation::Put {
                    key: key.clone(),
                    value: value.clone(),
                    lease,
                    prev_kv: false,
                })
                .collect(),
            ..Default::default()
        };
        let c = s.client.clone();
        set.spawn(async move { c.execute(Request::Txn(txn)).await });
    }
    let mut ok = true;
    while let Some(r) = set.join_next().await {
        ok &= matches!(r, Ok(ref r) if r.is_ok());
    }
    if !ok {
        // Leave no second lease behind; the next attempt grants a fresh one.
        let c = s.client.clone();
        runtime::spawn(async move { c.execute(Request::LeaseRevoke { id: lease }).await });
        return None;
    }
    let mut st = s.lock();
    st.lease = lease;
    st.lost = false;
    Some(lease)
}

/// Asks etcd whether `lease` still exists: Some(false) when it is gone, None when no answer.
async fn lease_alive(s: &Shared, lease: i64) -> Option<bool> {
    let r = tokio::time::timeout(
        s.options.check_interval.max(Duration::from_secs(1)),
        s.client.execute(Request::LeaseTimeToLive { id: lease }),
    )
    .await
    .ok()?;
    if r.is_ok() {
        Some(r.value.ttl > 0)
    } else if is_lease_gone(&r) {
        Some(false)
    } else {
        None
    }
}

async fn run(s: Arc<Shared>) {
    let mut keeper: Option<KeepAlive> = None;
    let mut backoff = Duration::from_millis(50);
    let mut lost_since: Option<std::time::Instant> = None;
    loop {
        let (lease, lost) = {
            let st = s.lock();
            (st.lease, st.lost || st.lease == 0)
        };
        if lost {
            let noticed = *lost_since.get_or_insert_with(std::time::Instant::now);
            // Stop refreshing the old lease before replacing it.
            drop(keeper.take());
            match reregister(&s).await {
                Some(new) => {
                    backoff = Duration::from_millis(50);
                    lost_since = None;
                    if lease != 0 {
                        // A lease was lost (not merely never granted): tell the owner.
                        let mut st = s.lock();
                        st.reregistrations += 1;
                        st.last_rewrite = noticed.elapsed();
                        drop(st);
                        notify(&s, lease, new);
                    }
                }
                None => {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
            continue;
        }
        if keeper.is_none() {
            let waker = s.clone();
            keeper = Some(KeepAlive::new(
                &s.client,
                s.options.ttl,
                lease,
                Some(Box::new(move |_| waker.wake.notify_one())),
            ));
        }
        tokio::select! {
            _ = s.wake.notified() => {}
            _ = tokio::time::sleep(s.options.check_interval) => {}
        }
        if lease_alive(&s, lease).await == Some(false) {
            let mut st = s.lock();
            if st.lease == lease {
                st.lost = true;
            }
        }
    }
}

fn notify(s: &Arc<Shared>, old: i64, new: i64) {
    if s.callback.is_none() {
        return;
    }
    let s2 = s.clone();
    s.strand.post(Box::new(move || {
        s2.gate.run(|| {
            if let Some(cb) = &s2.callback {
                cb(old, new);
            }
        });
    }));
}
