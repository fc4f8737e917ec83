//! `etcd_response`, `etcd_value` and `etcd_event`: read-only views of a response.
//!
//! A response is owned by the caller (free it with `etcd_response_free`) except inside a watch
//! callback, where it is borrowed. Values and events are borrowed from their response: they stay
//! valid until that response is freed. Accessors never fail: given NULL they return 0, false,
//! NULL or an empty byte string.

use std::ffi::{c_char, CString};

use super::boundary::{ffi_boundary, try_out};
use super::handle::{try_ref, Handle};
use super::status::etcd_status;
use super::types::etcd_bytes;
use crate::core::{self, EventType};

// Error codes carried by responses (`etcd_response_error_code`), the same numbers as
// etcd-cpp-apiv3's `etcdv3::ERROR_*`: 0 is success, 1-16 are gRPC status codes, 100 and up are
// the library's own.

/// gRPC CANCELLED.
pub const ETCD_ERROR_GRPC_CANCELLED: i32 = 1;
/// gRPC UNKNOWN.
pub const ETCD_ERROR_GRPC_UNKNOWN: i32 = 2;
/// gRPC INVALID_ARGUMENT.
pub const ETCD_ERROR_GRPC_INVALID_ARGUMENT: i32 = 3;
/// gRPC DEADLINE_EXCEEDED: the request timed out.
pub const ETCD_ERROR_GRPC_DEADLINE_EXCEEDED: i32 = 4;
/// gRPC NOT_FOUND (e.g. an unknown lease).
pub const ETCD_ERROR_GRPC_NOT_FOUND: i32 = 5;
/// gRPC OUT_OF_RANGE (e.g. a compacted or future revision).
pub const ETCD_ERROR_GRPC_OUT_OF_RANGE: i32 = 11;
/// gRPC INTERNAL.
pub const ETCD_ERROR_GRPC_INTERNAL: i32 = 13;
/// gRPC UNAVAILABLE: no endpoint could be reached.
pub const ETCD_ERROR_GRPC_UNAVAILABLE: i32 = 14;
/// The key does not exist.
pub const ETCD_ERROR_KEY_NOT_FOUND: i32 = 100;
/// The comparison of a compare-and-swap / compare-and-delete failed.
pub const ETCD_ERROR_COMPARE_FAILED: i32 = 101;
/// `add` of a key that exists.
pub const ETCD_ERROR_KEY_ALREADY_EXISTS: i32 = 105;
/// The action was cancelled.
pub const ETCD_ERROR_ACTION_CANCELLED: i32 = 106;

/// The result of one operation, or one batch of watch events (`etcd::Response`).
pub struct etcd_response {
    _private: [u8; 0],
}

/// One key-value pair of a response (`etcd::Value`), borrowed from the response.
pub struct etcd_value {
    _private: [u8; 0],
}

/// One watch event of a response (`etcd::Event`), borrowed from the response.
pub struct etcd_event {
    _private: [u8; 0],
}

/// A core response with its texts as C strings.
pub(crate) struct Response {
    pub(crate) inner: core::Response,
    error_message: CString,
    action: CString,
}

impl Response {
    pub(crate) fn new(inner: core::Response) -> Response {
        Response {
            error_message: c_string(&inner.error_message),
            action: c_string(&inner.action),
            inner,
        }
    }
}

impl Clone for Response {
    fn clone(&self) -> Response {
        Response::new(self.inner.clone())
    }
}

/// `s` as a C string; NUL bytes (which etcd's messages never contain) are dropped.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let mut bytes = e.into_vec();
        bytes.retain(|&b| b != 0);
        CString::new(bytes).expect("NUL bytes removed")
    })
}

impl Handle for etcd_response {
    type Rust = Response;
}

impl Handle for etcd_value {
    type Rust = core::Kv;
}

impl Handle for etcd_event {
    type Rust = core::Event;
}

/// Kind of a watch event (`etcd::Event::EventType`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum etcd_event_type {
    /// The key was created or updated.
    Put = 0,
    /// The key was deleted (or its lease expired).
    Delete = 1,
    /// Not a valid event (returned for a NULL event).
    Invalid = 2,
}

