//! `etcd_watcher`: a long-lived watch on a key, a prefix or a range (`etcd::Watcher`).
//!
//! The callback receives each batch of events, in order, on a library callback thread (never on
//! a thread of the library's network runtime), so it may call the blocking client functions.
//! A watcher survives the loss of an endpoint: it resumes on another one from the next
//! revision, so events are neither lost nor repeated. It ends when cancelled, or when etcd ends
//! the watch (compaction of its start revision: a last response with error 11).

use std::ffi::{c_char, c_void};
use std::time::Duration;

use super::boundary::{ffi_boundary, try_bytes, try_callback, try_out};
use super::client::etcd_client;
use super::handle::{try_ref, Handle};
use super::response::{etcd_response, Response};
use super::status::etcd_status;
use super::types::{etcd_free_callback, UserData};
use crate::core::{self, KeyRange};

/// A running watch (`etcd::Watcher`).
pub struct etcd_watcher {
    _private: [u8; 0],
}

/// Receives the responses of a watcher: `response` is borrowed for the duration of the call
/// (copy what you need, or keep a copy with `etcd_response_clone`). Runs on a library callback
/// thread (named "etcd-cb"), one call at a time and in order for a given watcher.
pub type etcd_watch_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, response: *const etcd_response)>;

/// The core watcher and the user's data. Fields drop in order: the watcher is cancelled (and
/// no callback runs any more) before the finalizer releases the user's data.
pub(crate) struct Watcher {
    watcher: core::Watcher,
    _userdata: UserData,
}

impl Handle for etcd_watcher {
    type Rust = Watcher;
}

fn start(
    client: &core::Client,
    range: KeyRange,
    from_revision: i64,
    callback: unsafe extern "C" fn(*mut c_void, *const etcd_response),
    userdata: UserData,
    wait: bool,
) -> Watcher {
    let data = userdata.borrowed();
    let watcher = core::Watcher::start(client, range, from_revision, move |resp| {
        let resp = Response::new(resp);
        super::thread::attach_current_thread();
        // SAFETY: the user's callback with the user's data, as registered.
        unsafe { callback(data.ptr(), etcd_response::borrow(&resp)) };
    });
    if wait {
        watcher.wait_started(Duration::MAX);
    }
    Watcher {
        watcher,
        _userdata: userdata,
    }
}

/// Watches `key` alone (`recursive` false) or every key starting with `key` (`recursive` true),
/// from revision `from_revision` (<= 0: from now on), as `etcd::Watcher(client, key, callback,
/// recursive)` / `(client, key, from_index, callback, recursive)`.
///
/// Returns once etcd has confirmed the watch, so every write that starts afterwards is
/// delivered; if no endpoint confirms it within the client's connect timeout, returns after
/// that timeout with the watcher still trying (a watch from now then starts when it first
/// reaches a server).
///
/// `callback(userdata, response)` receives every batch of events (`etcd_response_event_at`;
/// each event carries the previous value when etcd has it) and, if the watch ends (etcd ended
/// it, or a failure that retrying cannot fix: rejected credentials or certificates), a last
/// response with an error. `free_userdata` (may be NULL) is called with `userdata` once, from
/// `etcd_watcher_free`, after the last callback. On failure nothing is registered and
/// `free_userdata` is not called.
///
/// On success `*watcher_out` is a new watcher owned by the caller, to be released with
/// `etcd_watcher_free` (from any thread but the watcher's own callback).
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client`, `callback` or `watcher_out` is NULL, or
/// `key` is NULL with a non-zero `key_len`.
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_new(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    recursive: bool,
    from_revision: i64,
    callback: etcd_watch_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    watcher_out: *mut *mut etcd_watcher,
) -> etcd_status {
    // SAFETY: the arguments as the caller passed them; checked there.
    unsafe {
        watcher_key(
            true,
            client,
            key,
            key_len,
            recursive,
            from_revision,
            callback,
            userdata,
            free_userdata,
            watcher_out,
        )
    }
}

/// As `etcd_watcher_new`, but returns at once, before etcd has confirmed the watch; then
/// `etcd_watcher_wait_started` waits, in slices of the caller's choosing, for the moment
/// `etcd_watcher_new` would have returned (for callers that must stay interruptible).
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_start(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    recursive: bool,
    from_revision: i64,
    callback: etcd_watch_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    watcher_out: *mut *mut etcd_watcher,
) -> etcd_status {
    // SAFETY: the arguments as the caller passed them; checked there.
    unsafe {
        watcher_key(
            false,
            client,
            key,
            key_len,
            recursive,
            from_revision,
            callback,
            userdata,
            free_userdata,
            watcher_out,
        )
    }
}

/// As `etcd_watcher_new`, for the keys in `[key, range_end)` (`etcd::Watcher(client, key,
/// range_end, from_index, callback)`).
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_new_range(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    from_revision: i64,
    callback: etcd_watch_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    watcher_out: *mut *mut etcd_watcher,
) -> etcd_status {
    // SAFETY: the arguments as the caller passed them; checked there.
    unsafe {
        watcher_range(
            true,
            client,
            key,
            key_len,
            range_end,
            range_end_len,
            from_revision,
            callback,
            userdata,
            free_userdata,
            watcher_out,
        )
    }
}

/// As `etcd_watcher_new_range`, returning at once (see `etcd_watcher_start`).
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_start_range(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    from_revision: i64,
    callback: etcd_watch_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    watcher_out: *mut *mut etcd_watcher,
) -> etcd_status {
    // SAFETY: the arguments as the caller passed them; checked there.
    unsafe {
        watcher_range(
            false,
            client,
            key,
            key_len,
            range_end,
            range_end_len,
            from_revision,
            callback,
            userdata,
            free_userdata,
            watcher_out,
        )
    }
}

/// Waits at most `timeout_ms` milliseconds until the watcher has started: etcd confirmed it, it
/// failed for good, or the client's connect timeout since it was created has passed (what
/// `etcd_watcher_new` waits for). `*started` says whether that happened. NULL arguments give
/// `ETCD_STATUS_NULL_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_wait_started(
    watcher: *const etcd_watcher,
    timeout_ms: u32,
    started: *mut bool,
) -> etcd_status {
    ffi_boundary(|| {
        let watcher = try_ref!(watcher);
        let out = try_out!(started);
        *out = watcher
            .watcher
            .wait_started(Duration::from_millis(u64::from(timeout_ms)));
        etcd_status::Ok
    })
}

