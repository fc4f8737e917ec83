//! Locks and elections (etcd's lock and election services, etcd-cpp-apiv3's `lock`,
//! `lock_with_lease`, `unlock`, `campaign`, `proclaim`, `leader`, `resign` and `observe`).
//!
//! Every blocking function has an `_start` twin (see `call.rs`). Waiting functions (a lock
//! that is held elsewhere, a campaign while another candidate leads) wait on the server; with
//! a request timeout set they give error 4 when it runs out, and their `_start` twin can be
//! abandoned with `etcd_call_free`.

use std::ffi::c_char;
use std::time::Duration;

use super::boundary::{ffi_boundary, try_bytes, try_out, try_ref};
use super::call::{etcd_call, start};
use super::client::{etcd_client, execute};
use super::handle::Handle;
use super::response::{etcd_response, Response};
use super::status::etcd_status;
use super::types::etcd_bytes;
use crate::core::{self, Request};

/// Runs `request` (or returns the status that refused its arguments) and stores the response.
fn run(
    client: &core::Client,
    request: Result<Request, etcd_status>,
    out: &mut *mut etcd_response,
) -> etcd_status {
    match request {
        Ok(r) => execute(client, r, out),
        Err(s) => s,
    }
}

/// Starts `request` (or returns the status that refused its arguments) and stores the call.
fn run_start(
    client: &core::Client,
    request: Result<Request, etcd_status>,
    out: &mut *mut etcd_call,
) -> etcd_status {
    match request {
        Ok(r) => start(client, r, out),
        Err(s) => s,
    }
}

// The argument checks of each operation, shared by the blocking function and its twin.

unsafe fn lock_request(
    name: *const c_char,
    name_len: usize,
    ttl: i64,
) -> Result<Request, etcd_status> {
    let name = try_bytes!(name, name_len);
    if ttl <= 0 {
        return Err(etcd_status::InvalidArgument);
    }
    Ok(Request::Lock { name, ttl })
}

unsafe fn lock_with_lease_request(
    name: *const c_char,
    name_len: usize,
    lease: i64,
) -> Result<Request, etcd_status> {
    let name = try_bytes!(name, name_len);
    Ok(Request::LockWithLease { name, lease })
}

unsafe fn unlock_request(key: *const c_char, key_len: usize) -> Result<Request, etcd_status> {
    let key = try_bytes!(key, key_len);
    Ok(Request::Unlock { key })
}

unsafe fn campaign_request(
    name: *const c_char,
    name_len: usize,
    lease: i64,
    value: *const c_char,
    value_len: usize,
) -> Result<Request, etcd_status> {
    let name = try_bytes!(name, name_len);
    let value = try_bytes!(value, value_len);
    Ok(Request::Campaign { name, lease, value })
}

#[allow(clippy::too_many_arguments)]
unsafe fn proclaim_request(
    name: *const c_char,
    name_len: usize,
    lease: i64,
    key: *const c_char,
    key_len: usize,
    revision: i64,
    value: *const c_char,
    value_len: usize,
) -> Result<Request, etcd_status> {
    let name = try_bytes!(name, name_len);
    let key = try_bytes!(key, key_len);
    let value = try_bytes!(value, value_len);
    Ok(Request::Proclaim {
        name,
        lease,
        key,
        revision,
        value,
    })
}

unsafe fn leader_request(name: *const c_char, name_len: usize) -> Result<Request, etcd_status> {
    let name = try_bytes!(name, name_len);
    Ok(Request::Leader { name })
}

unsafe fn resign_request(
    name: *const c_char,
    name_len: usize,
    lease: i64,
    key: *const c_char,
    key_len: usize,
    revision: i64,
) -> Result<Request, etcd_status> {
    let name = try_bytes!(name, name_len);
    let key = try_bytes!(key, key_len);
    Ok(Request::Resign {
        name,
        lease,
        key,
        revision,
    })
}

