//! Cluster membership (`add_member`, `list_member`, `remove_member`), `etcd_member`, the
//! members of a response, and the client's endpoints learned from the member list.

use std::ffi::c_char;

use super::boundary::{ffi_boundary, str_arg, try_out};
use super::call::{etcd_call, start};
use super::client::{etcd_client, execute};
use super::handle::try_ref;
use super::handle::Handle;
use super::response::etcd_response;
use super::status::etcd_status;
use super::types::etcd_bytes;
use crate::core::{self, Request};

/// One cluster member (`etcdv3::Member`), borrowed from its response.
pub struct etcd_member {
    _private: [u8; 0],
}

impl Handle for etcd_member {
    type Rust = core::Member;
}

/// The request adding the members at `peer_urls` (comma-separated, NUL-terminated).
unsafe fn member_add_request(
    peer_urls: *const c_char,
    learner: bool,
) -> Result<Request, etcd_status> {
    // SAFETY: the C contract: a NUL-terminated string.
    let urls = match unsafe { str_arg(peer_urls) } {
        None => return Err(etcd_status::NullArgument),
        Some(Err(_)) => return Err(etcd_status::InvalidArgument),
        Some(Ok(u)) => u,
    };
    let peer_urls: Vec<String> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    if peer_urls.is_empty() {
        return Err(etcd_status::InvalidArgument);
    }
    Ok(Request::MemberAdd { peer_urls, learner })
}

/// Adds a member (`add_member(peer_urls, is_learner)`): `peer_urls` are its peer URLs,
/// separated by commas (NUL-terminated); a learner does not vote until promoted. The response's
/// members hold the new member (etcd-cpp-apiv3 returns none).
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client`, `peer_urls` or `response_out` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` if `peer_urls` is not UTF-8 or holds no URL.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_member_add(
    client: *const etcd_client,
    peer_urls: *const c_char,
    is_learner: bool,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(response_out);
        // SAFETY: the C contract for strings.
        match unsafe { member_add_request(peer_urls, is_learner) } {
            Ok(r) => execute(client, r, out),
            Err(s) => s,
        }
    })
}

/// `etcd_client_member_add` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_member_add_start(
    client: *const etcd_client,
    peer_urls: *const c_char,
    is_learner: bool,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let out = try_out!(call_out);
        // SAFETY: the C contract for strings.
        match unsafe { member_add_request(peer_urls, is_learner) } {
            Ok(r) => start(client, r, out),
            Err(s) => s,
        }
    })
}

/// Lists the cluster's members (`list_member()`): see `etcd_response_member_count`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_member_list(
    client: *const etcd_client,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        execute(client, Request::MemberList, try_out!(response_out))
    })
}

/// `etcd_client_member_list` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_member_list_start(
    client: *const etcd_client,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        start(client, Request::MemberList, try_out!(call_out))
    })
}

/// Removes the member with id `member_id` (`remove_member(id)`); an unknown id gives an error
/// response ("etcdserver: member not found").
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_member_remove(
    client: *const etcd_client,
    member_id: u64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let req = Request::MemberRemove { id: member_id };
        execute(client, req, try_out!(response_out))
    })
}

/// `etcd_client_member_remove` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_member_remove_start(
    client: *const etcd_client,
    member_id: u64,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let req = Request::MemberRemove { id: member_id };
        start(client, req, try_out!(call_out))
    })
}

/// Number of members in the response (`Response::members()`).
#[no_mangle]
pub unsafe extern "C" fn etcd_response_member_count(response: *const etcd_response) -> usize {
    ffi_boundary(|| try_ref!(response).inner.members.len())
}

/// Member `index` of the response, borrowed from it; NULL when `index` is out of range.
#[no_mangle]
pub unsafe extern "C" fn etcd_response_member_at(
    response: *const etcd_response,
    index: usize,
) -> *const etcd_member {
    ffi_boundary(|| {
        try_ref!(response)
            .inner
            .members
            .get(index)
            .map_or(std::ptr::null(), etcd_member::borrow)
    })
}

