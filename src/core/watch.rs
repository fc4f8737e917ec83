//! Watches: the one-shot `watch()` call and the long-lived [`Watcher`].
//!
//! All [`Watcher`]s of a client share one watch stream, owned by one task on the runtime (the
//! [`Hub`]; no thread of its own), as Go's clientv3 does: the task creates the watches on the
//! stream one at a time (etcd answers creates in order, and assigns the watch ids), routes each
//! response to its watcher by watch id, and hands it to that watcher's own [`Strand`] of callback
//! threads, so a slow callback holds up only its own watcher. Each watcher keeps the revision
//! after the last event it delivered; when the stream breaks (member killed, frozen, restarted)
//! the task opens a new one on the next endpoint and creates every watcher again from its own
//! revision, so events are neither lost nor repeated. Only compaction of that revision (error 11,
//! as etcd-cpp-apiv3) or an error from the server ends a watcher. The task ends when the client
//! has no watcher left.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use etcd_client::{WatchOptions, WatchResponse};

use super::client::{classify, is_permanent, Client, Failure, StreamError};
use super::dispatch::{Gate, Strand};
use super::hub;
use super::request::KeyRange;
use super::response::{action, code, error_to_response, message, Event, EventType, Kv, Response};
use super::runtime;

/// Backoff between rounds of failed reconnection attempts.
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);
/// After this long without a message, a watcher asks etcd for a progress notification, so that
/// a watcher whose range is quiet still follows the cluster's revision and, after a reconnect,
/// resumes from a recent revision that compaction has not removed.
pub const PROGRESS_INTERVAL: Duration = Duration::from_secs(5);

fn watch_client(client: &Client, c: &etcd_client::Client) -> etcd_client::WatchClient {
    c.watch_client()
        .max_decoding_message_size(client.message_limits().0)
}

fn watch_options(range: &KeyRange, start_revision: i64) -> WatchOptions {
    let mut opts = WatchOptions::new().with_prev_key();
    if !range.is_single_key() {
        opts = opts.with_range(range.range_end.clone());
    }
    if start_revision > 0 {
        opts = opts.with_start_revision(start_revision);
    }
    opts
}

fn event_kv(kv: Option<&etcd_client::KeyValue>) -> Option<Kv> {
    kv.map(|kv| Kv {
        ttl: -1,
        ..Kv::from_etcd(kv)
    })
}

/// The response for one batch of watch events, shaped as etcd-cpp-apiv3 does: the action, value
/// and previous value describe the first event; `events` has them all.
pub(crate) fn event_response(wr: &WatchResponse) -> Response {
    let events: Vec<Event> = wr
        .events()
        .iter()
        .map(|e| Event {
            event_type: match e.event_type() {
                etcd_client::EventType::Put => EventType::Put,
                etcd_client::EventType::Delete => EventType::Delete,
            },
            kv: event_kv(e.kv()),
            prev_kv: event_kv(e.prev_kv()),
        })
        .collect();
    let act = match events.first() {
        Some(Event {
            event_type: EventType::Put,
            kv: Some(kv),
            ..
        }) if kv.version == 1 => action::CREATE,
        Some(Event {
            event_type: EventType::Put,
            ..
        }) => action::SET,
        Some(Event {
            event_type: EventType::Delete,
            ..
        }) => action::DELETE,
        _ => action::WATCH,
    };
    let first = events.first();
    Response {
        value: first.and_then(|e| e.kv.clone()).unwrap_or_default(),
        prev_value: first.and_then(|e| e.prev_kv.clone()).unwrap_or_default(),
        watch_id: wr.watch_id(),
        events,
        ..Response::ok(act).with_header(wr.header())
    }
}

fn cancel_response(wr: &WatchResponse) -> Response {
    let resp = Response::ok(action::WATCH).with_header(wr.header());
    if wr.compact_revision() != 0 {
        Response {
            compact_revision: wr.compact_revision(),
            ..resp.fail(code::OUT_OF_RANGE, message::COMPACTED)
        }
    } else {
        let reason = if wr.cancel_reason().is_empty() {
            "watch cancelled by the server"
        } else {
            wr.cancel_reason()
        };
        resp.fail(code::CANCELLED, reason)
    }
}

