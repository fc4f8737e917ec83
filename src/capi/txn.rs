//! `etcd_txn`: transactions (`etcdv3::Transaction` and `txn()`), built with comparisons and
//! operations, then run with `etcd_client_txn`.
//!
//! A transaction checks all its comparisons at once; if every one holds, the operations of its
//! success branch run, else those of its failure branch, all in one atomic step. Branches hold
//! gets, puts, deletes and nested transactions. The response reads as etcd-cpp-apiv3's:
//! action "txn", the gets' keys (and the deletes' removed keys) as values, error 101 (compare
//! failed) when the failure branch ran, with its results still there.
//!
//! Ranges: every key function takes a `range_end` (NULL / 0 for the single key `key`); a
//! non-empty `range_end` covers `[key, range_end)`. For a prefix, pass the prefix with its last
//! byte incremented; `range_end` "\0" (one NUL byte) means every key from `key` on.

use std::ffi::c_char;
use std::sync::Mutex;

use super::boundary::{ffi_boundary, try_bytes, try_out, try_ref, Fallback};
use super::call::{etcd_call, start};
use super::client::{etcd_client, execute};
use super::handle::Handle;
use super::response::etcd_response;
use super::status::etcd_status;
use crate::core::{
    self, CompareResult, CompareTarget, KeyRange, Request, TxnCompare, TxnOperation,
};

/// A transaction being built. Not shared between threads while it is changed; running it
/// (`etcd_client_txn`) does not change it, so it may be run again.
pub struct etcd_txn {
    _private: [u8; 0],
}

impl Handle for etcd_txn {
    type Rust = Mutex<core::Transaction>;
}

/// What a comparison looks at (an `ETCD_COMPARE_*` number).
pub type etcd_compare_target = u32;
/// The key's version (number of modifications since its creation; 0: the key does not exist).
pub const ETCD_COMPARE_VERSION: etcd_compare_target = 0;
/// The revision at which the key was created (0: the key does not exist).
pub const ETCD_COMPARE_CREATE: etcd_compare_target = 1;
/// The revision of the key's last modification (0: the key does not exist).
pub const ETCD_COMPARE_MOD: etcd_compare_target = 2;
/// The key's value (only with `etcd_txn_compare_value`).
pub const ETCD_COMPARE_VALUE: etcd_compare_target = 3;
/// The lease attached to the key (0: none).
pub const ETCD_COMPARE_LEASE: etcd_compare_target = 4;

/// How a comparison compares (an `ETCD_COMPARE_RESULT_*` number): the key's target is
/// equal to, greater than, less than or not equal to the given value.
pub type etcd_compare_result = u32;
pub const ETCD_COMPARE_EQUAL: etcd_compare_result = 0;
pub const ETCD_COMPARE_GREATER: etcd_compare_result = 1;
pub const ETCD_COMPARE_LESS: etcd_compare_result = 2;
pub const ETCD_COMPARE_NOT_EQUAL: etcd_compare_result = 3;

/// Which branch an operation goes to (an `ETCD_TXN_*` number).
pub type etcd_txn_branch = u32;
/// Runs when every comparison holds (etcd's "then").
pub const ETCD_TXN_SUCCESS: etcd_txn_branch = 0;
/// Runs when a comparison does not hold (etcd's "else").
pub const ETCD_TXN_FAILURE: etcd_txn_branch = 1;

impl Fallback for Result<Request, etcd_status> {
    fn panicked() -> Self {
        Err(etcd_status::Panic)
    }
    fn null() -> Self {
        Err(etcd_status::NullArgument)
    }
    fn invalid() -> Self {
        Err(etcd_status::InvalidArgument)
    }
}

fn target(n: etcd_compare_target) -> Option<CompareTarget> {
    Some(match n {
        ETCD_COMPARE_VERSION => CompareTarget::Version,
        ETCD_COMPARE_CREATE => CompareTarget::Create,
        ETCD_COMPARE_MOD => CompareTarget::Mod,
        ETCD_COMPARE_VALUE => CompareTarget::Value,
        ETCD_COMPARE_LEASE => CompareTarget::Lease,
        _ => return None,
    })
}

fn result(n: etcd_compare_result) -> Option<CompareResult> {
    Some(match n {
        ETCD_COMPARE_EQUAL => CompareResult::Equal,
        ETCD_COMPARE_GREATER => CompareResult::Greater,
        ETCD_COMPARE_LESS => CompareResult::Less,
        ETCD_COMPARE_NOT_EQUAL => CompareResult::NotEqual,
        _ => return None,
    })
}