#[allow(clippy::too_many_arguments)] // the C function's arguments, passed through
unsafe fn watcher_key(
    wait: bool,
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    recursive: bool,
    from_revision: i64,
    callback: etcd_watch_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    watcher_out: *mut *mut etcd_watcher,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        let callback = try_callback!(callback);
        let out = try_out!(watcher_out);
        let range = KeyRange::from_args(key, None, recursive);
        *out = etcd_watcher::into_raw(start(
            client,
            range,
            from_revision,
            callback,
            UserData::new(userdata, free_userdata),
            wait,
        ));
        etcd_status::Ok
    })
}

#[allow(clippy::too_many_arguments)] // the C function's arguments, passed through
unsafe fn watcher_range(
    wait: bool,
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    from_revision: i64,
    callback: etcd_watch_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
    watcher_out: *mut *mut etcd_watcher,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::range(
            try_bytes!(key, key_len),
            try_bytes!(range_end, range_end_len),
        );
        let callback = try_callback!(callback);
        let out = try_out!(watcher_out);
        *out = etcd_watcher::into_raw(start(
            client,
            range,
            from_revision,
            callback,
            UserData::new(userdata, free_userdata),
            wait,
        ));
        etcd_status::Ok
    })
}

/// Stops the watcher (`Watcher::Cancel()`). Once it returns, the callback no longer runs,
/// except when called from inside that callback (which then finishes normally). Idempotent.
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_cancel(watcher: *const etcd_watcher) -> etcd_status {
    ffi_boundary(|| {
        try_ref!(watcher).watcher.cancel();
        etcd_status::Ok
    })
}

/// Blocks until the watcher ends (`Watcher::Wait()`): cancelled by `etcd_watcher_cancel` from
/// another thread, or ended by etcd. On success `*cancelled_out` is true if it was cancelled.
/// When etcd ended the watch, the response saying why may still be on its way to the callback
/// as this returns. Must not be called from the watcher's own callback.
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_wait(
    watcher: *const etcd_watcher,
    cancelled_out: *mut bool,
) -> etcd_status {
    ffi_boundary(|| {
        let watcher = try_ref!(watcher);
        let out = try_out!(cancelled_out);
        *out = watcher.watcher.wait();
        etcd_status::Ok
    })
}

/// True once the watcher has ended (cancelled, or ended by etcd); false for NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_ended(watcher: *const etcd_watcher) -> bool {
    ffi_boundary(|| try_ref!(watcher).watcher.ended())
}

/// Cancels the watcher if needed, then frees it and calls its `free_userdata`. NULL is a
/// no-op. Must not be called twice for the same watcher, nor from its own callback.
#[no_mangle]
pub unsafe extern "C" fn etcd_watcher_free(watcher: *mut etcd_watcher) {
    // SAFETY: the C contract: NULL or a watcher from etcd_watcher_new*, not freed before.
    ffi_boundary(|| unsafe { etcd_watcher::free(watcher) })
}