/// Takes the lock `name` (`lock(name, ttl)`), waiting while someone else holds it: grants a
/// lease of `ttl` seconds and keeps it alive (without a thread) until `etcd_client_unlock`, or
/// until the client is freed (the lease then expires within `ttl`). The response's lock key
/// (`etcd_response_lock_key`) is what `etcd_client_unlock` takes; its value's lease is the
/// lease. etcd-cpp-apiv3's `lock(name)` uses a TTL of 10.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL or `name` is NULL
/// with a non-zero length, `ETCD_STATUS_INVALID_ARGUMENT` if `ttl` is not positive.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lock(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    ttl: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run(client, unsafe { lock_request(name, name_len, ttl) }, out)
    })
}

/// `etcd_client_lock` without waiting (see `etcd_call_wait`); freeing the call before it
/// finishes gives up waiting for the lock.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lock_start(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    ttl: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run_start(client, unsafe { lock_request(name, name_len, ttl) }, out)
    })
}

/// Takes the lock `name` with an existing `lease` (`lock_with_lease`), which the caller keeps
/// alive (e.g. with an `etcd_keepalive`); the lock is lost when the lease ends.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL or `name` is NULL
/// with a non-zero length.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lock_with_lease(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run(
            client,
            unsafe { lock_with_lease_request(name, name_len, lease) },
            out,
        )
    })
}

/// `etcd_client_lock_with_lease` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lock_with_lease_start(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run_start(
            client,
            unsafe { lock_with_lease_request(name, name_len, lease) },
            out,
        )
    })
}

/// Releases a lock (`unlock(lock_key)`): `lock_key` is the lock response's
/// `etcd_response_lock_key`, not the lock's name. For a lock taken with `etcd_client_lock` the
/// lease is revoked too.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL or `lock_key` is
/// NULL with a non-zero length.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_unlock(
    client: *const etcd_client,
    lock_key: *const c_char,
    lock_key_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run(
            client,
            unsafe { unlock_request(lock_key, lock_key_len) },
            out,
        )
    })
}

/// `etcd_client_unlock` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_unlock_start(
    client: *const etcd_client,
    lock_key: *const c_char,
    lock_key_len: usize,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run_start(
            client,
            unsafe { unlock_request(lock_key, lock_key_len) },
            out,
        )
    })
}

/// Campaigns in election `name` with `value` (`campaign(name, lease, value)`), waiting until
/// elected. `lease` (which the caller keeps alive) bounds the leadership. The response's name
/// (`etcd_response_name`) and value (key, create revision = the leader's revision, lease) are
/// what `etcd_client_proclaim` and `etcd_client_resign` take.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL or a NULL pointer
/// comes with a non-zero length.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_campaign(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    value: *const c_char,
    value_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        let req = unsafe { campaign_request(name, name_len, lease, value, value_len) };
        run(client, req, out)
    })
}

/// `etcd_client_campaign` without waiting (see `etcd_call_wait`); freeing the call before it
/// finishes gives up the campaign's wait.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_campaign_start(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    value: *const c_char,
    value_len: usize,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        let req = unsafe { campaign_request(name, name_len, lease, value, value_len) };
        run_start(client, req, out)
    })
}

/// Announces a new `value` as the leader of election `name` (`proclaim`): `lease`, `key` and
/// `revision` are those of the campaign's response (its value's lease, key and create
/// revision). Fails (error 2 or 9, "not leader") when that leadership has ended.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL or a NULL pointer
/// comes with a non-zero length.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_proclaim(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    key: *const c_char,
    key_len: usize,
    revision: i64,
    value: *const c_char,
    value_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        let req = unsafe {
            proclaim_request(
                name, name_len, lease, key, key_len, revision, value, value_len,
            )
        };
        run(client, req, out)
    })
}

/// `etcd_client_proclaim` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_proclaim_start(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    key: *const c_char,
    key_len: usize,
    revision: i64,
    value: *const c_char,
    value_len: usize,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        let req = unsafe {
            proclaim_request(
                name, name_len, lease, key, key_len, revision, value, value_len,
            )
        };
        run_start(client, req, out)
    })
}

