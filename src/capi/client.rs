//! `etcd_client`: a connection to an etcd cluster and the blocking operations on it.
//!
//! Every operation returns an `etcd_status` and, on `ETCD_STATUS_OK`, a new `etcd_response`
//! in `*response_out`, owned by the caller (free it with `etcd_response_free`). Errors of the
//! server or the network are reported inside that response, with etcd-cpp-apiv3's codes and
//! messages. A client may be used from several threads at once.

use std::ffi::c_char;

use super::boundary::{ffi_boundary, str_arg, try_bytes, try_out};
use super::handle::{try_ref, Handle};
use super::response::{etcd_response, Response};
use super::status::etcd_status;
use crate::core::client::TlsFiles;
use crate::core::{self, Compare, KeyRange, Request};

/// A connection to an etcd cluster (`etcd::Client`). Thread-safe.
pub struct etcd_client {
    _private: [u8; 0],
}

impl Handle for etcd_client {
    type Rust = core::Client;
}

/// Connection settings for `etcd_client_connect`. Zero-initialise it (`= {0}` in C, `{}` in
/// C++) and set what you need; NULL strings and 0 numbers mean the defaults. The fields are
/// those of etcd-cpp-apiv3's constructors and `etcd::ClientOptions`.
#[repr(C)]
pub struct etcd_client_options {
    /// User name; with `password`, the client logs in and renews its token as needed.
    pub user: *const c_char,
    /// Password of `user`.
    pub password: *const c_char,
    /// Lifetime of auth tokens on the server (etcd's `--auth-token-ttl`) in seconds; 0 for the
    /// default (300).
    pub auth_token_ttl: i64,
    /// Use TLS even without any of the files below (TLS is also on when `ca_file`, `cert_file`
    /// or `key_file` is set).
    pub use_tls: bool,
    /// TLS: path of the CA certificate (PEM) that signs the server certificate.
    pub ca_file: *const c_char,
    /// TLS: path of the client certificate (PEM), for client-certificate authentication.
    pub cert_file: *const c_char,
    /// TLS: path of the client certificate's private key (PEM).
    pub key_file: *const c_char,
    /// TLS: server name to verify instead of the endpoint's host.
    pub target_name_override: *const c_char,
    /// "round_robin" (the default) or "pick_first", as etcd-cpp-apiv3's `load_balancer`.
    pub load_balancer: *const c_char,
    /// Deadline of each request in milliseconds; 0 waits as long as it takes.
    pub request_timeout_ms: i64,
    /// TCP connect timeout per endpoint in milliseconds; 0 for the default (3 s).
    pub connect_timeout_ms: i64,
    /// Interval of the HTTP/2 keep-alive pings in milliseconds; 0 for the default (6 s). etcd
    /// refuses pings more frequent than every 5 s.
    pub keepalive_time_ms: i64,
    /// How long a keep-alive ping waits for its answer in milliseconds; 0 for the default (4 s).
    /// A frozen server is found after about `keepalive_time_ms + keepalive_timeout_ms`.
    pub keepalive_timeout_ms: i64,
    /// Largest response accepted, in bytes; 0 for the default (2^31 - 1).
    pub max_receive_message_size: i64,
    /// Largest request sent, in bytes; 0 for the default (2^31 - 1).
    pub max_send_message_size: i64,
    /// Endpoint auto-sync (opt-in, like etcd's Go client `AutoSyncInterval`): every this many
    /// milliseconds, and once right after `etcd_client_connect`, the endpoint list is replaced
    /// by the client URLs of the cluster's started voting members; a failed refresh keeps it.
    /// 0 (the default): never, the endpoints stay as given. See `etcd_client_sync_endpoints`.
    pub auto_sync_interval_ms: i64,
}

