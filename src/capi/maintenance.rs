//! Maintenance (an extension, not in etcd-cpp-apiv3): the status of a member, compaction and
//! defragmentation.
//!
//! `status` and `defragment` address one member by its client endpoint, which must be one of
//! the client's endpoints (`host:port`, with or without `http://`); NULL or "" lets the client
//! pick one that answers. Status fields are read from the response with the
//! `etcd_response_status_*` accessors, and `etcd_response_member_id`,
//! `etcd_response_cluster_id` and `etcd_response_raft_term`.

use std::ffi::c_char;

use super::boundary::{ffi_boundary, str_arg, try_out, try_ref};
use super::call::{etcd_call, start};
use super::client::{etcd_client, execute};
use super::response::etcd_response;
use super::status::etcd_status;
use super::types::etcd_bytes;
use crate::core::Request;

/// The endpoint argument: NULL is "" (any endpoint).
unsafe fn endpoint_arg(endpoint: *const c_char) -> Result<String, etcd_status> {
    // SAFETY: the C contract: NULL or a NUL-terminated string.
    match unsafe { str_arg(endpoint) } {
        None => Ok(String::new()),
        Some(Ok(e)) => Ok(e.to_owned()),
        Some(Err(_)) => Err(etcd_status::InvalidArgument),
    }
}

/// The status of the member at `endpoint` (NULL or "": any that answers): version, database
/// size, leader, raft index and term (see the `etcd_response_status_*` accessors). An endpoint
/// that is not one of the client's gives error 3 in the response.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` if `endpoint` is not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_status(
    client: *const etcd_client,
    endpoint: *const c_char,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for strings.
        match unsafe { endpoint_arg(endpoint) } {
            Ok(endpoint) => execute(client, Request::Status { endpoint }, out),
            Err(s) => s,
        }
    })
}

/// `etcd_client_status` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_status_start(
    client: *const etcd_client,
    endpoint: *const c_char,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for strings.
        match unsafe { endpoint_arg(endpoint) } {
            Ok(endpoint) => start(client, Request::Status { endpoint }, out),
            Err(s) => s,
        }
    })
}

/// Compacts the key history up to `revision` (the cluster forgets older revisions: reading or
/// watching from them then gives error 11). With `physical`, returns once the old revisions
/// are removed from the database. A revision already compacted or in the future gives error
/// 11 in the response. The response's compact revision is `revision`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_compact(
    client: *const etcd_client,
    revision: i64,
    physical: bool,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let req = Request::Compact { revision, physical };
        execute(client, req, try_out!(response_out))
    })
}

/// `etcd_client_compact` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_compact_start(
    client: *const etcd_client,
    revision: i64,
    physical: bool,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let req = Request::Compact { revision, physical };
        start(client, req, try_out!(call_out))
    })
}

/// Defragments the database of the member at `endpoint` (NULL or "": any that answers),
/// returning its free space to the file system. The member does not serve other requests
/// meanwhile; defragment one member at a time. `etcd_response_status_endpoint` tells which.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` if `endpoint` is not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_defragment(
    client: *const etcd_client,
    endpoint: *const c_char,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for strings.
        match unsafe { endpoint_arg(endpoint) } {
            Ok(endpoint) => execute(client, Request::Defragment { endpoint }, out),
            Err(s) => s,
        }
    })
}

/// `etcd_client_defragment` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_defragment_start(
    client: *const etcd_client,
    endpoint: *const c_char,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for strings.
        match unsafe { endpoint_arg(endpoint) } {
            Ok(endpoint) => start(client, Request::Defragment { endpoint }, out),
            Err(s) => s,
        }
    })
}

/// Status: the endpoint (host:port) that answered a status or was defragmented, borrowed from
/// the response; empty for other responses.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_endpoint(
    response: *const etcd_response,
) -> etcd_bytes {
    ffi_boundary(|| etcd_bytes::of(try_ref!(response).inner.status.endpoint.as_bytes()))
}

/// Status: the member's etcd version ("3.4.30"), borrowed from the response.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_version(
    response: *const etcd_response,
) -> etcd_bytes {
    ffi_boundary(|| etcd_bytes::of(try_ref!(response).inner.status.version.as_bytes()))
}

/// Status: size of the member's database file, in bytes.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_db_size(response: *const etcd_response) -> i64 {
    ffi_boundary(|| try_ref!(response).inner.status.db_size)
}

/// Status: bytes of the database file in use (the rest is what defragmenting frees).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_db_size_in_use(
    response: *const etcd_response,
) -> i64 {
    ffi_boundary(|| try_ref!(response).inner.status.db_size_in_use)
}

/// Status: member id of the cluster's leader (0 while there is none).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_leader(response: *const etcd_response) -> u64 {
    ffi_boundary(|| try_ref!(response).inner.status.leader)
}

/// Status: the member's raft index.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_raft_index(response: *const etcd_response) -> u64 {
    ffi_boundary(|| try_ref!(response).inner.status.raft_index)
}

/// Status: the member's raft applied index.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_raft_applied_index(
    response: *const etcd_response,
) -> u64 {
    ffi_boundary(|| try_ref!(response).inner.status.raft_applied_index)
}

/// Status: true when the member is a learner.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_is_learner(response: *const etcd_response) -> bool {
    ffi_boundary(|| try_ref!(response).inner.status.is_learner)
}

/// Status: number of alarms and errors the member reports.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_error_count(response: *const etcd_response) -> usize {
    ffi_boundary(|| try_ref!(response).inner.status.errors.len())
}

/// Status: error `index` the member reports, borrowed from the response; empty when out of
/// range.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_status_error_at(
    response: *const etcd_response,
    index: usize,
) -> etcd_bytes {
    ffi_boundary(|| {
        try_ref!(response)
            .inner
            .status
            .errors
            .get(index)
            .map_or(etcd_bytes::EMPTY, |e| etcd_bytes::of(e.as_bytes()))
    })
}