/// Frees a response. NULL is a no-op. Must not be called twice for the same response, nor for
/// the response a watch callback receives (the library owns that one).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_free(response: *mut etcd_response) {
    // SAFETY: the C contract: NULL or a response from this library, not freed before.
    ffi_boundary(|| unsafe { etcd_response::free(response) })
}

/// Copies `response` (for example to keep one a watch callback received). On success
/// `*response_out` is a new response the caller owns and frees with `etcd_response_free`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `response` or `response_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_clone(
    response: *const etcd_response,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let response = try_ref!(response);
        let out = try_out!(response_out);
        *out = etcd_response::into_raw(response.clone());
        etcd_status::Ok
    })
}

/// True when the operation succeeded (`etcd_response_error_code` is 0); false for NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_is_ok(response: *const etcd_response) -> bool {
    ffi_boundary(|| try_ref!(response).inner.is_ok())
}

/// The error code: 0 on success, else one of the `ETCD_ERROR_*` numbers (gRPC codes 1-16,
/// library codes 100-106), as etcd-cpp-apiv3's `Response::error_code()`.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_error_code(response: *const etcd_response) -> i32 {
    ffi_boundary(|| try_ref!(response).inner.error_code)
}

/// The error message ("" on success), NUL-terminated, owned by the response.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_error_message(
    response: *const etcd_response,
) -> *const c_char {
    ffi_boundary(|| try_ref!(response).error_message.as_ptr())
}

/// The action ("get", "set", "create", "update", "delete", "compareAndSwap", ...),
/// NUL-terminated, owned by the response.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_action(response: *const etcd_response) -> *const c_char {
    ffi_boundary(|| try_ref!(response).action.as_ptr())
}

/// The store revision the response was produced at (`Response::index()`).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_index(response: *const etcd_response) -> i64 {
    ffi_boundary(|| try_ref!(response).inner.index)
}

/// The value (`Response::value()`): the key read by a get, the key written by add / modify /
/// compare-and-swap, the first key of a listing or the first event. An empty value (empty key)
/// when there is none. Never NULL for a non-NULL response.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_value(response: *const etcd_response) -> *const etcd_value {
    ffi_boundary(|| etcd_value::borrow(&try_ref!(response).inner.value))
}

/// The previous value (`Response::prev_value()`), e.g. what a put overwrote or an rm removed.
/// An empty value when there is none. Never NULL for a non-NULL response.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_prev_value(
    response: *const etcd_response,
) -> *const etcd_value {
    ffi_boundary(|| etcd_value::borrow(&try_ref!(response).inner.prev_value))
}

/// Number of values (`Response::values()`): the keys of a listing, the keys an rmdir removed.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_value_count(response: *const etcd_response) -> usize {
    ffi_boundary(|| try_ref!(response).inner.values.len())
}

/// Value `index` of `Response::values()`; NULL when `index` is out of range.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_value_at(
    response: *const etcd_response,
    index: usize,
) -> *const etcd_value {
    ffi_boundary(|| {
        try_ref!(response)
            .inner
            .values
            .get(index)
            .map_or(std::ptr::null(), etcd_value::borrow)
    })
}

/// Key `index` of `Response::keys()` (the keys of `values()`); empty when out of range.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_key_at(
    response: *const etcd_response,
    index: usize,
) -> etcd_bytes {
    ffi_boundary(|| {
        try_ref!(response)
            .inner
            .values
            .get(index)
            .map_or(etcd_bytes::EMPTY, |kv| etcd_bytes::of(&kv.key))
    })
}

/// Number of watch events in the response.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_event_count(response: *const etcd_response) -> usize {
    ffi_boundary(|| try_ref!(response).inner.events.len())
}

/// Watch event `index`; NULL when `index` is out of range.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_event_at(
    response: *const etcd_response,
    index: usize,
) -> *const etcd_event {
    ffi_boundary(|| {
        try_ref!(response)
            .inner
            .events
            .get(index)
            .map_or(std::ptr::null(), etcd_event::borrow)
    })
}