/// Reads a text option: NULL is empty; `Err` if it is not UTF-8.
///
/// # Safety
/// `s` must be NULL or NUL-terminated.
unsafe fn text_option(s: *const c_char) -> Result<String, etcd_status> {
    // SAFETY: per the contract above.
    match unsafe { str_arg(s) } {
        None => Ok(String::new()),
        Some(Ok(text)) => Ok(text.to_owned()),
        Some(Err(_)) => Err(etcd_status::InvalidArgument),
    }
}

/// Reads `options` (NULL: defaults) into core options. `Err` carries the status to return.
///
/// # Safety
/// A non-NULL `options` must point to a valid `etcd_client_options` whose strings are NULL or
/// NUL-terminated.
unsafe fn client_options(
    options: *const etcd_client_options,
) -> Result<core::ClientOptions, etcd_status> {
    // SAFETY: per the contract above.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(core::ClientOptions::default());
    };
    // SAFETY: per the contract above, for each string field.
    let text = |s: *const c_char| unsafe { text_option(s) };
    let tls = TlsFiles {
        ca: text(o.ca_file)?,
        cert: text(o.cert_file)?,
        key: text(o.key_file)?,
        target_name_override: text(o.target_name_override)?,
    };
    let use_tls = o.use_tls || !(tls.ca.is_empty() && tls.cert.is_empty() && tls.key.is_empty());
    Ok(core::ClientOptions::from_args(core::OptionArgs {
        user: text(o.user)?,
        password: text(o.password)?,
        auth_token_ttl: o.auth_token_ttl,
        tls: use_tls.then_some(tls),
        load_balancer: text(o.load_balancer)?,
        request_timeout_ms: o.request_timeout_ms,
        connect_timeout_ms: o.connect_timeout_ms,
        keepalive_time_ms: o.keepalive_time_ms,
        keepalive_timeout_ms: o.keepalive_timeout_ms,
        max_receive_message_size: o.max_receive_message_size,
        max_send_message_size: o.max_send_message_size,
        auto_sync_interval_ms: o.auto_sync_interval_ms,
    }))
}

/// Creates a client for `endpoints`: one or more `http://host:port` (or `host:port`) separated
/// by `,` or `;`, NUL-terminated. Connects lazily: an unreachable cluster, refused credentials
/// or unreadable TLS files show up as errors in the responses (14 unavailable, 3 invalid
/// argument with the reason...), not here. `options` may be NULL for the defaults.
///
/// On success `*client_out` is a new client owned by the caller, to be released with
/// `etcd_client_free`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `endpoints` or `client_out` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` if `endpoints` holds no usable endpoint or a string is not
/// UTF-8.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_connect(
    endpoints: *const c_char,
    options: *const etcd_client_options,
    client_out: *mut *mut etcd_client,
) -> etcd_status {
    ffi_boundary(|| {
        // SAFETY: the C contract: a NUL-terminated string.
        let Some(endpoints) = (unsafe { str_arg(endpoints) }) else {
            return etcd_status::NullArgument;
        };
        let out = try_out!(client_out);
        let Ok(endpoints) = endpoints else {
            return etcd_status::InvalidArgument;
        };
        // SAFETY: the C contract for `options`.
        let options = match unsafe { client_options(options) } {
            Ok(o) => o,
            Err(status) => return status,
        };
        if core::endpoints::parse(endpoints).0.is_empty() {
            return etcd_status::InvalidArgument;
        }
        crate::host::prepare();
        *out = etcd_client::into_raw(core::Client::new(endpoints, options));
        etcd_status::Ok
    })
}

/// Frees a client. NULL is a no-op. Must not be called twice for the same client, nor while
/// another thread uses it. Watchers and keep-alives made from it share its connection: they
/// keep working after this, until they are freed themselves.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_free(client: *mut etcd_client) {
    // SAFETY: the C contract: NULL or a client from etcd_client_connect, not freed before.
    ffi_boundary(|| unsafe { etcd_client::free(client) })
}