/// What a watch stream produced.
#[allow(clippy::large_enum_variant)] // short-lived, one per stream message
enum Step {
    /// The server refused the stream's token: log in again and reopen.
    Renew,
    /// A response to hand on (events, or the final error).
    Deliver(Response, bool),
    /// Nothing to hand on.
    Skip,
}

/// Tracks the revision to resume from and turns stream messages into [`Step`]s.
struct Cursor {
    next_revision: i64,
}

impl Cursor {
    fn on_message(&mut self, wr: &WatchResponse) -> Step {
        let header_rev = wr.header().map_or(0, |h| h.revision());
        if wr.canceled() {
            if super::client::is_token_refusal(wr.cancel_reason()) {
                return Step::Renew;
            }
            return Step::Deliver(cancel_response(wr), true);
        }
        if wr.created() && self.next_revision <= 0 {
            // Started "from now": pin now, so a reconnect resumes without a gap.
            self.next_revision = header_rev + 1;
        }
        if let Some(last) = wr.events().last() {
            if let Some(kv) = last.kv() {
                self.next_revision = kv.mod_revision() + 1;
            }
            return Step::Deliver(event_response(wr), false);
        }
        if !wr.created() && header_rev >= self.next_revision {
            // A progress notification: everything up to it has been seen.
            self.next_revision = header_rev + 1;
        }
        Step::Skip
    }
}

/// One-shot `watch()`: waits for the first batch of events from `from_revision` (<= 0: now).
/// Follows fail-over like the [`Watcher`]; gives up with the last error when no endpoint can be
/// reached in a full round (the peer instead returns an empty success when its stream dies).
pub(crate) async fn watch_once(client: &Client, range: KeyRange, from_revision: i64) -> Response {
    let mut cursor = Cursor {
        next_revision: from_revision.max(0),
    };
    let mut failures = 0usize;
    let mut attempt = 0usize;
    loop {
        let opened = match client.stream_endpoint(attempt).await {
            Ok((i, c)) => (
                i,
                watch_client(client, &c)
                    .watch(
                        range.key.clone(),
                        Some(watch_options(&range, cursor.next_revision)),
                    )
                    .await,
            ),
            Err(StreamError::Unusable(code, msg)) => return Response::error(code, msg),
            Err(StreamError::Connect(i, e)) => (i, Err(e)),
        };
        attempt += 1;
        let (i, opened) = opened;
        let mut stream = match opened {
            Ok(s) => s,
            Err(e) => {
                if super::client::is_token_refusal(&error_to_response(&e).error_message)
                    && client.renew_token(i).await
                {
                    continue;
                }
                client.report(i, false);
                failures += 1;
                if classify(&e) == Failure::Server || failures >= client.endpoint_count() {
                    return error_to_response(&e);
                }
                continue;
            }
        };
        loop {
            match stream.message().await {
                Ok(Some(wr)) => {
                    client.report(i, true);
                    failures = 0;
                    if wr.created()
                        && from_revision > 0
                        && wr.header().is_some_and(|h| h.revision() < from_revision)
                    {
                        // As the peer: a start revision in the future returns at once, empty.
                        return Response::ok(action::WATCH).with_header(wr.header());
                    }
                    match cursor.on_message(&wr) {
                        Step::Deliver(resp, _) => {
                            let _ = stream.cancel(wr.watch_id()).await;
                            return resp;
                        }
                        Step::Renew if client.renew_token(i).await => break,
                        Step::Renew => return cancel_response(&wr),
                        Step::Skip => {}
                    }
                }
                Ok(None) | Err(_) => {
                    client.report(i, false);
                    break;
                }
            }
        }
    }
}

type Callback = Box<dyn Fn(Response) + Send + Sync>;
type WaitCallback = Box<dyn FnOnce(bool) + Send>;

struct Shared {
    callback: Callback,
    gate: Gate,
    strand: Strand,
    state: Mutex<State>,
    ended_cv: Condvar,
}