/// The current leader of election `name` (`leader(name)`): the response's value is the
/// leader's key and value; without a leader, an error ("election: no leader").
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL or `name` is NULL
/// with a non-zero length.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_leader(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run(client, unsafe { leader_request(name, name_len) }, out)
    })
}

/// `etcd_client_leader` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_leader_start(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        run_start(client, unsafe { leader_request(name, name_len) }, out)
    })
}

/// Gives up the leadership of election `name` (`resign`), with the campaign response's lease,
/// key and revision (its value's lease, key and create revision); the next candidate is
/// elected.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL or a NULL pointer
/// comes with a non-zero length.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_resign(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    key: *const c_char,
    key_len: usize,
    revision: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        let req = unsafe { resign_request(name, name_len, lease, key, key_len, revision) };
        run(client, req, out)
    })
}

/// `etcd_client_resign` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_resign_start(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    lease: i64,
    key: *const c_char,
    key_len: usize,
    revision: i64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for (pointer, length) pairs.
        let req = unsafe { resign_request(name, name_len, lease, key, key_len, revision) };
        run_start(client, req, out)
    })
}

/// The lock key of a lock response (`Response::lock_key()`), borrowed from the response; empty
/// for other responses.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_lock_key(response: *const etcd_response) -> etcd_bytes {
    ffi_boundary(|| etcd_bytes::of(&try_ref!(response).inner.lock_key))
}

/// The election name of a campaign response (`Response::name()`), borrowed from the response;
/// empty for other responses.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_name(response: *const etcd_response) -> etcd_bytes {
    ffi_boundary(|| etcd_bytes::of(&try_ref!(response).inner.name))
}

/// A stream of the leaders of one election (`observe(name)`, etcd-cpp-apiv3's `Observer`).
/// Thread-safe; one waiter at a time.
pub struct etcd_observer {
    _private: [u8; 0],
}

impl Handle for etcd_observer {
    type Rust = core::Observer;
}

/// Starts observing election `name` (`observe(name)`): returns at once; each leader elected
/// from now on (the current one first, if there is one) is a response of
/// `etcd_observer_wait`, with action "obverse" (sic, as etcd-cpp-apiv3) and the leader's key
/// and value as its value. On success `*observer_out` is a new observer owned by the caller,
/// to be released with `etcd_observer_free`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `observer_out` is NULL or `name` is NULL
/// with a non-zero length.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_observe(
    client: *const etcd_client,
    name: *const c_char,
    name_len: usize,
    observer_out: *mut *mut etcd_observer,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let name = try_bytes!(name, name_len);
        let out = try_out!(observer_out);
        *out = etcd_observer::into_raw(core::Observer::new(client, name));
        etcd_status::Ok
    })
}

/// Waits for the next leader of the observed election, for at most `timeout_ms` milliseconds
/// (a negative value waits without limit, 0 only looks). On success `*response_out` is a new
/// response owned by the caller: the new leader, or the error that ended the observation
/// (after which every wait gives an error at once; observers do not reconnect, as
/// etcd-cpp-apiv3's).
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `observer` or `response_out` is NULL,
/// `ETCD_STATUS_PENDING` if no leader came within `timeout_ms` (nothing is written).
#[no_mangle]
pub unsafe extern "C" fn etcd_observer_wait(
    observer: *const etcd_observer,
    timeout_ms: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let observer = try_ref!(observer);
        let out = try_out!(response_out);
        let timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
        match observer.wait_for(timeout) {
            Some(r) => {
                *out = etcd_response::into_raw(Response::new(r));
                etcd_status::Ok
            }
            None => etcd_status::Pending,
        }
    })
}

/// Stops observing and frees the observer. NULL is a no-op. Must not be called twice for the
/// same observer, nor while another thread waits on it.
#[no_mangle]
pub unsafe extern "C" fn etcd_observer_free(observer: *mut etcd_observer) {
    // SAFETY: the C contract: NULL or an observer from etcd_client_observe, not freed before.
    ffi_boundary(|| unsafe { etcd_observer::free(observer) })
}