/// The compaction revision of a watch that failed because its start revision was compacted
/// (error 11), else -1.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_compact_revision(response: *const etcd_response) -> i64 {
    ffi_boundary(|| try_ref!(response).inner.compact_revision)
}

/// The watch id of a watch response, else -1.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_watch_id(response: *const etcd_response) -> i64 {
    ffi_boundary(|| try_ref!(response).inner.watch_id)
}

/// Number of lease ids (the answer of `etcd_client_lease_list`).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_lease_count(response: *const etcd_response) -> usize {
    ffi_boundary(|| try_ref!(response).inner.leases.len())
}

/// Lease id `index` of `etcd_client_lease_list`; 0 when `index` is out of range.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_lease_at(
    response: *const etcd_response,
    index: usize,
) -> i64 {
    ffi_boundary(|| {
        try_ref!(response)
            .inner
            .leases
            .get(index)
            .copied()
            .unwrap_or(0)
    })
}

/// Cluster id (`etcd_client_head`).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_cluster_id(response: *const etcd_response) -> u64 {
    ffi_boundary(|| try_ref!(response).inner.cluster_id)
}

/// Id of the member that answered (`etcd_client_head`).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_member_id(response: *const etcd_response) -> u64 {
    ffi_boundary(|| try_ref!(response).inner.member_id)
}

/// Raft term (`etcd_client_head`).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_raft_term(response: *const etcd_response) -> u64 {
    ffi_boundary(|| try_ref!(response).inner.raft_term)
}

/// How long the operation took, in microseconds.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_duration_us(response: *const etcd_response) -> i64 {
    ffi_boundary(|| {
        i64::try_from(try_ref!(response).inner.duration.as_micros()).unwrap_or(i64::MAX)
    })
}

/// The key, borrowed from the value's response.
#[no_mangle]
pub unsafe extern "C" fn etcd_value_key(value: *const etcd_value) -> etcd_bytes {
    ffi_boundary(|| etcd_bytes::of(&try_ref!(value).key))
}

/// The value's bytes, borrowed from the value's response.
#[no_mangle]
pub unsafe extern "C" fn etcd_value_value(value: *const etcd_value) -> etcd_bytes {
    ffi_boundary(|| etcd_bytes::of(&try_ref!(value).value))
}

/// Revision at which the key was created (`Value::created_index()`).
#[no_mangle]
pub unsafe extern "C" fn etcd_value_created_index(value: *const etcd_value) -> i64 {
    ffi_boundary(|| try_ref!(value).create_revision)
}

/// Revision of the key's last modification (`Value::modified_index()`).
#[no_mangle]
pub unsafe extern "C" fn etcd_value_modified_index(value: *const etcd_value) -> i64 {
    ffi_boundary(|| try_ref!(value).mod_revision)
}

/// Number of modifications since the key was created (`Value::version()`).
#[no_mangle]
pub unsafe extern "C" fn etcd_value_version(value: *const etcd_value) -> i64 {
    ffi_boundary(|| try_ref!(value).version)
}

/// The lease attached to the key, 0 for none; for lease operations, the lease id.
#[no_mangle]
pub unsafe extern "C" fn etcd_value_lease(value: *const etcd_value) -> i64 {
    ffi_boundary(|| try_ref!(value).lease)
}

/// For lease operations the TTL in seconds; 0 for plain keys, -1 for keys inside watch events.
#[no_mangle]
pub unsafe extern "C" fn etcd_value_ttl(value: *const etcd_value) -> i64 {
    ffi_boundary(|| try_ref!(value).ttl)
}

/// The kind of the event; `ETCD_EVENT_TYPE_INVALID` for NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_event_get_type(event: *const etcd_event) -> etcd_event_type {
    ffi_boundary(|| event_type_of(try_ref!(event).event_type))
}

/// The key-value after the event (for a delete: the key, with an empty value); NULL when the
/// event has none.
#[no_mangle]
pub unsafe extern "C" fn etcd_event_kv(event: *const etcd_event) -> *const etcd_value {
    ffi_boundary(|| {
        try_ref!(event)
            .kv
            .as_ref()
            .map_or(std::ptr::null(), etcd_value::borrow)
    })
}