/// Makes a client whose keys live under `prefix` (`prefix_len` bytes), sharing the connection
/// and settings of `client` (an extension, as Go's `clientv3/namespace`): every key and range
/// given to it gets the prefix (those of transactions, lock and election names too), and every
/// key in its responses, watch events and leader announcements comes back without it.
/// Watchers, observers, registries and discoveries made from it work inside the namespace.
/// Leases, cluster membership and maintenance are the connection's and unchanged; an empty key
/// is refused with error 3 (invalid argument). Made from a client already inside a namespace,
/// `prefix` is added to that client's.
///
/// On success `*client_out` is a new client owned by the caller, to be released with
/// `etcd_client_free`; `client` may be freed first.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client` or `client_out` is NULL, or `prefix` is NULL
/// with a length above 0.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_namespace(
    client: *const etcd_client,
    prefix: *const c_char,
    prefix_len: usize,
    client_out: *mut *mut etcd_client,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let prefix = try_bytes!(prefix, prefix_len);
        let out = try_out!(client_out);
        *out = etcd_client::into_raw(client.with_namespace(&prefix));
        etcd_status::Ok
    })
}

/// Runs `request` on `client` and stores the new response in `out`.
pub(crate) fn execute(
    client: &core::Client,
    request: Request,
    out: &mut *mut etcd_response,
) -> etcd_status {
    *out = etcd_response::into_raw(Response::new(client.execute_blocking(request)));
    etcd_status::Ok
}

/// Cluster information (`head()`): the current revision as the index, and the cluster id,
/// member id and raft term.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_head(
    client: *const etcd_client,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        execute(client, Request::Head, try_out!(response_out))
    })
}

/// Reads `key` (`get(key[, revision])`) at `revision`, or the latest when `revision` <= 0.
/// The response's value holds it; a missing key gives error 100 (key not found).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_get(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    revision: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        execute(
            client,
            Request::Get { key, revision },
            try_out!(response_out),
        )
    })
}

/// Stores `value` under `key` (`put` / `set`), attached to `lease` (0 for none). The
/// response's previous value is what was overwritten.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_put(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    lease: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        execute(
            client,
            Request::Put { key, value, lease },
            try_out!(response_out),
        )
    })
}

/// Creates `key` only if it does not exist (`add`); otherwise error 105 (key already exists)
/// with the existing value.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_add(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    lease: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        execute(
            client,
            Request::Add { key, value, lease },
            try_out!(response_out),
        )
    })
}

/// Updates `key` only if it exists (`modify`); otherwise error 100 (key not found).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_modify(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    lease: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        execute(
            client,
            Request::Modify { key, value, lease },
            try_out!(response_out),
        )
    })
}

/// Compare-and-swap (`modify_if(key, value, old_value)`): updates `key` only if its current
/// value is `old_value`; otherwise error 101 (compare failed) with the current value.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_modify_if_value(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    old_value: *const c_char,
    old_value_len: usize,
    lease: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        let compare = Compare::Value(try_bytes!(old_value, old_value_len));
        execute(
            client,
            Request::ModifyIf {
                key,
                value,
                compare,
                lease,
            },
            try_out!(response_out),
        )
    })
}

/// Compare-and-swap (`modify_if(key, value, old_index)`): updates `key` only if its modified
/// index (mod revision) is `old_index`; otherwise error 101 (compare failed).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_modify_if_index(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    old_index: i64,
    lease: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let (key, value) = (try_bytes!(key, key_len), try_bytes!(value, value_len));
        let compare = Compare::ModRevision(old_index);
        execute(
            client,
            Request::ModifyIf {
                key,
                value,
                compare,
                lease,
            },
            try_out!(response_out),
        )
    })
}

/// Deletes `key` (`rm`); the response's previous value is what was removed. A missing key
/// gives error 100.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rm(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        execute(client, Request::Rm { key }, try_out!(response_out))
    })
}

/// Compare-and-delete (`rm_if(key, old_value)`): deletes `key` only if its value is
/// `old_value`; otherwise error 101.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rm_if_value(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    old_value: *const c_char,
    old_value_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        let compare = Compare::Value(try_bytes!(old_value, old_value_len));
        execute(
            client,
            Request::RmIf { key, compare },
            try_out!(response_out),
        )
    })
}

