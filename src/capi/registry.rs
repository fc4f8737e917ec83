//! `etcd_registry` and `etcd_discovery`: entries kept registered under a lease that is granted
//! again when lost, and a live view of a prefix (the C side of `etcd::ServiceRegistry` and
//! `etcd::ServiceDiscovery`).

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::boundary::{ffi_boundary, try_bytes, try_out};
use super::client::etcd_client;
use super::handle::try_ref;
use super::handle::Handle;
use super::response::{etcd_response, etcd_value, Response};
use super::status::etcd_status;
use super::types::{etcd_free_callback, UserData};
use crate::core::{self, ChangeKind};

/// Entries registered under one lease kept alive (`etcd::ServiceRegistry`).
pub struct etcd_registry {
    _private: [u8; 0],
}

/// A live view of the keys under a prefix (`etcd::ServiceDiscovery`).
pub struct etcd_discovery {
    _private: [u8; 0],
}

/// Fields drop in order: the registry is closed before the finalizer releases the user's data.
pub(crate) struct Registry {
    registry: core::ServiceRegistry,
    _userdata: UserData,
}

pub(crate) struct Discovery {
    discovery: core::ServiceDiscovery,
    _userdata: UserData,
}

impl Handle for etcd_registry {
    type Rust = Registry;
}

impl Handle for etcd_discovery {
    type Rust = Discovery;
}

/// What happened to an entry of an `etcd_discovery`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum etcd_change_kind {
    /// A new key (also every key of the first listing).
    Added = 0,
    /// A new value for a key already in the view.
    Updated = 1,
    /// The key was deleted (or its lease expired).
    Removed = 2,
}

/// Called after a registry wrote its entries again under a new lease, on a library callback
/// thread.
pub type etcd_registry_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, old_lease: i64, new_lease: i64)>;

/// Receives one change of a discovery view: `value` is the entry now (for a removal only its key
/// is set), `prev` the entry before (NULL for an addition). Both are borrowed for the duration of
/// the call. Runs on a library callback thread, one change at a time, in order.
pub type etcd_discovery_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        kind: etcd_change_kind,
        value: *const etcd_value,
        prev: *const etcd_value,
    ),
>;

/// Grants a lease of `ttl` seconds (blocking, bounded by the client's timeout) and starts keeping
/// it alive. When etcd says the lease is gone (expired, revoked), the registry grants a new one,
/// writes every entry again within a second, then calls `on_reregistered` (may be NULL) with the
/// old and the new lease. With `revoke_on_close`, `etcd_registry_close` / `_free` revoke the
/// lease so that watchers see the deletions at once.
///
/// `free_userdata` (may be NULL) is called once, from `etcd_registry_free`, after the last
/// callback. On failure nothing is registered and `free_userdata` is not called.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `registry_out` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` if `ttl` is not positive.
#[no_mangle]
pub unsafe extern "C" fn etcd_registry_new(
    client: *const etcd_client,
    ttl: i64,
    revoke_on_close: bool,
    on_reregistered: etcd_registry_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    registry_out: *mut *mut etcd_registry,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(registry_out);
        if ttl <= 0 {
            return etcd_status::InvalidArgument;
        }
        let userdata = UserData::new(userdata, free_userdata);
        let data = userdata.borrowed();
        let callback = on_reregistered.map(|cb| -> core::registry::ReregisterCallback {
            Box::new(move |old, new| {
                super::thread::attach_current_thread();
                // SAFETY: the user's callback with the user's data, as registered.
                unsafe { cb(data.ptr(), old, new) };
            })
        });
        let options = core::RegistryOptions {
            ttl,
            revoke_on_close,
            ..Default::default()
        };
        *out = etcd_registry::into_raw(Registry {
            registry: core::ServiceRegistry::new(client, options, callback),
            _userdata: userdata,
        });
        etcd_status::Ok
    })
}

/// Registers `key` = `value` under the lease and writes it now; `*response_out` is the write's
/// response (error 14 while no lease is held: the entry is then written once one is granted;
/// error 1 after `etcd_registry_close`).
#[no_mangle]
pub unsafe extern "C" fn etcd_registry_add(
    registry: *const etcd_registry,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let registry = try_ref!(registry);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        let out = try_out!(response_out);
        *out = etcd_response::into_raw(Response::new(registry.registry.add(&key, &value)));
        etcd_status::Ok
    })
}

/// Unregisters `key` and deletes it from etcd; `*response_out` is the delete's response.
#[no_mangle]
pub unsafe extern "C" fn etcd_registry_remove(
    registry: *const etcd_registry,
    key: *const c_char,
    key_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let registry = try_ref!(registry);
        let key = try_bytes!(key, key_len);
        let out = try_out!(response_out);
        *out = etcd_response::into_raw(Response::new(registry.registry.remove(&key)));
        etcd_status::Ok
    })
}

