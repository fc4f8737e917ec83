//! Watches: the one-shot `watch()` call and the long-lived [`Watcher`].
//!
//! A [`Watcher`] is one task on the runtime (no thread of its own). It keeps the revision after
//! the last event it delivered; when its stream breaks (member killed, frozen, restarted) it
//! opens a new one on the next endpoint from that revision, so events are neither lost nor
//! repeated. Only compaction of that revision (error 11, as etcd-cpp-apiv3) or an error from the
//! server ends it. Callbacks run in order on a [`Strand`] of callback threads.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use etcd_client::{WatchOptions, WatchResponse};

use super::client::{classify, is_permanent, Client, Failure, StreamError};
use super::dispatch::{Gate, Strand};
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
    task: Option<tokio::task::AbortHandle>,
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
    /// The revision the watcher resumes from after a reconnect (shared with its task).
    next_revision: Arc<AtomicI64>,
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
        let shared = Arc::new(Shared {
            callback: Box::new(callback),
            gate: Gate::default(),
            strand: Strand::new(runtime::pool()),
            state: Mutex::new(State::default()),
            ended_cv: Condvar::new(),
        });
        let next_revision = Arc::new(AtomicI64::new(from_revision.max(0)));
        let start_deadline = Instant::now() + client.connect_timeout();
        let task = runtime::spawn(run(
            shared.clone(),
            client.clone(),
            range,
            next_revision.clone(),
        ));
        shared.lock().task = Some(task.abort_handle());
        Watcher {
            shared,
            next_revision,
            start_deadline,
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
        let task = self.shared.lock().task.take();
        if let Some(t) = task {
            t.abort();
        }
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

async fn run(shared: Arc<Shared>, client: Client, range: KeyRange, next_revision: Arc<AtomicI64>) {
    let mut cursor = Cursor {
        next_revision: next_revision.load(Ordering::Relaxed),
    };
    let mut attempt = 0usize;
    let mut backoff = RETRY_MIN;
    loop {
        let (i, opened) = match client.stream_endpoint(attempt).await {
            Ok((i, c)) => {
                let mut wc = watch_client(&client, &c);
                let open = wc.watch(
                    range.key.clone(),
                    Some(watch_options(&range, cursor.next_revision)),
                );
                match tokio::time::timeout(client.connect_timeout(), open).await {
                    Ok(r) => (i, Some(r)),
                    Err(_) => (i, None),
                }
            }
            Err(StreamError::Unusable(code, msg)) => {
                shared.fail(Response::error(code, msg));
                return;
            }
            Err(StreamError::Connect(i, e)) => (i, Some(Err(e))),
        };
        attempt += 1;
        match opened {
            Some(Ok(mut stream)) => {
                let mut created = false;
                loop {
                    // Until etcd confirms the watch, wait no longer than a connect; then ask for
                    // progress whenever the stream has been quiet for a while.
                    let quiet = if created {
                        PROGRESS_INTERVAL
                    } else {
                        client.connect_timeout()
                    };
                    let msg = match tokio::time::timeout(quiet, stream.message()).await {
                        Ok(m) => m,
                        Err(_) if !created => {
                            client.report(i, false);
                            break;
                        }
                        Err(_) => {
                            if stream.request_progress().await.is_err() {
                                client.report(i, false);
                                break;
                            }
                            continue;
                        }
                    };
                    match msg {
                        Ok(Some(wr)) => {
                            client.report(i, true);
                            attempt = 0;
                            backoff = RETRY_MIN;
                            let step = cursor.on_message(&wr);
                            next_revision.store(cursor.next_revision, Ordering::Relaxed);
                            if wr.created() {
                                created = true;
                                shared.settle();
                            }
                            match step {
                                Step::Deliver(resp, true) => {
                                    shared.fail(resp);
                                    return;
                                }
                                Step::Deliver(resp, false) => shared.deliver(resp),
                                Step::Renew if client.renew_token(i).await => break,
                                Step::Renew => {
                                    shared.fail(cancel_response(&wr));
                                    return;
                                }
                                Step::Skip => {}
                            }
                        }
                        Ok(None) => {
                            client.report(i, false);
                            break;
                        }
                        Err(e) => {
                            if is_permanent(&e) {
                                shared.fail(error_to_response(&e));
                                return;
                            }
                            client.report(i, false);
                            break;
                        }
                    }
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
                    shared.fail(error_to_response(&e));
                    return;
                }
                client.report(i, false);
            }
            // No answer within the connect timeout: try the next endpoint.
            None => client.report(i, false),
        }
        super::log::warn(|| {
            format!(
                "watcher of '{}' lost its stream on {}; reconnecting from revision {}",
                String::from_utf8_lossy(&range.key),
                client.endpoint_name(i),
                cursor.next_revision
            )
        });
        // A full round over the endpoints (the list may have changed since the last one).
        if attempt.is_multiple_of(client.endpoint_count().max(1)) {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(RETRY_MAX);
        }
    }
}