/// The key-value before the event (etcd's prev_kv, always requested by watchers); NULL when the
/// key did not exist before or etcd no longer had the previous version.
#[no_mangle]
pub unsafe extern "C" fn etcd_event_prev_kv(event: *const etcd_event) -> *const etcd_value {
    ffi_boundary(|| {
        try_ref!(event)
            .prev_kv
            .as_ref()
            .map_or(std::ptr::null(), etcd_value::borrow)
    })
}

// ------------------------------------------------------------------------------------------------
// Views: the common fields of a response, a value or an event read in one call, for callers to
// whom each call is costly (an interpreter going through a foreign-function layer).
// ------------------------------------------------------------------------------------------------

/// The fields of one `etcd_value` (see `etcd_value_key` ... `etcd_value_ttl`). `key` and
/// `value` are borrowed from the response the value belongs to.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct etcd_value_view {
    pub key: etcd_bytes,
    pub value: etcd_bytes,
    pub created_index: i64,
    pub modified_index: i64,
    pub version: i64,
    pub lease: i64,
    pub ttl: i64,
}

impl etcd_value_view {
    fn of(kv: &core::Kv) -> etcd_value_view {
        etcd_value_view {
            key: etcd_bytes::of(&kv.key),
            value: etcd_bytes::of(&kv.value),
            created_index: kv.create_revision,
            modified_index: kv.mod_revision,
            version: kv.version,
            lease: kv.lease,
            ttl: kv.ttl,
        }
    }

    /// All zero with empty byte strings: the view of a missing value.
    #[cfg(test)]
    pub(crate) const EMPTY_FOR_TESTS: etcd_value_view = etcd_value_view::EMPTY;

    const EMPTY: etcd_value_view = etcd_value_view {
        key: etcd_bytes::EMPTY,
        value: etcd_bytes::EMPTY,
        created_index: 0,
        modified_index: 0,
        version: 0,
        lease: 0,
        ttl: 0,
    };
}

/// One watch event (see `etcd_event_get_type`, `etcd_event_kv`, `etcd_event_prev_kv`):
/// `has_kv` / `has_prev_kv` say whether `kv` / `prev_kv` are set (they are empty views
/// otherwise). Borrowed from the response.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct etcd_event_view {
    pub event_type: etcd_event_type,
    pub has_kv: bool,
    pub has_prev_kv: bool,
    pub kv: etcd_value_view,
    pub prev_kv: etcd_value_view,
}

/// The common fields of a response, each as its own accessor gives it (`error_code` is
/// `etcd_response_error_code`, `value` the view of `etcd_response_value`, `value_count`
/// `etcd_response_value_count`, `status_endpoint` `etcd_response_status_endpoint`, and so on).
/// Every pointer in it is borrowed from the response: valid until the response is freed (or,
/// in a watch callback, until the callback returns).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct etcd_response_view {
    pub error_code: i32,
    pub error_message: etcd_bytes,
    pub action: etcd_bytes,
    pub index: i64,
    pub value: etcd_value_view,
    pub prev_value: etcd_value_view,
    pub value_count: usize,
    pub event_count: usize,
    pub lease_count: usize,
    pub member_count: usize,
    pub compact_revision: i64,
    pub watch_id: i64,
    pub cluster_id: u64,
    pub member_id: u64,
    pub raft_term: u64,
    pub duration_us: i64,
    pub lock_key: etcd_bytes,
    pub name: etcd_bytes,
    pub status_endpoint: etcd_bytes,
    pub status_version: etcd_bytes,
}

/// Reads the common fields of `response` into `*view_out` in one call (the same values as the
/// separate accessors). The lists (values, events, leases, members) are read with
/// `etcd_response_values_read`, `etcd_response_events_read` and the `_at` accessors.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `response` or `view_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_read(
    response: *const etcd_response,
    view_out: *mut etcd_response_view,
) -> etcd_status {
    ffi_boundary(|| {
        let response = try_ref!(response);
        *try_out!(view_out) = view_of(response);
        etcd_status::Ok
    })
}