#[derive(Default)]
struct State {
    ended: bool,
    cancelled: bool,
    waited: bool,
    wait_callback: Option<WaitCallback>,
    /// The wait callback was handed to the strand and has not finished yet.
    wait_callback_pending: bool,
    /// etcd confirmed the watch (or the watcher failed before it could be): the constructor
    /// waits for this.
    settled: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the watcher after the callbacks already queued have run, so that `wait()` returns
    /// only once the final response was delivered.
    fn finish_after_callbacks(self: &Arc<Self>) {
        let s = self.clone();
        self.strand.post(Box::new(move || s.finish(false)));
    }

    /// Releases the constructor: the watch is confirmed, or has failed for good.
    fn settle(&self) {
        let mut st = self.lock();
        if !st.settled {
            st.settled = true;
            self.ended_cv.notify_all();
        }
    }

    /// Delivers the final error response and ends the watcher after it.
    fn fail(self: &Arc<Self>, resp: Response) {
        self.settle();
        self.deliver(resp);
        self.finish_after_callbacks();
    }

    fn deliver(self: &Arc<Self>, resp: Response) {
        let s = self.clone();
        self.strand.post(Box::new(move || {
            s.gate.run(|| (s.callback)(resp));
        }));
    }

    /// Marks the watcher ended (first call decides `cancelled`) and schedules the wait callback.
    fn finish(self: &Arc<Self>, cancelled: bool) {
        let mut st = self.lock();
        if !st.ended {
            st.ended = true;
            st.cancelled = cancelled;
        }
        self.ended_cv.notify_all();
        self.schedule_wait_callback(st);
    }

    fn schedule_wait_callback(self: &Arc<Self>, mut st: MutexGuard<'_, State>) {
        if !st.ended {
            return;
        }
        let Some(cb) = st.wait_callback.take() else {
            return;
        };
        let cancelled = st.cancelled;
        st.wait_callback_pending = true;
        drop(st);
        let s = self.clone();
        self.strand.post(Box::new(move || {
            s.gate.run_even_if_closed(true, || cb(cancelled));
            s.lock().wait_callback_pending = false;
            s.ended_cv.notify_all();
        }));
    }
}

/// A long-lived watch on a key, a prefix or a range (`etcd::Watcher`).
pub struct Watcher {
    shared: Arc<Shared>,
    /// The revision the watcher resumes from after a reconnect (shared with the stream's task).
    next_revision: Arc<AtomicI64>,
    /// The client's shared watch stream, and this watcher's number there.
    hub: Arc<Hub>,
    id: u64,
    /// When the constructor stops waiting for etcd to confirm the watch.
    start_deadline: Instant,
}

impl Watcher {
    /// Starts watching `range` from `from_revision` (<= 0: from now). `callback` receives every
    /// response that carries events, one at a time and in order, on a callback thread; it also
    /// receives the final error (compaction: 11, or a failure that retrying cannot fix) if the
    /// watch ends.
    ///
    /// Returns once etcd has confirmed the watch, so every write that starts after this returns
    /// is delivered; or once the watcher has failed for good; or, when no endpoint confirms it
    /// within the client's connect timeout, after that timeout, with the watcher still trying in
    /// the background (a watch "from now" then starts at the revision current when it first
    /// reaches a server).
    pub fn new(
        client: &Client,
        range: KeyRange,
        from_revision: i64,
        callback: impl Fn(Response) + Send + Sync + 'static,
    ) -> Watcher {
        let w = Watcher::start(client, range, from_revision, callback);
        w.wait_started(Duration::MAX);
        w
    }

