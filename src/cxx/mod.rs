//! The C++ side's entry points: each converts its arguments, calls the core and converts the
//! result. Every function catches panics (one escaping into C++ would abort the process) and
//! every call into C++ goes through a sink declared `Result<()>`, so a C++ exception comes back
//! as an `Err` instead of unwinding through Rust.

pub mod bridge;
mod registry;

use self::registry::*;

use cxx::UniquePtr;

use self::bridge::ffi;
use crate::core::{self, KeyRange, Request};

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

fn request(r: &ffi::RequestData) -> Option<Request> {
    use ffi::Op;
    let key = r.key.clone();
    let (value, lease) = (r.value.clone(), r.lease);
    let by_value = || core::Compare::Value(r.old_value.clone());
    let by_index = || core::Compare::ModRevision(r.old_index);
    Some(match r.op {
        Op::Head => Request::Head,
        Op::Get => Request::Get {
            key,
            revision: r.revision,
        },
        Op::Set => Request::Put { key, value, lease },
        Op::Add => Request::Add { key, value, lease },
        Op::Modify => Request::Modify { key, value, lease },
        Op::ModifyIfValue => Request::ModifyIf {
            key,
            value,
            compare: by_value(),
            lease,
        },
        Op::ModifyIfIndex => Request::ModifyIf {
            key,
            value,
            compare: by_index(),
            lease,
        },
        Op::Rm => Request::Rm { key },
        Op::RmIfValue => Request::RmIf {
            key,
            compare: by_value(),
        },
        Op::RmIfIndex => Request::RmIf {
            key,
            compare: by_index(),
        },
        Op::Rmdir => Request::Rmdir {
            range: key_range(&r.key, &r.range_end, r.has_range_end, r.recursive),
        },
        Op::Ls => Request::Range {
            range: key_range(&r.key, &r.range_end, r.has_range_end, true),
            limit: r.limit,
            revision: r.revision,
            keys_only: r.keys_only,
        },
        Op::Watch => Request::Watch {
            range: key_range(&r.key, &r.range_end, r.has_range_end, r.recursive),
            from_revision: r.revision,
        },
        Op::LeaseGrant => Request::LeaseGrant { ttl: r.ttl },
        Op::LeaseRevoke => Request::LeaseRevoke { id: lease },
        Op::LeaseTimeToLive => Request::LeaseTimeToLive { id: lease },
        Op::LeaseLeases => Request::LeaseLeases,
        Op::Txn => Request::Txn(transaction(&r.txns, 0, 0)?),
        Op::Lock => Request::Lock {
            name: key,
            ttl: r.ttl,
        },
        Op::LockWithLease => Request::LockWithLease { name: key, lease },
        Op::Unlock => Request::Unlock { key },
        Op::Campaign => Request::Campaign {
            name: r.name.clone(),
            lease,
            value,
        },
        Op::Proclaim => Request::Proclaim {
            name: r.name.clone(),
            lease,
            key,
            revision: r.revision,
            value,
        },
        Op::Leader => Request::Leader {
            name: r.name.clone(),
        },
        Op::Resign => Request::Resign {
            name: r.name.clone(),
            lease,
            key,
            revision: r.revision,
        },
        Op::MemberAdd => Request::MemberAdd {
            peer_urls: r.peer_urls.clone(),
            learner: r.is_learner,
        },
        Op::MemberList => Request::MemberList,
        Op::MemberRemove => Request::MemberRemove { id: r.member_id },
        Op::Status => Request::Status {
            endpoint: r.endpoint.clone(),
        },
        Op::Compact => Request::Compact {
            revision: r.revision,
            physical: r.physical,
        },
        Op::Defragment => Request::Defragment {
            endpoint: r.endpoint.clone(),
        },
        Op::SyncEndpoints => Request::SyncEndpoints,
        _ => return None,
    })
}

/// Rebuilds transaction `i` of the flattened list (nesting deeper than 64 is refused).
fn transaction(txns: &[ffi::TxnData], i: usize, depth: usize) -> Option<core::Transaction> {
    use core::{CompareResult as R, CompareTarget as T, TxnOperation as O};
    let t = txns.get(i).filter(|_| depth < 64)?;
    let compares = t
        .compares
        .iter()
        .map(|c| {
            Some(core::TxnCompare {
                range: key_range(&c.key, &c.range_end, !c.range_end.is_empty(), false),
                target: [T::Version, T::Create, T::Mod, T::Value, T::Lease]
                    .get(usize::try_from(c.target).ok()?)
                    .copied()?,
                result: [R::Equal, R::Greater, R::Less, R::NotEqual]
                    .get(usize::try_from(c.result).ok()?)
                    .copied()?,
                value: c.value.clone(),
                number: c.number,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let ops = |list: &[ffi::TxnOpData]| {
        list.iter()
            .map(|o| {
                let range =
                    || key_range(&o.key, &o.range_end, !o.range_end.is_empty(), o.recursive);
                Some(match o.kind {
                    0 => O::Range {
                        range: range(),
                        limit: o.limit,
                    },
                    1 => O::Put {
                        key: o.key.clone(),
                        value: o.value.clone(),
                        lease: o.lease,
                        prev_kv: o.prev_kv,
                    },
                    2 => O::Delete {
                        range: range(),
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
    Some(core::Transaction {
        compares,
        success: ops(&t.success)?,
        failure: ops(&t.failure)?,
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

fn client_execute(client: &Client, request: &ffi::RequestData) -> ffi::ResponseData {
    guard(panic_response, || {
        let resp = match self::request(request) {
            Some(req) => client.0.execute_blocking(req),
            None => invalid_request(),
        };
        response_data(resp)
    })
}

fn client_execute_async(
    client: &Client,
    request: &ffi::RequestData,
    sink: UniquePtr<ffi::ResponseSink>,
) {
    let deliver = move |resp: core::Response| {
        if let Some(s) = sink.as_ref() {
            let _ = s.call(&response_data(resp));
        }
    };
    match self::request(request) {
        Some(req) => guard(|| (), || client.0.execute_async(req, deliver)),
        None => core::runtime::submit(Box::new(move || deliver(invalid_request()))),
    }
}

fn client_execute_completing(
    client: &Client,
    request: &ffi::RequestData,
    sink: UniquePtr<ffi::ResponseSink>,
) {
    let deliver = move |resp: core::Response| {
        if let Some(s) = sink.as_ref() {
            let _ = s.call(&response_data(resp));
        }
    };
    match self::request(request) {
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