/// Adds `op` to `branch` of `txn`.
fn push(txn: &Mutex<core::Transaction>, branch: etcd_txn_branch, op: TxnOperation) -> etcd_status {
    let mut t = txn.lock().unwrap_or_else(|e| e.into_inner());
    match branch {
        ETCD_TXN_SUCCESS => t.success.push(op),
        ETCD_TXN_FAILURE => t.failure.push(op),
        _ => return etcd_status::InvalidArgument,
    }
    etcd_status::Ok
}

/// Creates an empty transaction (no comparison: its success branch runs). On success
/// `*txn_out` is a new transaction owned by the caller, to be released with `etcd_txn_free`.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `txn_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_new(txn_out: *mut *mut etcd_txn) -> etcd_status {
    ffi_boundary(|| {
        let out = try_out!(txn_out);
        *out = etcd_txn::into_raw(Mutex::new(core::Transaction::default()));
        etcd_status::Ok
    })
}

/// Frees a transaction. NULL is a no-op. Must not be called twice for the same transaction.
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_free(txn: *mut etcd_txn) {
    // SAFETY: the C contract: NULL or a transaction from etcd_txn_new, not freed before.
    ffi_boundary(|| unsafe { etcd_txn::free(txn) })
}

/// Adds a comparison of the value of `key` (or of every key in `[key, range_end)`) with
/// `value`: `result` is one of the `ETCD_COMPARE_EQUAL` ... `ETCD_COMPARE_NOT_EQUAL` numbers.
/// A missing key never compares equal.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `txn` is NULL or a NULL pointer comes with a non-zero
/// length, `ETCD_STATUS_INVALID_ARGUMENT` for an unknown `result`.
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_compare_value(
    txn: *mut etcd_txn,
    result_op: etcd_compare_result,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    value: *const c_char,
    value_len: usize,
) -> etcd_status {
    ffi_boundary(|| {
        let txn = try_ref!(txn);
        let key = try_bytes!(key, key_len);
        let range_end = try_bytes!(range_end, range_end_len);
        let value = try_bytes!(value, value_len);
        let Some(result) = result(result_op) else {
            return etcd_status::InvalidArgument;
        };
        txn.lock()
            .unwrap_or_else(|e| e.into_inner())
            .compares
            .push(TxnCompare {
                range: KeyRange::range(key, range_end),
                target: CompareTarget::Value,
                result,
                value,
                number: 0,
            });
        etcd_status::Ok
    })
}

/// Adds a comparison of a number of `key` (or of every key in `[key, range_end)`) with
/// `number`: `target` is `ETCD_COMPARE_VERSION`, `ETCD_COMPARE_CREATE`, `ETCD_COMPARE_MOD` or
/// `ETCD_COMPARE_LEASE`; `result` one of `ETCD_COMPARE_EQUAL` ... `ETCD_COMPARE_NOT_EQUAL`.
/// For example "the key does not exist" is `ETCD_COMPARE_VERSION`, `ETCD_COMPARE_EQUAL`, 0.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `txn` is NULL or a NULL pointer comes with a non-zero
/// length, `ETCD_STATUS_INVALID_ARGUMENT` for an unknown `target` or `result`, or for
/// `ETCD_COMPARE_VALUE` (use `etcd_txn_compare_value`).
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_compare_number(
    txn: *mut etcd_txn,
    target_kind: etcd_compare_target,
    result_op: etcd_compare_result,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    number: i64,
) -> etcd_status {
    ffi_boundary(|| {
        let txn = try_ref!(txn);
        let key = try_bytes!(key, key_len);
        let range_end = try_bytes!(range_end, range_end_len);
        let (Some(target), Some(result)) = (target(target_kind), result(result_op)) else {
            return etcd_status::InvalidArgument;
        };
        if target == CompareTarget::Value {
            return etcd_status::InvalidArgument;
        }
        txn.lock()
            .unwrap_or_else(|e| e.into_inner())
            .compares
            .push(TxnCompare {
                range: KeyRange::range(key, range_end),
                target,
                result,
                value: Vec::new(),
                number,
            });
        etcd_status::Ok
    })
}

