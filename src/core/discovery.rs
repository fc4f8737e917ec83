//! [`ServiceDiscovery`]: a live, consistent view of the keys under a prefix.
//!
//! One task on the runtime per view, no thread. It lists the prefix at revision R, then watches
//! it from R + 1 with a [`Watcher`], so no change is missed or seen twice; the watcher itself
//! resumes after a disconnect from the revision after its last event. When that revision has
//! been compacted (or the server ends the watch), the task lists the prefix again, reports the
//! difference between the old and the new contents as changes, and watches on from the new
//! listing: the view never ends with error 11. Changes reach the listener in order, one at a
//! time, on a callback thread.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::client::Client;
use super::dispatch::{Gate, Strand};
use super::request::{KeyRange, Request};
use super::response::{code, EventType, Kv, Response};
use super::runtime;
use super::watch::Watcher;

/// What happened to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Updated,
    Removed,
}

/// One change of the view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// The entry now (for `Removed`: only the key and the revision of the removal are set).
    pub value: Kv,
    /// The entry before (for `Added`: None).
    pub prev: Option<Kv>,
}

/// Receives the changes of a [`ServiceDiscovery`].
pub type Listener = Box<dyn Fn(&Change) + Send + Sync>;

struct Shared {
    client: Client,
    range: KeyRange,
    listener: Option<Listener>,
    gate: Gate,
    strand: Strand,
    state: Mutex<State>,
    cv: Condvar,
}

#[derive(Default)]
struct State {
    entries: BTreeMap<Vec<u8>, Kv>,
    /// The revision the view is current at.
    revision: i64,
    ready: bool,
    closed: bool,
    listings: u64,
    watcher: Option<Watcher>,
    task: Option<tokio::task::AbortHandle>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn post(self: &Arc<Self>, changes: Vec<Change>) {
        if changes.is_empty() || self.listener.is_none() {
            return;
        }
        let s = self.clone();
        self.strand.post(Box::new(move || {
            s.gate.run(|| {
                if let Some(l) = &s.listener {
                    for c in &changes {
                        l(c);
                    }
                }
            });
        }));
    }
}

/// A live view of a prefix (`etcd::ServiceDiscovery`).
pub struct ServiceDiscovery {
    shared: Arc<Shared>,
}

/// Why the watch of the current listing ended.
enum End {
    Compacted,
    Other,
}

impl ServiceDiscovery {
    /// Starts following the keys under `prefix`; returns at once. [`ServiceDiscovery::wait_ready`]
    /// waits for the first listing. `listener` gets every change, the first listing's entries
    /// included (as `Added`). With a client inside a namespace ([`Client::with_namespace`]),
    /// `prefix` is inside it and the keys reported have no namespace prefix.
    pub fn new(client: &Client, prefix: &[u8], listener: Option<Listener>) -> ServiceDiscovery {
        let shared = Arc::new(Shared {
            client: client.clone(),
            range: KeyRange::prefix(prefix),
            listener,
            gate: Gate::default(),
            strand: Strand::new(runtime::pool()),
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
        });
        let task = runtime::spawn(run(shared.clone()));
        shared.lock().task = Some(task.abort_handle());
        ServiceDiscovery { shared }
    }

    /// Waits at most `timeout` for the first listing; returns whether it is in.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let until = Instant::now().checked_add(timeout);
        let mut st = self.shared.lock();
        while !st.ready && !st.closed {
            let now = Instant::now();
            let left = match until {
                Some(u) if u <= now => return false,
                Some(u) => u - now,
                None => Duration::from_secs(3600),
            };
            st = self
                .shared
                .cv
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        st.ready
    }

    /// True once the first listing is in.
    pub fn ready(&self) -> bool {
        self.shared.lock().ready
    }

    /// The entries, sorted by key, and the revision they are current at.
    pub fn snapshot(&self) -> (i64, Vec<Kv>) {
        let st = self.shared.lock();
        (st.revision, st.entries.values().cloned().collect())
    }

    /// The revision the view is current at (0 before the first listing).
    pub fn revision(&self) -> i64 {
        self.shared.lock().revision
    }

    /// How many times the prefix was listed (1 + the listings after compaction or an ended
    /// watch).
    pub fn listings(&self) -> u64 {
        self.shared.lock().listings
    }

    /// Stops following. Returns promptly with the cluster down; after it returns the listener
    /// does not run (unless called from inside it). Idempotent.
    pub fn close(&self) {
        let (task, watcher) = {
            let mut st = self.shared.lock();
            st.closed = true;
            (st.task.take(), st.watcher.take())
        };
        self.shared.cv.notify_all();
        if let Some(t) = task {
            t.abort();
        }
        if let Some(w) = watcher {
            w.cancel();
        }
        self.shared.gate.close();
    }
}