/// Compare-and-delete (`rm_if(key, old_index)`): deletes `key` only if its modified index is
/// `old_index`; otherwise error 101.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rm_if_index(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    old_index: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        execute(
            client,
            Request::RmIf {
                key,
                compare: Compare::ModRevision(old_index),
            },
            try_out!(response_out),
        )
    })
}

/// Deletes `key` alone (`recursive` false) or every key starting with `key` (`recursive` true),
/// as `rmdir(key, recursive)`. The response's values are the removed keys; none gives error 100.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rmdir(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    recursive: bool,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let key = try_bytes!(key, key_len);
        let range = KeyRange::from_args(key, None, recursive);
        execute(client, Request::Rmdir { range }, try_out!(response_out))
    })
}

/// Deletes the keys in `[key, range_end)` (`rmdir(key, range_end)`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_rmdir_range(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::range(
            try_bytes!(key, key_len),
            try_bytes!(range_end, range_end_len),
        );
        execute(client, Request::Rmdir { range }, try_out!(response_out))
    })
}

/// Lists the keys that start with `prefix` (`ls(prefix, limit, revision)`), in key order, with
/// their values. `limit` 0 means no limit; `revision` <= 0 reads the latest. An empty listing
/// is a success with no values.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_ls(
    client: *const etcd_client,
    prefix: *const c_char,
    prefix_len: usize,
    limit: i64,
    revision: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::prefix(try_bytes!(prefix, prefix_len));
        execute(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: false,
            },
            try_out!(response_out),
        )
    })
}

/// Lists the keys in `[key, range_end)` with their values (`ls(key, range_end, limit, revision)`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_ls_range(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    limit: i64,
    revision: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::range(
            try_bytes!(key, key_len),
            try_bytes!(range_end, range_end_len),
        );
        execute(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: false,
            },
            try_out!(response_out),
        )
    })
}

/// As `etcd_client_ls`, but reads keys only (`keys(prefix, limit, revision)`): values are empty.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_keys(
    client: *const etcd_client,
    prefix: *const c_char,
    prefix_len: usize,
    limit: i64,
    revision: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::prefix(try_bytes!(prefix, prefix_len));
        execute(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: true,
            },
            try_out!(response_out),
        )
    })
}

/// As `etcd_client_ls_range`, but reads keys only (`keys(key, range_end, limit, revision)`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_keys_range(
    client: *const etcd_client,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    limit: i64,
    revision: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let range = KeyRange::range(
            try_bytes!(key, key_len),
            try_bytes!(range_end, range_end_len),
        );
        execute(
            client,
            Request::Range {
                range,
                limit,
                revision,
                keys_only: true,
            },
            try_out!(response_out),
        )
    })
}

/// Grants a lease of `ttl` seconds (`leasegrant`). The response's value has the lease id
/// (`etcd_value_lease`) and the granted TTL (`etcd_value_ttl`).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_grant(
    client: *const etcd_client,
    ttl: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        execute(client, Request::LeaseGrant { ttl }, try_out!(response_out))
    })
}

/// Revokes lease `lease_id` (`leaserevoke`); the keys attached to it are deleted.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_revoke(
    client: *const etcd_client,
    lease_id: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        execute(
            client,
            Request::LeaseRevoke { id: lease_id },
            try_out!(response_out),
        )
    })
}

/// The remaining TTL of lease `lease_id` (`leasetimetolive`), in the response value's ttl
/// (-1 when the lease has expired or does not exist).
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_time_to_live(
    client: *const etcd_client,
    lease_id: i64,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        execute(
            client,
            Request::LeaseTimeToLive { id: lease_id },
            try_out!(response_out),
        )
    })
}

/// The ids of all leases (`leases()`): `etcd_response_lease_count` / `etcd_response_lease_at`.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_lease_list(
    client: *const etcd_client,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        execute(client, Request::LeaseLeases, try_out!(response_out))
    })
}