/// Adds to `branch` (`ETCD_TXN_SUCCESS` or `ETCD_TXN_FAILURE`) a read of `key` (or of the keys
/// in `[key, range_end)`, at most `limit` of them, 0 for all). The keys read are the
/// response's values.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `txn` is NULL or a NULL pointer comes with a non-zero
/// length, `ETCD_STATUS_INVALID_ARGUMENT` for an unknown branch or a negative limit.
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_get(
    txn: *mut etcd_txn,
    branch: etcd_txn_branch,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    limit: i64,
) -> etcd_status {
    ffi_boundary(|| {
        let txn = try_ref!(txn);
        let key = try_bytes!(key, key_len);
        let range_end = try_bytes!(range_end, range_end_len);
        if limit < 0 {
            return etcd_status::InvalidArgument;
        }
        let range = KeyRange::range(key, range_end);
        push(txn, branch, TxnOperation::Range { range, limit })
    })
}

/// Adds to `branch` a put of `value` under `key`, attached to `lease` (0 for none); with
/// `prev_kv`, the value it replaces becomes a previous value of the response.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `txn` is NULL or a NULL pointer comes with a non-zero
/// length, `ETCD_STATUS_INVALID_ARGUMENT` for an unknown branch.
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_put(
    txn: *mut etcd_txn,
    branch: etcd_txn_branch,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
    lease: i64,
    prev_kv: bool,
) -> etcd_status {
    ffi_boundary(|| {
        let txn = try_ref!(txn);
        let key = try_bytes!(key, key_len);
        let value = try_bytes!(value, value_len);
        push(
            txn,
            branch,
            TxnOperation::Put {
                key,
                value,
                lease,
                prev_kv,
            },
        )
    })
}

/// Adds to `branch` a delete of `key` (or of the keys in `[key, range_end)`); with `prev_kv`,
/// the deleted keys become values (and previous values) of the response.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `txn` is NULL or a NULL pointer comes with a non-zero
/// length, `ETCD_STATUS_INVALID_ARGUMENT` for an unknown branch.
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_delete(
    txn: *mut etcd_txn,
    branch: etcd_txn_branch,
    key: *const c_char,
    key_len: usize,
    range_end: *const c_char,
    range_end_len: usize,
    prev_kv: bool,
) -> etcd_status {
    ffi_boundary(|| {
        let txn = try_ref!(txn);
        let key = try_bytes!(key, key_len);
        let range_end = try_bytes!(range_end, range_end_len);
        let range = KeyRange::range(key, range_end);
        push(txn, branch, TxnOperation::Delete { range, prev_kv })
    })
}

/// Adds to `branch` a copy of the transaction `nested`, as it is now (changing `nested` later
/// does not change `txn`). The results of nested transactions are not part of the response
/// (as in etcd-cpp-apiv3); their effects are.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `txn` or `nested` is NULL,
/// `ETCD_STATUS_INVALID_ARGUMENT` for an unknown branch or when `nested` is `txn` itself.
#[no_mangle]
pub unsafe extern "C" fn etcd_txn_nest(
    txn: *mut etcd_txn,
    branch: etcd_txn_branch,
    nested: *const etcd_txn,
) -> etcd_status {
    ffi_boundary(|| {
        if std::ptr::eq(txn.cast_const(), nested) && !txn.is_null() {
            return etcd_status::InvalidArgument;
        }
        let txn = try_ref!(txn);
        let nested = try_ref!(nested);
        let copy = nested.lock().unwrap_or_else(|e| e.into_inner()).clone();
        push(txn, branch, TxnOperation::Txn(Box::new(copy)))
    })
}

/// The request that runs `txn`.
fn txn_request(txn: &Mutex<core::Transaction>) -> Request {
    Request::Txn(txn.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

/// Runs `txn` (`txn()`): action "txn"; the success branch's results when every comparison
/// held, else the failure branch's results with error 101 (compare failed). The transaction is
/// not changed and may be run again.
///
/// Returns `ETCD_STATUS_NULL_ARGUMENT` if `client`, `txn` or `response_out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_txn(
    client: *const etcd_client,
    txn: *const etcd_txn,
    response_out: *mut *mut etcd_response,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let txn = try_ref!(txn);
        execute(client, txn_request(txn), try_out!(response_out))
    })
}

/// `etcd_client_txn` without waiting: `*call_out` is a new pending call whose response is the
/// one `etcd_client_txn` would give. The transaction may be freed once this returns.
#[no_mangle]
pub unsafe extern "C" fn etcd_client_txn_start(
    client: *const etcd_client,
    txn: *const etcd_txn,
    call_out: *mut *mut etcd_call,
) -> etcd_status {
    ffi_boundary(|| {
        let client = try_ref!(client);
        let txn = try_ref!(txn);
        start(client, txn_request(txn), try_out!(call_out))
    })
}