/// The member's id.
#[no_mangle]
pub unsafe extern "C" fn etcd_member_id(member: *const etcd_member) -> u64 {
    ffi_boundary(|| try_ref!(member).id)
}

/// The member's name (empty for a member added but not started yet), borrowed from the
/// response.
#[no_mangle]
pub unsafe extern "C" fn etcd_member_name(member: *const etcd_member) -> etcd_bytes {
    ffi_boundary(|| etcd_bytes::of(try_ref!(member).name.as_bytes()))
}

/// True when the member is a learner (a non-voting member).
#[no_mangle]
pub unsafe extern "C" fn etcd_member_is_learner(member: *const etcd_member) -> bool {
    ffi_boundary(|| try_ref!(member).is_learner)
}

/// Number of peer URLs of the member.
#[no_mangle]
pub unsafe extern "C" fn etcd_member_peer_url_count(member: *const etcd_member) -> usize {
    ffi_boundary(|| try_ref!(member).peer_urls.len())
}

/// Peer URL `index` of the member, borrowed from the response; empty when out of range.
#[no_mangle]
pub unsafe extern "C" fn etcd_member_peer_url_at(
    member: *const etcd_member,
    index: usize,
) -> etcd_bytes {
    ffi_boundary(|| {
        try_ref!(member)
            .peer_urls
            .get(index)
            .map_or(etcd_bytes::EMPTY, |u| etcd_bytes::of(u.as_bytes()))
    })
}

/// Number of client URLs of the member.
#[no_mangle]
pub unsafe extern "C" fn etcd_member_client_url_count(member: *const etcd_member) -> usize {
    ffi_boundary(|| try_ref!(member).client_urls.len())
}

/// Client URL `index` of the member, borrowed from the response; empty when out of range.
#[no_mangle]
pub unsafe extern "C" fn etcd_member_client_url_at(
    member: *const etcd_member,
    index: usize,
) -> etcd_bytes {
    ffi_boundary(|| {
        try_ref!(member)
            .client_urls
            .get(index)
            .map_or(etcd_bytes::EMPTY, |u| etcd_bytes::of(u.as_bytes()))
    })
}

/// Extension: makes the client URLs of the cluster's started voting members the client's
/// endpoint list now (what `auto_sync_interval_ms` does periodically); the response lists the
/// members. On an error (in the response) the list stays as it was; a member list without
/// client URLs leaves it too, so it is never empty. See `etcd_client_endpoints`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `response_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_sync_endpoints(
    client: *const etcd_client,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        execute(client, Request::SyncEndpoints, try_out!(response_out))
    })
}

/// `etcd_client_sync_endpoints` without waiting (see `etcd_call_wait`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_sync_endpoints_start(
    client: *const etcd_client,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        start(client, Request::SyncEndpoints, try_out!(call_out))
    })
}

/// Extension: the client's current endpoints (`host:port`, as given or as the last endpoint
/// sync learned them), separated by `,`. Writes at most `buffer_len` bytes to `buffer`,
/// NUL-terminated when they fit with the NUL, and stores the full length without the NUL in
/// `*len_out`: call again with a larger buffer when `*len_out >= buffer_len`. `buffer` may be
/// NULL when `buffer_len` is 0.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `len_out` is NULL, or `buffer` is NULL
/// with `buffer_len` > 0.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_endpoints(
    client: *const etcd_client,
    buffer: *mut c_char,
    buffer_len: usize,
    len_out: *mut usize,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let len_out = try_out!(len_out);
        if buffer.is_null() && buffer_len > 0 {
            return etcd_status::NullArgument;
        }
        let text = client.endpoints().join(",");
        let bytes = text.as_bytes();
        *len_out = bytes.len();
        if buffer_len > 0 {
            let n = bytes.len().min(buffer_len);
            // SAFETY: the C contract: `buffer` holds `buffer_len` writable bytes.
            let out = unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), buffer_len) };
            out[..n].copy_from_slice(&bytes[..n]);
            if n < buffer_len {
                out[n] = 0;
            }
        }
        etcd_status::Ok
    })
}