impl Drop for ServiceDiscovery {
    fn drop(&mut self) {
        self.close();
    }
}

fn clean(mut kv: Kv) -> Kv {
    kv.ttl = 0;
    kv
}

/// Replaces the view's contents with a listing and returns the difference.
fn apply_listing(st: &mut State, values: Vec<Kv>, revision: i64) -> Vec<Change> {
    let mut fresh: BTreeMap<Vec<u8>, Kv> =
        values.into_iter().map(|kv| (kv.key.clone(), kv)).collect();
    let mut changes = Vec::new();
    for (key, old) in &st.entries {
        match fresh.get(key) {
            None => changes.push(Change {
                kind: ChangeKind::Removed,
                value: Kv {
                    key: key.clone(),
                    mod_revision: revision,
                    ..Kv::default()
                },
                prev: Some(old.clone()),
            }),
            Some(new) if new.mod_revision != old.mod_revision => changes.push(Change {
                kind: ChangeKind::Updated,
                value: new.clone(),
                prev: Some(old.clone()),
            }),
            Some(_) => {}
        }
    }
    for (key, new) in &fresh {
        if !st.entries.contains_key(key) {
            changes.push(Change {
                kind: ChangeKind::Added,
                value: new.clone(),
                prev: None,
            });
        }
    }
    std::mem::swap(&mut st.entries, &mut fresh);
    st.revision = revision;
    changes
}

/// Applies one batch of watch events and returns the changes.
fn apply_events(st: &mut State, resp: &Response) -> Vec<Change> {
    let mut changes = Vec::new();
    // What the view held before this response: one revision can change many keys (a
    // transaction, a revoked lease), so the threshold must not move within the response.
    let listed = st.revision;
    for e in &resp.events {
        let Some(kv) = e.kv.clone().map(clean) else {
            continue;
        };
        if kv.mod_revision <= listed && listed > 0 && kv.mod_revision > 0 {
            // Already part of the listing: never reported twice.
            continue;
        }
        match e.event_type {
            EventType::Put => {
                let prev = st.entries.insert(kv.key.clone(), kv.clone());
                changes.push(Change {
                    kind: if prev.is_some() {
                        ChangeKind::Updated
                    } else {
                        ChangeKind::Added
                    },
                    value: kv.clone(),
                    prev,
                });
            }
            EventType::Delete => {
                if let Some(prev) = st.entries.remove(&kv.key) {
                    changes.push(Change {
                        kind: ChangeKind::Removed,
                        value: kv.clone(),
                        prev: Some(prev),
                    });
                }
            }
            EventType::Invalid => {}
        }
        st.revision = st.revision.max(kv.mod_revision);
    }
    changes
}

async fn run(s: Arc<Shared>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<End>();
    let mut backoff = Duration::from_millis(50);
    loop {
        let r = s
            .client
            .execute(Request::Range {
                range: s.range.clone(),
                limit: 0,
                revision: 0,
                keys_only: false,
            })
            .await;
        if !r.is_ok() {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
            continue;
        }
        backoff = Duration::from_millis(50);
        let revision = r.index;
        let values: Vec<Kv> = r.values.into_iter().map(clean).collect();
        let old_watcher;
        {
            let mut st = s.lock();
            if st.closed {
                return;
            }
            let changes = apply_listing(&mut st, values, revision);
            st.ready = true;
            st.listings += 1;
            // Posted before the new watcher starts, so its events come after these changes.
            s.post(changes);
            let s2 = s.clone();
            let tx2 = tx.clone();
            let w = Watcher::start(&s.client, s.range.clone(), revision + 1, move |resp| {
                on_watch(&s2, &tx2, resp)
            });
            old_watcher = st.watcher.replace(w);
        }
        s.cv.notify_all();
        if let Some(w) = old_watcher {
            // It has ended; dropping it waits for its last callback, so not on a runtime worker.
            runtime::submit(Box::new(move || drop(w)));
        }
        match rx.recv().await {
            Some(End::Compacted) => {}
            Some(End::Other) => tokio::time::sleep(Duration::from_millis(200)).await,
            None => return,
        }
    }
}

fn on_watch(s: &Arc<Shared>, tx: &mpsc::UnboundedSender<End>, resp: Response) {
    if !resp.is_ok() {
        let end = if resp.error_code == code::OUT_OF_RANGE {
            End::Compacted
        } else {
            End::Other
        };
        let _ = tx.send(end);
        return;
    }
    let mut st = s.lock();
    if st.closed {
        return;
    }
    let changes = apply_events(&mut st, &resp);
    s.post(changes);
}
