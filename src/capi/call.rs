//! `etcd_call`: an operation in flight, for hosts that must not block in the library (an
//! interpreter that has to react to Ctrl-C, an event loop).
//!
//! Each blocking operation `etcd_client_<op>` has a twin `etcd_client_<op>_start` that takes the
//! same arguments, starts the request and returns at once with a new `etcd_call` (instead of an
//! `etcd_response`). The caller then waits for it in slices as short as it likes
//! (`etcd_call_wait`), or asks to be called back when it finishes (`etcd_call_on_done`), and
//! takes the response (`etcd_call_take_response`), which is exactly the one the blocking
//! function would have returned. `etcd_call_free` releases the call; freeing a call that has not
//! finished abandons it (the request is stopped where it is: a write that was already sent may
//! still be applied).
//!
//! The behaviour is the core's [`crate::core::Call`]; this module only translates.

use std::ffi::{c_char, c_void};
use std::sync::Mutex;
use std::time::Duration;

use super::boundary::{ffi_boundary, try_bytes, try_callback, try_out};
use super::client::etcd_client;
use super::handle::{try_ref, Handle};
use super::response::{etcd_response, etcd_response_view, view_of, Response};
use super::status::etcd_status;
use super::types::{etcd_free_callback, UserData};
use crate::core::{self, Compare, KeyRange, Request};

/// An operation in flight (or finished, until freed). Thread-safe.
pub struct etcd_call {
    _private: [u8; 0],
}

/// The core call and the user's data of its completion callback. Fields drop in order: the
/// call is abandoned (and its callback can no longer run) before the finalizer runs.
pub(crate) struct Call {
    call: core::Call,
    userdata: Mutex<Option<UserData>>,
}

impl Handle for etcd_call {
    type Rust = Call;
}

/// Called once when a call finishes, on a library callback thread (named "etcd-cb"), never on
/// a thread of the network runtime; it may take the response (`etcd_call_take_response`) and
/// call any other function of this API, including `etcd_call_free` of its own call.
pub type etcd_call_callback = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// Starts `request` on `client` and stores the new call in `out`.
pub(crate) fn start(
    client: &core::Client,
    request: Request,
    out: &mut *mut etcd_call,
) -> etcd_status {
    *out = etcd_call::into_raw(Call {
        call: core::Call::start(client, request),
        userdata: Mutex::new(None),
    });
    etcd_status::Ok
}

/// Waits until `call` has finished, for at most `timeout_ms` milliseconds (a negative value
/// waits without limit, 0 only looks). `*done_out` tells whether it has finished (also true once
/// its response was taken).
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `call` or `done_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_call_wait(
    call: *const etcd_call,
    timeout_ms: i64,
    done_out: *mut bool,
) -> etcd_status {
    ffi_boundary(|| {
        let call = try_ref!(call);
        let out = try_out!(done_out);
        let timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
        *out = call.call.wait(timeout);
        etcd_status::Ok
    })
}

/// True once `call` has finished (false for NULL). Never blocks.
#[no_mangle]
pub unsafe extern "C" fn etcd_call_done(call: *const etcd_call) -> bool {
    ffi_boundary(|| try_ref!(call).call.is_done())
}

/// Takes the response of a finished call: on success `*response_out` is a new response owned
/// by the caller (free it with `etcd_response_free`). A call gives its response once.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `call` or `response_out` is NULL,
/// `ETCD_STATUS_PENDING` if the call has not finished yet, `ETCD_STATUS_INVALID_ARGUMENT` if its
/// response was already taken.
#[no_mangle]
pub unsafe extern "C" fn etcd_call_take_response(
    call: *const etcd_call,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let call = try_ref!(call);
        let out = try_out!(response_out);
        if !call.call.is_done() {
            return etcd_status::Pending;
        }
        match call.call.take() {
            Some(response) => {
                *out = etcd_response::into_raw(Response::new(response));
                etcd_status::Ok
            }
            None => etcd_status::InvalidArgument,
        }
    })
}

/// `etcd_call_wait`, `etcd_call_take_response` and `etcd_response_read` in one call, for hosts
/// that pay for each call into the library (Python's ctypes): waits until `call` has finished,
/// for at most `timeout_ms` milliseconds (negative: without limit, 0: only looks); once it has,
/// `*response_out` is its response, a new one owned by the caller (free it with
/// `etcd_response_free`), and `*view_out` its common fields, borrowed from that response.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if an argument is NULL, `ETCD_STATUS_PENDING` if the call
/// has not finished in time (nothing is written then), `ETCD_STATUS_INVALID_ARGUMENT` if its
/// response was already taken.
#[no_mangle]
pub unsafe extern "C" fn etcd_call_finish(
    call: *const etcd_call,
    timeout_ms: i64,
    response_out: *mut *mut etcd_response,
    view_out: *mut etcd_response_view,
) -> etcd_status {
    ffi_boundary(|| {
        let call = try_ref!(call);
        let out = try_out!(response_out);
        let view = try_out!(view_out);
        let timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
        if !call.call.wait(timeout) {
            return etcd_status::Pending;
        }
        match call.call.take() {
            Some(response) => {
                let response = etcd_response::into_raw(Response::new(response));
                // SAFETY: a live response, just made; the view borrows from its box, which the
                // caller owns from now on.
                if let Some(r) = unsafe { etcd_response::get(response) } {
                    *view = view_of(r);
                }
                *out = response;
                etcd_status::Ok
            }
            None => etcd_status::InvalidArgument,
        }
    })
}

/// Asks for `callback(userdata)` once `call` has finished (soon, if it already has), on a
/// library callback thread; for event loops (e.g. to wake one with the result). Only one
/// callback per call. `free_userdata` (may be NULL) is called with `userdata` once, from
/// `etcd_call_free`, after the callback has run or can no longer run. Once `etcd_call_free` has
/// returned, the callback does not run (unless it was called from inside the callback).
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `call` or `callback` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` if a callback was already set (nothing is registered then and
/// `free_userdata` is not called).
#[no_mangle]
pub unsafe extern "C" fn etcd_call_on_done(
    call: *const etcd_call,
    callback: etcd_call_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
) -> etcd_status {
    ffi_boundary(|| {
        let call = try_ref!(call);
        let callback = try_callback!(callback);
        let mut slot = call.userdata.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_some() {
            return etcd_status::InvalidArgument;
        }
        let data = UserData::new(userdata, free_userdata);
        let borrowed = data.borrowed();
        *slot = Some(data);
        drop(slot);
        call.call.on_done(move || {
            super::thread::attach_current_thread();
            // SAFETY: the user's callback with the user's data, as registered.
            unsafe { callback(borrowed.ptr()) };
        });
        etcd_status::Ok
    })
}

/// Frees a call; if it has not finished, abandons it. NULL is a no-op. Must not be called twice
/// for the same call, nor while another thread uses it.
#[no_mangle]
pub unsafe extern "C" fn etcd_call_free(call: *mut etcd_call) {
    // SAFETY: the C contract: NULL or a call from an `_start` function, not freed before.
    ffi_boundary(|| unsafe { etcd_call::free(call) })
}

// ------------------------------------------------------------------------------------------------
// The `_start` twins of the blocking operations of `client.rs`, in the same order.
// ------------------------------------------------------------------------------------------------

/// `etcd_client_head` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_head` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_head_start(
    client: *const etcd_client,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        start(client, Request::Head, try_out!(call_out))
    })
}

