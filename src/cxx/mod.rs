//! The C++ side's entry points: each converts its arguments, calls the core and converts the
//! result. Every function catches panics (one escaping into C++ would abort the process) and
//! every call into C++ goes through a sink declared `Result<()>`, so a C++ exception comes back
//! as an `Err` instead of unwinding through Rust.

pub mod bridge;
mod registry;

use self::registry::*;

use cxx::UniquePtr;

use self::bridge::ffi;
use crate::core::{self, KeyRange};

// SAFETY: the sinks wrap std::function objects that the library's C++ layer builds from
// thread-safe state (a task_completion_event, a user callback). Rust calls a given sink from
// one thread at a time: a ResponseSink for an async call once, a watcher's sink and the
// wait/error sinks only from their strand, which runs one job at a time.
unsafe impl Send for ffi::ResponseSink {}
unsafe impl Sync for ffi::ResponseSink {}
unsafe impl Send for ffi::BoolSink {}
unsafe impl Sync for ffi::BoolSink {}
unsafe impl Send for ffi::ErrorSink {}
unsafe impl Sync for ffi::ErrorSink {}
unsafe impl Send for ffi::Job {}
unsafe impl Sync for ffi::Job {}

/// `etcd::ffi::Client`: a shared connection.
pub struct Client(core::Client);
/// `etcd::ffi::Watcher`.
pub struct Watcher(core::Watcher);
/// `etcd::ffi::KeepAlive`.
pub struct KeepAlive(core::KeepAlive);
/// `etcd::ffi::Observer`.
pub struct Observer(core::Observer);

/// Runs `f`, turning a panic into `fallback()`. Prints nothing: the panic's message is kept for
/// the fallback (see [`panic_response`]).
fn guard<T>(fallback: impl FnOnce() -> T, f: impl FnOnce() -> T) -> T {
    crate::core::panic::catch(f).unwrap_or_else(|message| {
        let _ = PANIC_MESSAGE.try_with(|m| *m.borrow_mut() = message);
        fallback()
    })
}