/// The current lease (0 while none is granted, or for NULL).
#[no_mangle]
pub unsafe extern "C" fn etcd_registry_lease(registry: *const etcd_registry) -> i64 {
    ffi_boundary(|| try_ref!(registry).registry.lease())
}

/// Stops keeping the lease alive and, if the registry was made with `revoke_on_close`, revokes
/// it (waiting at most about a second when the cluster does not answer). Once it returns the
/// callback no longer runs, except when called from inside it. Idempotent.
#[no_mangle]
pub unsafe extern "C" fn etcd_registry_close(registry: *const etcd_registry) -> etcd_status {
    ffi_boundary(|| {
        try_ref!(registry).registry.close();
        etcd_status::Ok
    })
}

/// Closes the registry if needed, then frees it and calls its `free_userdata`. NULL is a no-op.
/// Must not be called twice, nor from the registry's own callback.
#[no_mangle]
pub unsafe extern "C" fn etcd_registry_free(registry: *mut etcd_registry) {
    // SAFETY: the C contract: NULL or a registry from etcd_registry_new, not freed before.
    ffi_boundary(|| unsafe { etcd_registry::free(registry) })
}

/// Starts following the keys under `prefix`; returns at once (`etcd_discovery_wait_ready` waits
/// for the first listing). The view lists the prefix at a revision and watches from the next
/// one, so no change is missed or repeated; it resumes after a disconnect, and when its revision
/// was compacted it lists again and reports the difference, so it never ends with error 11.
/// `on_change` (may be NULL) gets every change, the first listing's entries included.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `discovery_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_discovery_new(
    client: *const etcd_client,
    prefix: *const c_char,
    prefix_len: usize,
    on_change: etcd_discovery_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    discovery_out: *mut *mut etcd_discovery,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let prefix = try_bytes!(prefix, prefix_len);
        let out = try_out!(discovery_out);
        let userdata = UserData::new(userdata, free_userdata);
        let data = userdata.borrowed();
        let listener = on_change.map(|cb| -> core::discovery::Listener {
            Box::new(move |c: &core::Change| {
                let kind = match c.kind {
                    ChangeKind::Added => etcd_change_kind::Added,
                    ChangeKind::Updated => etcd_change_kind::Updated,
                    ChangeKind::Removed => etcd_change_kind::Removed,
                };
                let prev = c.prev.as_ref().map_or(std::ptr::null(), etcd_value::borrow);
                super::thread::attach_current_thread();
                // SAFETY: the user's callback with the user's data; the values outlive the call.
                unsafe { cb(data.ptr(), kind, etcd_value::borrow(&c.value), prev) };
            })
        });
        *out = etcd_discovery::into_raw(Discovery {
            discovery: core::ServiceDiscovery::new(client, &prefix, listener),
            _userdata: userdata,
        });
        etcd_status::Ok
    })
}

/// Waits at most `timeout_ms` milliseconds (negative: no limit) for the first listing; true once
/// it is in. False for NULL or once closed before it came.
#[no_mangle]
pub unsafe extern "C" fn etcd_discovery_wait_ready(
    discovery: *const etcd_discovery,
    timeout_ms: i64,
) -> bool {
    ffi_boundary(|| {
        let t = if timeout_ms < 0 {
            Duration::MAX
        } else {
            Duration::from_millis(timeout_ms as u64)
        };
        try_ref!(discovery).discovery.wait_ready(t)
    })
}

/// The view now, as a response owned by the caller: the entries sorted by key
/// (`etcd_response_value_count` / `_value_at`) and the revision they are current at
/// (`etcd_response_index`).
#[no_mangle]
pub unsafe extern "C" fn etcd_discovery_snapshot(
    discovery: *const etcd_discovery,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let discovery = try_ref!(discovery);
        let out = try_out!(response_out);
        let (index, values) = discovery.discovery.snapshot();
        let resp = core::Response {
            index,
            value: values.first().cloned().unwrap_or_default(),
            values,
            ..core::Response::ok("get")
        };
        *out = etcd_response::into_raw(Response::new(resp));
        etcd_status::Ok
    })
}

/// Stops following. Returns promptly with the cluster down; once it returns the callback no
/// longer runs, except when called from inside it. Idempotent.
#[no_mangle]
pub unsafe extern "C" fn etcd_discovery_close(discovery: *const etcd_discovery) -> etcd_status {
    ffi_boundary(|| {
        try_ref!(discovery).discovery.close();
        etcd_status::Ok
    })
}

/// Closes the view if needed, then frees it and calls its `free_userdata`. NULL is a no-op. Must
/// not be called twice, nor from the view's own callback.
#[no_mangle]
pub unsafe extern "C" fn etcd_discovery_free(discovery: *mut etcd_discovery) {
    // SAFETY: the C contract: NULL or a view from etcd_discovery_new, not freed before.
    ffi_boundary(|| unsafe { etcd_discovery::free(discovery) })
}