/// `etcd_client_get` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_get` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_get_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    revision: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        start(client, Request::Get { key, revision }, try_out!(call_out))
    })
}

/// `etcd_client_put` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_put` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_put_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    lease: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        start(
            client,
            Request::Put { key, value, lease },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_add` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_add` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_add_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    lease: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        start(
            client,
            Request::Add { key, value, lease },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_modify` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_modify` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_modify_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    lease: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        start(
            client,
            Request::Modify { key, value, lease },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_modify_if_value` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_modify_if_value` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_modify_if_value_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    old_value: *const c_char,
    old_value_len: usize,
    lease: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        let compare = Compare::Value(try_bytes!(old_value, old_value_len));
        start(
            client,
            Request::ModifyIf {
                key,
                value,
                compare,
                lease,
            },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_modify_if_index` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_modify_if_index` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_modify_if_index_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    old_index: i64,
    lease: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        let compare = Compare::ModRevision(old_index);
        start(
            client,
            Request::ModifyIf {
                key,
                value,
                compare,
                lease,
            },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_rm` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_rm` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rm_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        start(client, Request::Rm { key }, try_out!(call_out))
    })
}

/// `etcd_client_rm_if_value` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_rm_if_value` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rm_if_value_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    old_value: *const c_char,
    old_value_len: usize,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        let compare = Compare::Value(try_bytes!(old_value, old_value_len));
        start(client, Request::RmIf { key, compare }, try_out!(call_out))
    })
}

/// `etcd_client_rm_if_index` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_rm_if_index` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rm_if_index_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    old_index: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        start(
            client,
            Request::RmIf {
                key,
                compare: Compare::ModRevision(old_index),
            },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_rmdir` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_rmdir` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rmdir_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    recursive: bool,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        let range = KeyRange::from_args(key, None, recursive);
        start(client, Request::Rmdir { range }, try_out!(call_out))
    })
}

/// `etcd_client_rmdir_range` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_rmdir_range` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rmdir_range_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::range(
            try_bytes!(key, key_len),
            try_bytes!(range_end, range_end_len),
        );
        start(client, Request::Rmdir { range }, try_out!(call_out))
    })
}

/// `etcd_client_ls` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_ls` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_ls_start(
    client: *const etcd_client,
    prefix: *const c_char,
    prefix_len: usize,
    limit: i64,
    revision: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::prefix(try_bytes!(prefix, prefix_len));
        start(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: false,
            },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_ls_range` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_ls_range` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_ls_range_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    limit: i64,
    revision: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::range(
            try_bytes!(key, key_len),
            try_bytes!(range_end, range_end_len),
        );
        start(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: false,
            },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_keys` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_keys` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_keys_start(
    client: *const etcd_client,
    prefix: *const c_char,
    prefix_len: usize,
    limit: i64,
    revision: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::prefix(try_bytes!(prefix, prefix_len));
        start(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: true,
            },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_keys_range` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_keys_range` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_keys_range_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    limit: i64,
    revision: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::range(
            try_bytes!(key, key_len),
            try_bytes!(range_end, range_end_len),
        );
        start(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: true,
            },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_lease_grant` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_lease_grant` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_grant_start(
    client: *const etcd_client,
    ttl: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        start(client, Request::LeaseGrant { ttl }, try_out!(call_out))
    })
}

/// `etcd_client_lease_revoke` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_lease_revoke` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_revoke_start(
    client: *const etcd_client,
    lease_id: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        start(
            client,
            Request::LeaseRevoke { id: lease_id },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_lease_time_to_live` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_lease_time_to_live` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_time_to_live_start(
    client: *const etcd_client,
    lease_id: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        start(
            client,
            Request::LeaseTimeToLive { id: lease_id },
            try_out!(call_out),
        )
    })
}

/// `etcd_client_lease_list` without waiting: `*call_out` is a new pending call whose response is the one
/// `etcd_client_lease_list` would give (see `etcd_call_wait`, `etcd_call_take_response`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_list_start(
    client: *const etcd_client,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        start(client, Request::LeaseLeases, try_out!(call_out))
    })
}
