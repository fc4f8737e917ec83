//! `etcd_keepalive`: keeps a lease alive in the background (`etcd::KeepAlive`).
//!
//! The lease is refreshed every TTL/3 seconds over a stream that is re-opened (on another
//! endpoint if need be) when it breaks. Only an answer saying the lease is gone, or a server
//! error, ends the keep-alive; the error callback then runs once and `etcd_keepalive_check`
//! reports it.

use std::ffi::{c_char, c_void, CString};
use std::sync::OnceLock;

use super::boundary::{ffi_boundary, try_out};
use super::client::etcd_client;
use super::handle::{try_ref, Handle};
use super::response::c_string;
use super::status::etcd_status;
use super::types::{etcd_free_callback, UserData};
use crate::core::{self, KeepAliveError, KeepAliveErrorKind};

/// A lease kept alive in the background (`etcd::KeepAlive`).
pub struct etcd_keepalive {
    _private: [u8; 0],
}

/// Receives the error that ends a keep-alive: `status` is `ETCD_STATUS_LEASE_EXPIRED` or
/// `ETCD_STATUS_KEEPALIVE_FAILED`, `message` a NUL-terminated text borrowed for the duration of
/// the call. Runs once, on a library callback thread, or on the thread calling
/// `etcd_keepalive_check` when that call finds the error.
pub type etcd_keepalive_error_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, status: etcd_status, message: *const c_char),
>;

/// The core keep-alive, the message of the error `check` found, and the user's data. Fields
/// drop in order: the keep-alive is cancelled before the finalizer releases the user's data.
pub(crate) struct KeepAlive {
    keepalive: core::KeepAlive,
    error: OnceLock<CString>,
    _userdata: UserData,
}

impl Handle for etcd_keepalive {
    type Rust = KeepAlive;
}

fn status_of(error: &KeepAliveError) -> etcd_status {
    match error.kind {
        KeepAliveErrorKind::OutOfRange => etcd_status::LeaseExpired,
        KeepAliveErrorKind::Runtime => etcd_status::KeepaliveFailed,
    }
}

/// Keeps lease `lease_id` alive, refreshing it every `ttl`/3 seconds. With `lease_id` 0, first
/// grants a lease of `ttl` seconds (`etcd::KeepAlive(client, ttl)`); read its id with
/// `etcd_keepalive_lease`. If the grant fails (no endpoint answers, wrong credentials or
/// certificates) the keep-alive is failed from the start: its lease is 0,
/// `etcd_keepalive_check` returns `ETCD_STATUS_KEEPALIVE_FAILED` with the reason, and
/// `on_error` is called once.
///
/// `on_error(userdata, status, message)` (may be NULL) is called once with the error that ends
/// the keep-alive. `free_userdata` (may be NULL) is called with `userdata` once, from
/// `etcd_keepalive_free`, after the last callback. On failure nothing is registered and
/// `free_userdata` is not called.
///
/// On success `*keepalive_out` is a new keep-alive owned by the caller, to be released with
/// `etcd_keepalive_free`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `keepalive_out` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` if `ttl` is not positive.
#[no_mangle]
pub unsafe extern "C" fn etcd_keepalive_new(
    client: *const etcd_client,
    ttl: i64,
    lease_id: i64,
    on_error: etcd_keepalive_error_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    keepalive_out: *mut *mut etcd_keepalive,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(keepalive_out);
        if ttl <= 0 {
            return etcd_status::InvalidArgument;
        }
        let userdata = UserData::new(userdata, free_userdata);
        let data = userdata.borrowed();
        let handler = on_error.map(|cb| -> Box<dyn Fn(KeepAliveError) + Send + Sync> {
            Box::new(move |e: KeepAliveError| {
                let message = c_string(&e.message);
                super::thread::attach_current_thread();
                // SAFETY: the user's callback with the user's data, as registered.
                unsafe { cb(data.ptr(), status_of(&e), message.as_ptr()) };
            })
        });
        let keepalive = core::KeepAlive::new(client, ttl, lease_id, handler);
        *out = etcd_keepalive::into_raw(KeepAlive {
            keepalive,
            error: OnceLock::new(),
            _userdata: userdata,
        });
        etcd_status::Ok
    })
}

/// The lease id (`KeepAlive::Lease()`); 0 for NULL or when granting the lease failed.
#[no_mangle]
pub unsafe extern "C" fn etcd_keepalive_lease(keepalive: *const etcd_keepalive) -> i64 {
    ffi_boundary(|| try_ref!(keepalive).keepalive.lease())
}

/// Checks the keep-alive (`KeepAlive::Check()`): returns the error that ended it if there was
/// one, else refreshes the lease once now. `ETCD_STATUS_OK` while the lease is alive (or the
/// cluster cannot be reached: the background refresh keeps trying), `ETCD_STATUS_LEASE_EXPIRED`
/// when it has expired or was revoked, `ETCD_STATUS_KEEPALIVE_FAILED` when the lease could not
/// be granted or refreshing failed in a way retrying cannot fix (credentials, permissions,
/// certificates);
/// `etcd_keepalive_error_message` then has the text. If the error is new, the error callback
/// runs on this thread before this returns. After `etcd_keepalive_cancel`, `ETCD_STATUS_OK`
/// unless an error was found before.
#[no_mangle]
pub unsafe extern "C" fn etcd_keepalive_check(keepalive: *const etcd_keepalive) -> etcd_status {
    ffi_boundary(|| {
        let keepalive = try_ref!(keepalive);
        match keepalive.keepalive.check() {
            None => etcd_status::Ok,
            Some(e) => {
                keepalive.error.get_or_init(|| c_string(&e.message));
                status_of(&e)
            }
        }
    })
}

/// The message of the error `etcd_keepalive_check` reported, NUL-terminated and owned by the
/// keep-alive (etcd-cpp-apiv3's exception text); NULL if it reported none.
#[no_mangle]
pub unsafe extern "C" fn etcd_keepalive_error_message(
    keepalive: *const etcd_keepalive,
) -> *const c_char {
    ffi_boundary(|| {
        try_ref!(keepalive)
            .error
            .get()
            .map_or(std::ptr::null(), |m| m.as_ptr())
    })
}

/// Stops refreshing the lease (`KeepAlive::Cancel()`); the lease is not revoked and expires
/// after its TTL. Once it returns the error callback no longer runs, except when called from
/// inside that callback. Idempotent.
#[no_mangle]
pub unsafe extern "C" fn etcd_keepalive_cancel(keepalive: *const etcd_keepalive) -> etcd_status {
    ffi_boundary(|| {
        try_ref!(keepalive).keepalive.cancel();
        etcd_status::Ok
    })
}

/// Cancels the keep-alive if needed, then frees it and calls its `free_userdata`. NULL is a
/// no-op. Must not be called twice for the same keep-alive, nor from its own error callback.
#[no_mangle]
pub unsafe extern "C" fn etcd_keepalive_free(keepalive: *mut etcd_keepalive) {
    // SAFETY: the C contract: NULL or a keep-alive from etcd_keepalive_new, not freed before.
    ffi_boundary(|| unsafe { etcd_keepalive::free(keepalive) })
}