thread_local! {
    /// The message of the last panic [`guard`] caught on this thread.
    static PANIC_MESSAGE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The response for a panic [`guard`] just caught, with its message.
fn panic_response() -> ffi::ResponseData {
    let message = PANIC_MESSAGE.with(|m| std::mem::take(&mut *m.borrow_mut()));
    response_data(core::Response::error(
        core::response::code::INTERNAL,
        format!("etcd-cpp-rs: internal error: {message}"),
    ))
}

fn lame_client() -> core::Client {
    core::Client::new("", core::ClientOptions::default())
}

/// Moves a key-value pair into its bridge form (no copy of the key or value).
fn kv_data(kv: core::Kv) -> ffi::KvData {
    ffi::KvData {
        key: kv.key,
        value: kv.value,
        create_revision: kv.create_revision,
        mod_revision: kv.mod_revision,
        version: kv.version,
        lease: kv.lease,
        ttl: kv.ttl,
    }
}

fn response_data(r: core::Response) -> ffi::ResponseData {
    ffi::ResponseData {
        error_code: r.error_code,
        error_message: r.error_message,
        action: r.action,
        index: r.index,
        value: kv_data(r.value),
        prev_value: kv_data(r.prev_value),
        values: r.values.into_iter().map(kv_data).collect(),
        events: r
            .events
            .into_iter()
            .map(|e| ffi::EventData {
                event_type: match e.event_type {
                    core::EventType::Put => 0,
                    core::EventType::Delete => 1,
                    core::EventType::Invalid => 2,
                },
                has_kv: e.kv.is_some(),
                kv: e.kv.map(kv_data).unwrap_or_default(),
                has_prev_kv: e.prev_kv.is_some(),
                prev_kv: e.prev_kv.map(kv_data).unwrap_or_default(),
            })
            .collect(),
        compact_revision: r.compact_revision,
        watch_id: r.watch_id,
        cluster_id: r.cluster_id,
        member_id: r.member_id,
        raft_term: r.raft_term,
        leases: r.leases,
        members: r
            .members
            .into_iter()
            .map(|m| ffi::MemberData {
                id: m.id,
                name: m.name,
                peer_urls: m.peer_urls,
                client_urls: m.client_urls,
                is_learner: m.is_learner,
            })
            .collect(),
        lock_key: r.lock_key,
        name: r.name,
        duration_us: r.duration.as_micros() as i64,
        status: ffi::StatusData {
            endpoint: r.status.endpoint,
            version: r.status.version,
            db_size: r.status.db_size,
            db_size_in_use: r.status.db_size_in_use,
            leader: r.status.leader,
            member_id: r.status.member_id,
            cluster_id: r.status.cluster_id,
            raft_index: r.status.raft_index,
            raft_term: r.status.raft_term,
            raft_applied_index: r.status.raft_applied_index,
            is_learner: r.status.is_learner,
            errors: r.status.errors,
        },
    }
}

fn key_range(key: &[u8], range_end: &[u8], has_range_end: bool, recursive: bool) -> KeyRange {
    KeyRange::from_args(key, has_range_end.then(|| range_end.to_vec()), recursive)
}

/// `etcd::ffi::Request`: what C++ fills through the bridge's `set_*` methods. Each key and
/// value is copied once, from the caller's string into the vector that is moved on to the
/// core request and the protobuf encoder.
pub struct Request {
    op: ffi::Op,
    key: Vec<u8>,
    /// `Some` for an explicit range end.
    range_end: Option<Vec<u8>>,
    value: Vec<u8>,
    old_value: Vec<u8>,
    old_index: i64,
    revision: i64,
    lease: i64,
    ttl: i64,
    limit: i64,
    recursive: bool,
    keys_only: bool,
    name: Vec<u8>,
    peer_urls: Vec<String>,
    is_learner: bool,
    member_id: u64,
    txns: Vec<ffi::TxnData>,
    endpoint: String,
    physical: bool,
}

fn request_new(op: ffi::Op) -> Box<Request> {
    Box::new(Request {
        op,
        key: Vec::new(),
        range_end: None,
        value: Vec::new(),
        old_value: Vec::new(),
        old_index: 0,
        revision: 0,
        lease: 0,
        ttl: 0,
        limit: 0,
        recursive: false,
        keys_only: false,
        name: Vec::new(),
        peer_urls: Vec::new(),
        is_learner: false,
        member_id: 0,
        txns: Vec::new(),
        endpoint: String::new(),
        physical: false,
    })
}

impl Request {
    fn set_key(&mut self, key: &[u8]) {
        self.key = key.to_vec();
    }
    fn set_range_end(&mut self, range_end: &[u8]) {
        self.range_end = Some(range_end.to_vec());
    }
    fn set_value(&mut self, value: &[u8]) {
        self.value = value.to_vec();
    }
    fn set_old_value(&mut self, old_value: &[u8]) {
        self.old_value = old_value.to_vec();
    }
    fn set_old_index(&mut self, old_index: i64) {
        self.old_index = old_index;
    }
    fn set_revision(&mut self, revision: i64) {
        self.revision = revision;
    }
    fn set_lease(&mut self, lease: i64) {
        self.lease = lease;
    }
    fn set_ttl(&mut self, ttl: i64) {
        self.ttl = ttl;
    }
    fn set_limit(&mut self, limit: i64) {
        self.limit = limit;
    }
    fn set_recursive(&mut self, recursive: bool) {
        self.recursive = recursive;
    }
    fn set_keys_only(&mut self, keys_only: bool) {
        self.keys_only = keys_only;
    }
    fn set_name(&mut self, name: &[u8]) {
        self.name = name.to_vec();
    }
    fn add_peer_url(&mut self, url: &[u8]) {
        self.peer_urls
            .push(String::from_utf8_lossy(url).into_owned());
    }
    fn set_is_learner(&mut self, is_learner: bool) {
        self.is_learner = is_learner;
    }
    fn set_member_id(&mut self, member_id: u64) {
        self.member_id = member_id;
    }
    fn set_txns(&mut self, txns: Vec<ffi::TxnData>) {
        self.txns = txns;
    }
    fn set_endpoint(&mut self, endpoint: &[u8]) {
        self.endpoint = String::from_utf8_lossy(endpoint).into_owned();
    }
    fn set_physical(&mut self, physical: bool) {
        self.physical = physical;
    }

    /// The core request, made by moving the keys and values out (`None` for an unknown
    /// operation or a malformed transaction).
    fn into_core(self) -> Option<core::Request> {
        use core::Request as R;
        use ffi::Op;
        let Request {
            op,
            key,
            range_end,
            value,
            old_value,
            old_index,
            revision,
            lease,
            ttl,
            limit,
            recursive,
            keys_only,
            name,
            peer_urls,
            is_learner,
            member_id,
            mut txns,
            endpoint,
            physical,
        } = self;
        let range = |key: Vec<u8>, recursive: bool| KeyRange::from_args(key, range_end, recursive);
        Some(match op {
            Op::Head => R::Head,
            Op::Get => R::Get { key, revision },
            Op::Set => R::Put { key, value, lease },
            Op::Add => R::Add { key, value, lease },
            Op::Modify => R::Modify { key, value, lease },
            Op::ModifyIfValue => R::ModifyIf {
                key,
                value,
                compare: core::Compare::Value(old_value),
                lease,
            },
            Op::ModifyIfIndex => R::ModifyIf {
                key,
                value,
                compare: core::Compare::ModRevision(old_index),
                lease,
            },
            Op::Rm => R::Rm { key },
            Op::RmIfValue => R::RmIf {
                key,
                compare: core::Compare::Value(old_value),
            },
            Op::RmIfIndex => R::RmIf {
                key,
                compare: core::Compare::ModRevision(old_index),
            },
            Op::Rmdir => R::Rmdir {
                range: range(key, recursive),
            },
            Op::Ls => R::Range {
                range: range(key, true),
                limit,
                revision,
                keys_only,
            },
            Op::Watch => R::Watch {
                range: range(key, recursive),
                from_revision: revision,
            },
            Op::LeaseGrant => R::LeaseGrant { ttl },
            Op::LeaseRevoke => R::LeaseRevoke { id: lease },
            Op::LeaseTimeToLive => R::LeaseTimeToLive { id: lease },
            Op::LeaseLeases => R::LeaseLeases,
            Op::Txn => R::Txn(transaction(&mut txns, 0, 0)?),
            Op::Lock => R::Lock { name: key, ttl },
            Op::LockWithLease => R::LockWithLease { name: key, lease },
            Op::Unlock => R::Unlock { key },
            Op::Campaign => R::Campaign { name, lease, value },
            Op::Proclaim => R::Proclaim {
                name,
                lease,
                key,
                revision,
                value,
            },
            Op::Leader => R::Leader { name },
            Op::Resign => R::Resign {
                name,
                lease,
                key,
                revision,
            },
            Op::MemberAdd => R::MemberAdd {
                peer_urls,
                learner: is_learner,
            },
            Op::MemberList => R::MemberList,
            Op::MemberRemove => R::MemberRemove { id: member_id },
            Op::Status => R::Status { endpoint },
            Op::Compact => R::Compact { revision, physical },
            Op::Defragment => R::Defragment { endpoint },
            Op::SyncEndpoints => R::SyncEndpoints,
            _ => return None,
        })
    }
}

/// Rebuilds transaction `i` of the flattened list, moving its keys and values out (nesting
/// deeper than 64 is refused; a nested transaction refers to a later entry, used once).
fn transaction(txns: &mut [ffi::TxnData], i: usize, depth: usize) -> Option<core::Transaction> {
    use core::{CompareResult as R, CompareTarget as T, TxnOperation as O};
    if depth >= 64 {
        return None;
    }
    let t = std::mem::take(txns.get_mut(i)?);
    let compares = t
        .compares
        .into_iter()
        .map(|c| {
            let has_end = !c.range_end.is_empty();
            Some(core::TxnCompare {
                range: KeyRange::from_args(c.key, has_end.then_some(c.range_end), false),
                target: [T::Version, T::Create, T::Mod, T::Value, T::Lease]
                    .get(usize::try_from(c.target).ok()?)
                    .copied()?,
                result: [R::Equal, R::Greater, R::Less, R::NotEqual]
                    .get(usize::try_from(c.result).ok()?)
                    .copied()?,
                value: c.value,
                number: c.number,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let mut ops = |list: Vec<ffi::TxnOpData>| {
        list.into_iter()
            .map(|o| {
                let has_end = !o.range_end.is_empty();
                Some(match o.kind {
                    0 => O::Range {
                        range: KeyRange::from_args(
                            o.key,
                            has_end.then_some(o.range_end),
                            o.recursive,
                        ),
                        limit: o.limit,
                    },
                    1 => O::Put {
                        key: o.key,
                        value: o.value,
                        lease: o.lease,
                        prev_kv: o.prev_kv,
                    },
                    2 => O::Delete {
                        range: KeyRange::from_args(
                            o.key,
                            has_end.then_some(o.range_end),
                            o.recursive,
                        ),
                        prev_kv: o.prev_kv,
                    },
                    3 if o.txn_index > i => {
                        O::Txn(Box::new(transaction(txns, o.txn_index, depth + 1)?))
                    }
                    _ => return None,
                })
            })
            .collect::<Option<Vec<_>>>()
    };
    let success = ops(t.success)?;
    let failure = ops(t.failure)?;
    Some(core::Transaction {
        compares,
        success,
        failure,
    })
}

fn invalid_request() -> core::Response {
    core::Response::error(
        core::response::code::INVALID_ARGUMENT,
        "etcd-cpp-rs: unknown operation",
    )
}

fn client_options(load_balancer: &str, o: &ffi::ClientOptionsData) -> core::ClientOptions {
    core::ClientOptions::from_args(core::OptionArgs {
        user: o.user.clone(),
        password: o.password.clone(),
        auth_token_ttl: o.auth_token_ttl,
        tls: o.tls.then(|| core::client::TlsFiles {
            ca: o.ca.clone(),
            cert: o.cert.clone(),
            key: o.key.clone(),
            target_name_override: o.target_name_override.clone(),
        }),
        load_balancer: load_balancer.to_string(),
        request_timeout_ms: o.request_timeout_ms,
        connect_timeout_ms: o.connect_timeout_ms,
        keepalive_time_ms: o.keepalive_time_ms,
        keepalive_timeout_ms: o.keepalive_timeout_ms,
        max_receive_message_size: o.max_receive_message_size,
        max_send_message_size: o.max_send_message_size,
        auto_sync_interval_ms: o.auto_sync_interval_ms,
    })
}

fn client_new(
    endpoints: &str,
    load_balancer: &str,
    options: &ffi::ClientOptionsData,
) -> Box<Client> {
    crate::host::prepare();
    let c = guard(lame_client, || {
        core::Client::new(endpoints, client_options(load_balancer, options))
    });
    Box::new(Client(c))
}

fn client_clone(client: &Client) -> Box<Client> {
    Box::new(Client(client.0.clone()))
}

fn client_with_namespace(client: &Client, prefix: &[u8]) -> Box<Client> {
    let c = guard(lame_client, || client.0.with_namespace(prefix));
    Box::new(Client(c))
}

fn client_namespace_prefix(client: &Client) -> Vec<u8> {
    client.0.namespace_prefix().to_vec()
}

fn client_set_timeout_ms(client: &Client, ms: i64) {
    client.0.set_timeout_ms(ms);
}

fn client_auth_token(client: &Client) -> String {
    guard(String::new, || client.0.auth_token())
}

fn client_release_locks(client: &Client) {
    client.0.release_locks();
}

fn observer_new(client: &Client, name: &[u8]) -> Box<Observer> {
    Box::new(Observer(core::Observer::new(&client.0, name.to_vec())))
}

fn observer_wait_once(observer: &Observer) -> ffi::ResponseData {
    guard(panic_response, || response_data(observer.0.wait_once()))
}

fn client_timeout_ms(client: &Client) -> i64 {
    client.0.timeout_ms()
}

fn client_endpoints(client: &Client) -> Vec<String> {
    guard(Vec::new, || client.0.endpoints())
}

fn client_execute(client: &Client, request: Box<Request>) -> ffi::ResponseData {
    guard(panic_response, || {
        let resp = match request.into_core() {
            Some(req) => client.0.execute_blocking(req),
            None => invalid_request(),
        };
        response_data(resp)
    })
}

fn client_execute_completing(
    client: &Client,
    request: Box<Request>,
    sink: UniquePtr<ffi::ResponseSink>,
) {
    let deliver = move |resp: core::Response| {
        if let Some(s) = sink.as_ref() {
            let _ = s.call(&response_data(resp));
        }
    };
    match request.into_core() {
        Some(req) => guard(|| (), || client.0.execute_then(req, deliver)),
        None => deliver(invalid_request()),
    }
}

fn watcher_new(
    client: &Client,
    spec: &ffi::WatchSpecData,
    sink: UniquePtr<ffi::ResponseSink>,
) -> Box<Watcher> {
    let range = key_range(
        &spec.key,
        &spec.range_end,
        spec.has_range_end,
        spec.recursive,
    );
    let callback = move |resp: core::Response| {
        if let Some(s) = sink.as_ref() {
            let _ = s.call(&response_data(resp));
        }
    };
    // Building a watcher only allocates and spawns; it has no panicking paths of its own.
    Box::new(Watcher(core::Watcher::new(
        &client.0,
        range,
        spec.from_revision,
        callback,
    )))
}

fn watcher_set_wait_callback(watcher: &Watcher, sink: UniquePtr<ffi::BoolSink>) -> bool {
    watcher.0.set_wait_callback(move |cancelled| {
        if let Some(s) = sink.as_ref() {
            let _ = s.call(cancelled);
        }
    })
}

fn watcher_wait(watcher: &Watcher) -> bool {
    watcher.0.wait()
}

fn watcher_cancel(watcher: &Watcher) -> bool {
    watcher.0.cancel()
}

fn watcher_cancelled(watcher: &Watcher) -> bool {
    watcher.0.cancelled()
}

fn error_data(e: Option<core::KeepAliveError>) -> ffi::KeepAliveErrorData {
    match e {
        None => ffi::KeepAliveErrorData::default(),
        Some(e) => ffi::KeepAliveErrorData {
            kind: match e.kind {
                core::KeepAliveErrorKind::Runtime => 1,
                core::KeepAliveErrorKind::OutOfRange => 2,
            },
            message: e.message,
        },
    }
}

fn keepalive_new(
    client: &Client,
    ttl: i64,
    lease_id: i64,
    handler: UniquePtr<ffi::ErrorSink>,
) -> Box<KeepAlive> {
    let handler: Option<Box<dyn Fn(core::KeepAliveError) + Send + Sync>> = match handler.as_ref() {
        Some(h) if h.is_set() => Some(Box::new(move |e| {
            if let Some(h) = handler.as_ref() {
                let _ = h.call(&error_data(Some(e)));
            }
        })),
        _ => None,
    };
    Box::new(KeepAlive(core::KeepAlive::new(
        &client.0, ttl, lease_id, handler,
    )))
}

fn keepalive_lease(keepalive: &KeepAlive) -> i64 {
    keepalive.0.lease()
}

fn keepalive_cancel(keepalive: &KeepAlive) {
    keepalive.0.cancel();
}

fn keepalive_check(keepalive: &KeepAlive) -> ffi::KeepAliveErrorData {
    guard(
        || ffi::KeepAliveErrorData {
            kind: 1,
            message: "etcd-cpp-rs: internal error".into(),
        },
        || error_data(keepalive.0.check()),
    )
}

fn keepalive_set_timeout_ms(keepalive: &KeepAlive, ms: i64) {
    keepalive.0.set_timeout_ms(ms);
}

fn keepalive_timeout_ms(keepalive: &KeepAlive) -> i64 {
    keepalive.0.timeout_ms()
}

fn dispatch_submit(job: UniquePtr<ffi::Job>) {
    core::runtime::submit(Box::new(move || {
        if let Some(j) = job.as_ref() {
            let _ = j.run();
        }
    }));
}

fn bytes_from(data: &[u8]) -> Vec<u8> {
    data.to_vec()
}

fn string_plus_one(key: &[u8]) -> Vec<u8> {
    core::request::string_plus_one(key)
}

// SAFETY: a LogSink wraps a std::function the user gave `etcd::set_log_callback`, documented to
// be called from library threads, one message at a time.
unsafe impl Send for ffi::LogSink {}
unsafe impl Sync for ffi::LogSink {}

fn log_set_hook(sink: UniquePtr<ffi::LogSink>, max_level: u32) {
    guard(
        || (),
        || {
            let level = core::log::Level::from_u32(max_level).unwrap_or(core::log::Level::Debug);
            core::log::set_hook(
                Some(std::sync::Arc::new(
                    move |level: core::log::Level, message: &str| {
                        if let Some(s) = sink.as_ref() {
                            let _ = s.call(level as u32, message);
                        }
                    },
                )),
                level,
            );
        },
    )
}

fn log_clear_hook() {
    guard(|| (), || core::log::set_hook(None, core::log::Level::Debug))
}

fn log_error_if_hooked(message: &str) -> bool {
    guard(
        || false,
        || {
            if !core::log::has_hook() {
                return false;
            }
            let message = message.to_string();
            core::log::error(move || message);
            true
        },
    )
}