    /// As [`Watcher::new`], but returns at once; [`Watcher::wait_started`] then waits (in
    /// slices, for callers that must stay interruptible) for the moment `new` would return.
    pub fn start(
        client: &Client,
        range: KeyRange,
        from_revision: i64,
        callback: impl Fn(Response) + Send + Sync + 'static,
    ) -> Watcher {
        // Inside a namespace: the range gets the prefix, the events' keys lose it.
        let (range, callback): (KeyRange, Callback) = match client.namespace() {
            Some(ns) => {
                let ns = ns.clone();
                (
                    ns.range(&range),
                    Box::new(move |r| callback(ns.strip_response(r))),
                )
            }
            None => (range, Box::new(callback)),
        };
        let shared = Arc::new(Shared {
            callback,
            gate: Gate::default(),
            strand: Strand::new(runtime::pool()),
            state: Mutex::new(State::default()),
            ended_cv: Condvar::new(),
        });
        let next_revision = Arc::new(AtomicI64::new(from_revision.max(0)));
        let start_deadline = Instant::now() + client.connect_timeout();
        let hub = client.per_connection::<Hub>();
        let task_client = client.clone();
        let id = hub.add(
            Sub {
                range,
                shared: Arc::downgrade(&shared),
                next_revision: next_revision.clone(),
            },
            move |hub, rx| manage(hub, task_client, rx),
        );
        Watcher {
            shared,
            next_revision,
            start_deadline,
            hub,
            id,
        }
    }