/// The view of `response`'s common fields (see `etcd_response_read`), borrowed from it.
pub(crate) fn view_of(response: &Response) -> etcd_response_view {
    let r = &response.inner;
    etcd_response_view {
        error_code: r.error_code,
        error_message: etcd_bytes::of(r.error_message.as_bytes()),
        action: etcd_bytes::of(r.action.as_bytes()),
        index: r.index,
        value: etcd_value_view::of(&r.value),
        prev_value: etcd_value_view::of(&r.prev_value),
        value_count: r.values.len(),
        event_count: r.events.len(),
        lease_count: r.leases.len(),
        member_count: r.members.len(),
        compact_revision: r.compact_revision,
        watch_id: r.watch_id,
        cluster_id: r.cluster_id,
        member_id: r.member_id,
        raft_term: r.raft_term,
        duration_us: i64::try_from(r.duration.as_micros()).unwrap_or(i64::MAX),
        lock_key: etcd_bytes::of(&r.lock_key),
        name: etcd_bytes::of(&r.name),
        status_endpoint: etcd_bytes::of(r.status.endpoint.as_bytes()),
        status_version: etcd_bytes::of(r.status.version.as_bytes()),
    }
}

/// Reads the fields of `value` into `*view_out` in one call.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `value` or `view_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_value_read(
    value: *const etcd_value,
    view_out: *mut etcd_value_view,
) -> etcd_status {
    ffi_boundary(|| {
        let value = try_ref!(value);
        *try_out!(view_out) = etcd_value_view::of(value);
        etcd_status::Ok
    })
}

/// Writes the views of values `first`, `first + 1`, ... of `Response::values()` into
/// `views_out[0..count)`, stopping at the last value; returns how many were written (0 for a
/// NULL `response` or `views_out`, or `first` past the end).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_values_read(
    response: *const etcd_response,
    first: usize,
    views_out: *mut etcd_value_view,
    count: usize,
) -> usize {
    ffi_boundary(|| {
        let values = &try_ref!(response).inner.values;
        if views_out.is_null() {
            return 0;
        }
        let items = values.get(first..).unwrap_or_default();
        let n = items.len().min(count);
        for (i, kv) in items[..n].iter().enumerate() {
            // SAFETY: the C contract: `views_out` has room for `count` views, and i < count.
            unsafe { views_out.add(i).write(etcd_value_view::of(kv)) };
        }
        n
    })
}

/// Writes the views of watch events `first`, `first + 1`, ... into `views_out[0..count)`,
/// stopping at the last event; returns how many were written (0 for a NULL `response` or
/// `views_out`, or `first` past the end).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_events_read(
    response: *const etcd_response,
    first: usize,
    views_out: *mut etcd_event_view,
    count: usize,
) -> usize {
    ffi_boundary(|| {
        let events = &try_ref!(response).inner.events;
        if views_out.is_null() {
            return 0;
        }
        let items = events.get(first..).unwrap_or_default();
        let n = items.len().min(count);
        for (i, event) in items[..n].iter().enumerate() {
            let view = etcd_event_view {
                event_type: event_type_of(event.event_type),
                has_kv: event.kv.is_some(),
                has_prev_kv: event.prev_kv.is_some(),
                kv: event
                    .kv
                    .as_ref()
                    .map_or(etcd_value_view::EMPTY, etcd_value_view::of),
                prev_kv: event
                    .prev_kv
                    .as_ref()
                    .map_or(etcd_value_view::EMPTY, etcd_value_view::of),
            };
            // SAFETY: the C contract: `views_out` has room for `count` views, and i < count.
            unsafe { views_out.add(i).write(view) };
        }
        n
    })
}

fn event_type_of(t: EventType) -> etcd_event_type {
    match t {
        EventType::Put => etcd_event_type::Put,
        EventType::Delete => etcd_event_type::Delete,
        EventType::Invalid => etcd_event_type::Invalid,
    }
}

impl super::boundary::Fallback for etcd_event_type {
    fn panicked() -> Self {
        etcd_event_type::Invalid
    }
    fn null() -> Self {
        etcd_event_type::Invalid
    }
}