    /// Waits at most `at_most` until etcd has confirmed the watch, the watcher has failed for
    /// good, or the client's connect timeout since [`Watcher::start`] has passed; returns
    /// whether one of those happened.
    pub fn wait_started(&self, at_most: Duration) -> bool {
        let now = Instant::now();
        let until = now
            .checked_add(at_most)
            .map_or(self.start_deadline, |t| t.min(self.start_deadline));
        let mut st = self.shared.lock();
        while !st.settled {
            let now = Instant::now();
            if now >= until {
                return now >= self.start_deadline;
            }
            st = self
                .shared
                .ended_cv
                .wait_timeout(st, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// True once etcd has confirmed the watch (or it failed for good).
    pub fn confirmed(&self) -> bool {
        self.shared.lock().settled
    }

    /// The revision the watcher would resume from if its stream broke now: one past the last
    /// event delivered or progress notification received (0 before the watch was confirmed).
    pub fn resume_revision(&self) -> i64 {
        self.next_revision.load(Ordering::Relaxed)
    }

    /// Sets the callback run once, on a callback thread, when the watcher ends (argument: whether
    /// it was cancelled). Returns false if one was set before. If the watcher has already ended
    /// the callback is scheduled at once.
    pub fn set_wait_callback(&self, cb: impl FnOnce(bool) + Send + 'static) -> bool {
        let mut st = self.shared.lock();
        if st.wait_callback.is_some() || st.wait_callback_pending {
            return false;
        }
        st.wait_callback = Some(Box::new(cb));
        self.shared.schedule_wait_callback(st);
        true
    }

    /// Blocks until the watcher ends; returns whether it was cancelled.
    pub fn wait(&self) -> bool {
        let mut st = self.shared.lock();
        st.waited = true;
        while !st.ended {
            st = self
                .shared
                .ended_cv
                .wait(st)
                .unwrap_or_else(|e| e.into_inner());
        }
        st.cancelled
    }

    /// Stops the watcher. Returns promptly whatever the server's state; after it returns no
    /// callback runs any more, except when called from inside this watcher's own callback (then
    /// it cannot wait for that callback, which is the caller). Idempotent.
    pub fn cancel(&self) -> bool {
        self.hub.remove(self.id);
        self.shared.finish(true);
        self.shared.gate.close();
        if !self.shared.gate.is_current() {
            let mut st = self.shared.lock();
            while st.wait_callback_pending {
                st = self
                    .shared
                    .ended_cv
                    .wait(st)
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
        self.shared.lock().cancelled
    }

    /// True once cancelled, or once [`Watcher::wait`] was called (as etcd-cpp-apiv3).
    pub fn cancelled(&self) -> bool {
        let st = self.shared.lock();
        st.cancelled || st.waited
    }

    /// True once the watcher has ended (cancelled, compacted, or ended by the server).
    pub fn ended(&self) -> bool {
        self.shared.lock().ended
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// One watcher as the shared stream sees it. Only the [`Watcher`] (and callbacks queued on its
/// strand) keep its callback alive: once it is dropped the user's data is freed at once, whatever
/// the stream's task is busy with.
struct Sub {
    range: KeyRange,
    shared: Weak<Shared>,
    next_revision: Arc<AtomicI64>,
}

/// The watch stream that all watchers of one client share ([`hub::Hub`]).
type Hub = hub::Hub<Sub>;
type Cmd = hub::Cmd<Sub>;

/// A watcher in the stream task.
struct Entry {
    sub: Sub,
    cursor: Cursor,
    /// Its watch id on the current stream, once etcd created it.
    watch_id: Option<i64>,
    /// When a message for it last arrived (or it was created).
    last_message: Instant,
    /// A progress request was sent for it and no message for it arrived since.
    asked: bool,
}

impl Entry {
    /// Handles a message for this watcher; `None`: the watcher ended (or was dropped).
    fn on_message(&mut self, wr: &WatchResponse, now: Instant) -> Option<Step> {
        self.last_message = now;
        self.asked = false;
        let shared = self.sub.shared.upgrade()?;
        let step = self.cursor.on_message(wr);
        self.sub
            .next_revision
            .store(self.cursor.next_revision, Ordering::Relaxed);
        if wr.created() {
            shared.settle();
        }
        match step {
            Step::Deliver(resp, true) => {
                shared.fail(resp);
                None
            }
            Step::Deliver(resp, false) => {
                shared.deliver(resp);
                Some(Step::Skip)
            }
            other => Some(other),
        }
    }
}

/// The watchers of the task, by number (creation order).
#[derive(Default)]
struct Entries {
    all: BTreeMap<u64, Entry>,
    /// Watch id on the current stream -> watcher number.
    by_watch_id: HashMap<i64, u64>,
}

impl Entries {
    fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Add(id, sub) => {
                let cursor = Cursor {
                    next_revision: sub.next_revision.load(Ordering::Relaxed),
                };
                self.all.insert(
                    id,
                    Entry {
                        sub,
                        cursor,
                        watch_id: None,
                        last_message: Instant::now(),
                        asked: false,
                    },
                );
            }
            Cmd::Remove(id) => {
                if let Some(w) = self.all.remove(&id).and_then(|e| e.watch_id) {
                    self.by_watch_id.remove(&w);
                }
            }
        }
    }

    fn end(&mut self, id: u64) {
        if let Some(w) = self.all.remove(&id).and_then(|e| e.watch_id) {
            self.by_watch_id.remove(&w);
        }
    }

    /// Ends every watcher with `resp`.
    fn fail_all(&mut self, resp: Response) {
        for (_, e) in std::mem::take(&mut self.all) {
            if let Some(shared) = e.sub.shared.upgrade() {
                shared.fail(resp.clone());
            }
        }
        self.by_watch_id.clear();
    }

    /// Forgets the watchers whose [`Watcher`] was dropped.
    fn prune(&mut self) {
        self.all.retain(|_, e| e.sub.shared.strong_count() > 0);
    }

    /// Forgets the watch ids of a stream that broke.
    fn detach(&mut self) {
        self.by_watch_id.clear();
        for e in self.all.values_mut() {
            e.watch_id = None;
            e.asked = false;
        }
    }
}

/// How a stream ended.
enum Ended {
    /// No watcher left.
    Idle,
    /// It broke (or stopped answering): resume every watcher on the next endpoint.
    Broken,
    /// A new token was obtained: reopen it on the same endpoint.
    Renewed,
}

/// The task that owns the client's watch stream, until the client has no watcher.
async fn manage(hub: Arc<Hub>, client: Client, mut rx: mpsc::UnboundedReceiver<Cmd>) {
    let mut entries = Entries::default();
    let mut attempt = 0usize;
    let mut backoff = RETRY_MIN;
    loop {
        while let Ok(cmd) = rx.try_recv() {
            entries.apply(cmd);
        }
        if entries.all.is_empty() {
            match hub.retire(&mut rx) {
                Some(cmd) => {
                    entries.apply(cmd);
                    continue;
                }
                None => return,
            }
        }
        let first = *entries.all.keys().next().expect("not empty");
        let (i, opened) = match client.stream_endpoint(attempt).await {
            Ok((i, c)) => {
                let e = &entries.all[&first];
                let mut wc = watch_client(&client, &c);
                let open = wc.watch(
                    e.sub.range.key.clone(),
                    Some(watch_options(&e.sub.range, e.cursor.next_revision)),
                );
                match tokio::time::timeout(client.connect_timeout(), open).await {
                    Ok(r) => (i, Some(r)),
                    Err(_) => (i, None),
                }
            }
            Err(StreamError::Unusable(code, msg)) => {
                entries.fail_all(Response::error(code, msg));
                continue;
            }
            Err(StreamError::Connect(i, e)) => (i, Some(Err(e))),
        };
        attempt += 1;
        match opened {
            Some(Ok(stream)) => {
                let ended = serve(
                    &client,
                    i,
                    stream,
                    first,
                    &mut entries,
                    &mut rx,
                    &mut attempt,
                    &mut backoff,
                )
                .await;
                entries.detach();
                match ended {
                    Ended::Idle => continue,
                    Ended::Renewed => continue,
                    Ended::Broken => client.report(i, false),
                }
            }
            Some(Err(e)) => {
                let e = client.explain(i, e).await;
                if super::client::is_token_refusal(&error_to_response(&e).error_message)
                    && client.renew_token(i).await
                {
                    continue;
                }
                if classify(&e) == Failure::Server || is_permanent(&e) {
                    entries.fail_all(error_to_response(&e));
                    continue;
                }
                client.report(i, false);
            }
            // No answer within the connect timeout: try the next endpoint.
            None => client.report(i, false),
        }
        // Watchers cancelled or dropped while the stream was being opened are not reconnected
        // (nor logged about: the program may be exiting).
        while let Ok(cmd) = rx.try_recv() {
            entries.apply(cmd);
        }
        entries.prune();
        if entries.all.is_empty() {
            continue;
        }
        super::log::warn(|| {
            format!(
                "watch stream of {} watcher(s) lost on {}; reconnecting, each from its own revision",
                entries.all.len(),
                client.endpoint_name(i),
            )
        });
        // A full round over the endpoints (the list may have changed since the last one).
        if attempt.is_multiple_of(client.endpoint_count().max(1)) {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(RETRY_MAX);
        }
    }
}

/// Runs one stream on endpoint `i`, whose first create (for watcher `first`) was sent when it
/// was opened; creates the others one at a time and routes the responses.
#[allow(clippy::too_many_arguments)]
async fn serve(
    client: &Client,
    i: usize,
    stream: etcd_client::WatchStream,
    first: u64,
    entries: &mut Entries,
    rx: &mut mpsc::UnboundedReceiver<Cmd>,
    attempt: &mut usize,
    backoff: &mut Duration,
) -> Ended {
    let (mut tx, mut responses) = stream.split();
    // The watcher whose create was sent and not yet answered (`None` inside: it was cancelled
    // meanwhile), with when it was sent.
    let mut creating: Option<(Option<u64>, Instant)> = Some((Some(first), Instant::now()));
    let mut pending: VecDeque<u64> = entries
        .all
        .keys()
        .copied()
        .filter(|&k| k != first)
        .collect();
    let mut next_progress = Instant::now() + PROGRESS_INTERVAL;
    loop {
        // Send the next create once the previous one is answered.
        while creating.is_none() {
            let Some(id) = pending.pop_front() else {
                break;
            };
            let Some(e) = entries.all.get(&id) else {
                continue;
            };
            let opts = watch_options(&e.sub.range, e.cursor.next_revision);
            if tx.watch(e.sub.range.key.clone(), Some(opts)).await.is_err() {
                return Ended::Broken;
            }
            creating = Some((Some(id), Instant::now()));
        }
        if entries.all.is_empty() {
            return Ended::Idle;
        }
        // Until etcd confirms a create, wait no longer than a connect; otherwise ask for
        // progress for watchers that have been quiet for a while.
        let deadline = match &creating {
            Some((_, since)) => *since + client.connect_timeout(),
            None => next_progress,
        };
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Cmd::Add(id, sub)) => {
                    entries.apply(Cmd::Add(id, sub));
                    pending.push_back(id);
                }
                Some(Cmd::Remove(id)) => {
                    let watch_id = entries.all.get(&id).and_then(|e| e.watch_id);
                    entries.apply(Cmd::Remove(id));
                    match &mut creating {
                        Some((who, _)) if *who == Some(id) => *who = None,
                        _ => {}
                    }
                    if let Some(w) = watch_id {
                        if tx.cancel(w).await.is_err() {
                            return Ended::Broken;
                        }
                    }
                }
                None => return Ended::Idle,
            },
            msg = responses.message() => match msg {
                Ok(Some(wr)) => {
                    client.report(i, true);
                    *attempt = 0;
                    *backoff = RETRY_MIN;
                    if let Some(ended) = route(client, i, &wr, entries, &mut creating, &mut tx).await {
                        return ended;
                    }
                }
                Ok(None) => return Ended::Broken,
                Err(e) => {
                    if is_permanent(&e) {
                        entries.fail_all(error_to_response(&e));
                        return Ended::Idle;
                    }
                    return Ended::Broken;
                }
            },
            _ = tokio::time::sleep_until(deadline.into()) => {
                if creating.is_some() {
                    return Ended::Broken;
                }
                let now = Instant::now();
                next_progress = now + PROGRESS_INTERVAL;
                let mut any = false;
                for e in entries.all.values_mut() {
                    if e.watch_id.is_some() && now.duration_since(e.last_message) >= PROGRESS_INTERVAL {
                        e.asked = true;
                        any = true;
                    }
                }
                if any && tx.request_progress().await.is_err() {
                    return Ended::Broken;
                }
            }
        }
    }
}

/// Hands one stream message to the watcher(s) it is for. `Some` ends the stream.
async fn route(
    client: &Client,
    i: usize,
    wr: &WatchResponse,
    entries: &mut Entries,
    creating: &mut Option<(Option<u64>, Instant)>,
    tx: &mut etcd_client::WatchRequestSender,
) -> Option<Ended> {
    let now = Instant::now();
    let id = if wr.created() {
        // etcd answers creates in the order sent, and only one is in flight.
        let who = creating.take().and_then(|(who, _)| who);
        match who {
            Some(id) if !wr.canceled() => {
                if let Some(e) = entries.all.get_mut(&id) {
                    e.watch_id = Some(wr.watch_id());
                    entries.by_watch_id.insert(wr.watch_id(), id);
                }
                id
            }
            Some(id) => id,
            None => {
                // Cancelled while being created.
                if !wr.canceled() && tx.cancel(wr.watch_id()).await.is_err() {
                    return Some(Ended::Broken);
                }
                return None;
            }
        }
    } else if wr.watch_id() == -1 && !wr.canceled() && wr.events().is_empty() {
        // A progress notification for the whole stream: it counts for the watchers that asked
        // and heard nothing since (an active watcher may still be catching up).
        for e in entries.all.values_mut().filter(|e| e.asked) {
            e.on_message(wr, now);
        }
        return None;
    } else {
        match entries.by_watch_id.get(&wr.watch_id()) {
            Some(&id) => id,
            None => return None, // a watcher cancelled meanwhile
        }
    };
    let entry = entries.all.get_mut(&id)?;
    match entry.on_message(wr, now) {
        None => entries.end(id),
        Some(Step::Renew) => {
            if client.renew_token(i).await {
                return Some(Ended::Renewed);
            }
            entry_fail(entries, id, cancel_response(wr));
        }
        Some(_) => {}
    }
    None
}

fn entry_fail(entries: &mut Entries, id: u64, resp: Response) {
    if let Some(shared) = entries.all.get(&id).and_then(|e| e.sub.shared.upgrade()) {
        shared.fail(resp);
    }
    entries.end(id);
}
