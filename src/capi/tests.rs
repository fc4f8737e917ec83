//! The C contract, checked by calling the `extern "C"` functions from Rust: NULL arguments,
//! `_free(NULL)`, outputs left alone on error, panics turned into statuses, fixed numbers, and
//! the committed header matching this module.

use std::ffi::{c_char, c_void, CStr};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::boundary::{ffi_boundary, try_out};
use super::handle::Handle;
use super::*;
use crate::core::response::code;

/// A pointer value the library must not write over.
fn sentinel<T>() -> *mut T {
    std::ptr::dangling_mut::<T>()
}

/// A client of an endpoint nothing listens on (clients connect lazily, so this needs no server).
fn offline_client() -> *mut etcd_client {
    let mut client = null_mut();
    let status =
        unsafe { etcd_client_connect(c"http://127.0.0.1:1".as_ptr(), null(), &mut client) };
    assert_eq!(status, etcd_status::Ok);
    assert!(!client.is_null());
    client
}

const KEY: *const c_char = c"k".as_ptr();

#[test]
fn status_numbers_and_texts_are_fixed() {
    let expected = [
        (etcd_status::Ok, 0, "success"),
        (etcd_status::NullArgument, 1, "a required argument was NULL"),
        (etcd_status::InvalidArgument, 2, "invalid argument"),
        (
            etcd_status::Panic,
            3,
            "internal error in the etcd client library",
        ),
        (
            etcd_status::LeaseExpired,
            4,
            "the lease has expired or was revoked",
        ),
        (
            etcd_status::KeepaliveFailed,
            5,
            "refreshing the lease failed",
        ),
        (etcd_status::Pending, 6, "the call has not finished yet"),
    ];
    for (status, number, text) in expected {
        assert_eq!(status as u32, number);
        assert_eq!(
            unsafe { CStr::from_ptr(etcd_status_str(number)) }.to_str(),
            Ok(text)
        );
    }
    assert_eq!(
        unsafe { CStr::from_ptr(etcd_status_str(7)) }.to_str(),
        Ok("unknown status")
    );
    assert_eq!(
        unsafe { CStr::from_ptr(etcd_version()) }.to_str(),
        Ok(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        (
            etcd_event_type::Put as u32,
            etcd_event_type::Delete as u32,
            etcd_event_type::Invalid as u32
        ),
        (0, 1, 2)
    );
}

#[test]
fn error_codes_match_the_core() {
    let pairs = [
        (ETCD_ERROR_GRPC_CANCELLED, code::CANCELLED),
        (ETCD_ERROR_GRPC_UNKNOWN, code::UNKNOWN),
        (ETCD_ERROR_GRPC_INVALID_ARGUMENT, code::INVALID_ARGUMENT),
        (ETCD_ERROR_GRPC_DEADLINE_EXCEEDED, code::DEADLINE_EXCEEDED),
        (ETCD_ERROR_GRPC_NOT_FOUND, code::NOT_FOUND),
        (ETCD_ERROR_GRPC_OUT_OF_RANGE, code::OUT_OF_RANGE),
        (ETCD_ERROR_GRPC_INTERNAL, code::INTERNAL),
        (ETCD_ERROR_GRPC_UNAVAILABLE, code::UNAVAILABLE),
        (ETCD_ERROR_KEY_NOT_FOUND, code::KEY_NOT_FOUND),
        (ETCD_ERROR_COMPARE_FAILED, code::COMPARE_FAILED),
        (ETCD_ERROR_KEY_ALREADY_EXISTS, code::KEY_ALREADY_EXISTS),
        (ETCD_ERROR_ACTION_CANCELLED, code::ACTION_CANCELLED),
    ];
    for (c, core) in pairs {
        assert_eq!(c, core);
    }
}

#[test]
fn free_null_is_a_no_op() {
    unsafe {
        etcd_client_free(null_mut());
        etcd_response_free(null_mut());
        etcd_watcher_free(null_mut());
        etcd_keepalive_free(null_mut());
    }
}

#[test]
fn connect_checks_its_arguments() {
    let mut out = sentinel::<etcd_client>();
    unsafe {
        assert_eq!(
            etcd_client_connect(null(), null(), &mut out),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_client_connect(c"127.0.0.1:2379".as_ptr(), null(), null_mut()),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_client_connect(c"no endpoint here".as_ptr(), null(), &mut out),
            etcd_status::InvalidArgument
        );
        assert_eq!(
            etcd_client_connect(c"".as_ptr(), null(), &mut out),
            etcd_status::InvalidArgument
        );
        assert_eq!(
            etcd_client_connect(c"h:1\xff".as_ptr(), null(), &mut out),
            etcd_status::InvalidArgument
        );
        let not_utf8 = etcd_client_options {
            user: c"\xff".as_ptr(),
            password: c"pw".as_ptr(),
            ..zeroed_options()
        };
        assert_eq!(
            etcd_client_connect(c"127.0.0.1:2379".as_ptr(), &not_utf8, &mut out),
            etcd_status::InvalidArgument
        );
        assert_eq!(out, sentinel(), "no output on error");

        // Every option is taken; empty strings mean "not set".
        let options = etcd_client_options {
            user: c"root".as_ptr(),
            password: c"".as_ptr(),
            auth_token_ttl: 60,
            load_balancer: c"pick_first".as_ptr(),
            request_timeout_ms: 500,
            connect_timeout_ms: 200,
            keepalive_time_ms: 7000,
            keepalive_timeout_ms: 3000,
            max_receive_message_size: 1 << 20,
            max_send_message_size: 1 << 20,
            auto_sync_interval_ms: 60_000,
            ..zeroed_options()
        };
        assert_eq!(
            etcd_client_connect(c"127.0.0.1:1;127.0.0.1:2".as_ptr(), &options, &mut out),
            etcd_status::Ok
        );
        assert_ne!(out, sentinel());
        etcd_client_free(out);
    }
}

/// TLS options reach the core: an unreadable CA file is reported by every call, with its path
/// (no server needed: the file is read when the client is created).
#[test]
fn tls_options_reach_the_core() {
    let mut client = null_mut();
    let options = etcd_client_options {
        ca_file: c"/nonexistent/etcd-ca.pem".as_ptr(),
        ..zeroed_options()
    };
    unsafe {
        assert_eq!(
            etcd_client_connect(c"127.0.0.1:1".as_ptr(), &options, &mut client),
            etcd_status::Ok
        );
        let mut resp = null_mut();
        assert_eq!(etcd_client_head(client, &mut resp), etcd_status::Ok);
        assert_eq!(
            etcd_response_error_code(resp),
            ETCD_ERROR_GRPC_INVALID_ARGUMENT
        );
        let message = CStr::from_ptr(etcd_response_error_message(resp))
            .to_string_lossy()
            .into_owned();
        assert!(message.contains("/nonexistent/etcd-ca.pem"), "{message}");
        etcd_response_free(resp);
        etcd_client_free(client);
    }
}

fn zeroed_options() -> etcd_client_options {
    etcd_client_options {
        user: null(),
        password: null(),
        auth_token_ttl: 0,
        use_tls: false,
        ca_file: null(),
        cert_file: null(),
        key_file: null(),
        target_name_override: null(),
        load_balancer: null(),
        request_timeout_ms: 0,
        connect_timeout_ms: 0,
        keepalive_time_ms: 0,
        keepalive_timeout_ms: 0,
        max_receive_message_size: 0,
        max_send_message_size: 0,
        auto_sync_interval_ms: 0,
    }
}

/// Every operation: NULL client, NULL output, NULL key with a length: NULL_ARGUMENT, output
/// untouched.
#[test]
fn operations_check_their_arguments() {
    let client = offline_client();
    type Op = Box<
        dyn Fn(*const etcd_client, *const c_char, usize, *mut *mut etcd_response) -> etcd_status,
    >;
    let ops: Vec<(&str, Op)> = vec![
        (
            "get",
            Box::new(|c, k, n, o| unsafe { etcd_client_get(c, k, n, 0, o) }),
        ),
        (
            "put",
            Box::new(|c, k, n, o| unsafe { etcd_client_put(c, k, n, KEY, 1, 0, o) }),
        ),
        (
            "put value",
            Box::new(|c, k, n, o| unsafe { etcd_client_put(c, KEY, 1, k, n, 0, o) }),
        ),
        (
            "add",
            Box::new(|c, k, n, o| unsafe { etcd_client_add(c, k, n, KEY, 1, 0, o) }),
        ),
        (
            "modify",
            Box::new(|c, k, n, o| unsafe { etcd_client_modify(c, k, n, KEY, 1, 0, o) }),
        ),
        (
            "modify_if_value",
            Box::new(|c, k, n, o| unsafe {
                etcd_client_modify_if_value(c, k, n, KEY, 1, KEY, 1, 0, o)
            }),
        ),
        (
            "modify_if_value old",
            Box::new(|c, k, n, o| unsafe {
                etcd_client_modify_if_value(c, KEY, 1, KEY, 1, k, n, 0, o)
            }),
        ),
        (
            "modify_if_index",
            Box::new(|c, k, n, o| unsafe { etcd_client_modify_if_index(c, k, n, KEY, 1, 1, 0, o) }),
        ),
        (
            "rm",
            Box::new(|c, k, n, o| unsafe { etcd_client_rm(c, k, n, o) }),
        ),
        (
            "rm_if_value",
            Box::new(|c, k, n, o| unsafe { etcd_client_rm_if_value(c, k, n, KEY, 1, o) }),
        ),
        (
            "rm_if_index",
            Box::new(|c, k, n, o| unsafe { etcd_client_rm_if_index(c, k, n, 1, o) }),
        ),
        (
            "rmdir",
            Box::new(|c, k, n, o| unsafe { etcd_client_rmdir(c, k, n, true, o) }),
        ),
        (
            "rmdir_range",
            Box::new(|c, k, n, o| unsafe { etcd_client_rmdir_range(c, KEY, 1, k, n, o) }),
        ),
        (
            "ls",
            Box::new(|c, k, n, o| unsafe { etcd_client_ls(c, k, n, 0, 0, o) }),
        ),
        (
            "ls_range",
            Box::new(|c, k, n, o| unsafe { etcd_client_ls_range(c, k, n, KEY, 1, 0, 0, o) }),
        ),
        (
            "keys",
            Box::new(|c, k, n, o| unsafe { etcd_client_keys(c, k, n, 0, 0, o) }),
        ),
        (
            "keys_range",
            Box::new(|c, k, n, o| unsafe { etcd_client_keys_range(c, KEY, 1, k, n, 0, 0, o) }),
        ),
    ];
    let mut out = sentinel::<etcd_response>();
    for (name, op) in &ops {
        assert_eq!(
            op(null(), KEY, 1, &mut out),
            etcd_status::NullArgument,
            "{name}: NULL client"
        );
        assert_eq!(
            op(client, KEY, 1, null_mut()),
            etcd_status::NullArgument,
            "{name}: NULL output"
        );
        assert_eq!(
            op(client, null(), 3, &mut out),
            etcd_status::NullArgument,
            "{name}: NULL bytes with a length"
        );
        assert_eq!(out, sentinel(), "{name}: output written on error");
    }
    type LeaseOp = Box<dyn Fn(*const etcd_client, *mut *mut etcd_response) -> etcd_status>;
    let lease_ops: Vec<(&str, LeaseOp)> = vec![
        ("head", Box::new(|c, o| unsafe { etcd_client_head(c, o) })),
        (
            "lease_grant",
            Box::new(|c, o| unsafe { etcd_client_lease_grant(c, 5, o) }),
        ),
        (
            "lease_revoke",
            Box::new(|c, o| unsafe { etcd_client_lease_revoke(c, 1, o) }),
        ),
        (
            "lease_time_to_live",
            Box::new(|c, o| unsafe { etcd_client_lease_time_to_live(c, 1, o) }),
        ),
        (
            "lease_list",
            Box::new(|c, o| unsafe { etcd_client_lease_list(c, o) }),
        ),
    ];
    for (name, op) in &lease_ops {
        assert_eq!(
            op(null(), &mut out),
            etcd_status::NullArgument,
            "{name}: NULL client"
        );
        assert_eq!(
            op(client, null_mut()),
            etcd_status::NullArgument,
            "{name}: NULL output"
        );
        assert_eq!(out, sentinel(), "{name}: output written on error");
    }
    unsafe { etcd_client_free(client) };
}

/// NULL with length 0 is the empty key, and an unreachable cluster is an error inside a
/// response, not a status.
#[test]
fn unreachable_cluster_is_a_response_error() {
    let client = offline_client();
    let mut resp = null_mut();
    unsafe {
        assert_eq!(
            etcd_client_get(client, null(), 0, 0, &mut resp),
            etcd_status::Ok
        );
        assert!(!etcd_response_is_ok(resp));
        assert_eq!(etcd_response_error_code(resp), ETCD_ERROR_GRPC_UNAVAILABLE);
        let message = CStr::from_ptr(etcd_response_error_message(resp))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!message.is_empty());
        let mut copy = null_mut();
        assert_eq!(etcd_response_clone(resp, &mut copy), etcd_status::Ok);
        etcd_response_free(resp);
        assert_eq!(
            CStr::from_ptr(etcd_response_error_message(copy)).to_str(),
            Ok(message.as_str())
        );
        assert_eq!(
            etcd_response_clone(copy, null_mut()),
            etcd_status::NullArgument
        );
        etcd_response_free(copy);
        etcd_client_free(client);
    }
}

#[test]
fn accessors_of_null_give_defaults() {
    unsafe {
        assert!(!etcd_response_is_ok(null()));
        assert_eq!(etcd_response_error_code(null()), 0);
        assert!(etcd_response_error_message(null()).is_null());
        assert!(etcd_response_action(null()).is_null());
        assert_eq!(etcd_response_index(null()), 0);
        assert!(etcd_response_value(null()).is_null());
        assert!(etcd_response_prev_value(null()).is_null());
        assert_eq!(etcd_response_value_count(null()), 0);
        assert!(etcd_response_value_at(null(), 0).is_null());
        assert_eq!(etcd_response_key_at(null(), 0).len, 0);
        assert_eq!(etcd_response_event_count(null()), 0);
        assert!(etcd_response_event_at(null(), 0).is_null());
        assert_eq!(etcd_response_lease_count(null()), 0);
        assert_eq!(etcd_response_lease_at(null(), 0), 0);
        assert_eq!(etcd_value_key(null()).len, 0);
        assert!(
            !etcd_value_key(null()).data.is_null(),
            "empty bytes still point somewhere"
        );
        assert_eq!(etcd_value_value(null()).len, 0);
        assert_eq!(etcd_value_created_index(null()), 0);
        assert_eq!(etcd_value_modified_index(null()), 0);
        assert_eq!(etcd_value_version(null()), 0);
        assert_eq!(etcd_value_lease(null()), 0);
        assert_eq!(etcd_value_ttl(null()), 0);
        assert_eq!(etcd_event_get_type(null()), etcd_event_type::Invalid);
        assert!(etcd_event_kv(null()).is_null());
        assert!(etcd_event_prev_kv(null()).is_null());
        assert_eq!(etcd_keepalive_lease(null()), 0);
        assert!(etcd_keepalive_error_message(null()).is_null());
        assert_eq!(etcd_keepalive_check(null()), etcd_status::NullArgument);
        assert_eq!(etcd_keepalive_cancel(null()), etcd_status::NullArgument);
        assert_eq!(etcd_watcher_cancel(null()), etcd_status::NullArgument);
        assert!(!etcd_watcher_ended(null()));
        let mut cancelled = true;
        assert_eq!(
            etcd_watcher_wait(null(), &mut cancelled),
            etcd_status::NullArgument
        );
        assert!(cancelled, "output untouched");
    }
}

/// A response's values and events, read through the accessors.
#[test]
fn response_accessors_read_the_core_response() {
    use crate::core::{Event, EventType, Kv};
    let kv = |k: &str, v: &str| Kv {
        key: k.into(),
        value: v.into(),
        create_revision: 2,
        mod_revision: 3,
        version: 4,
        lease: 5,
        ttl: -1,
    };
    let core = crate::core::Response {
        action: "set".into(),
        index: 42,
        value: kv("a\0b", "v\0"),
        values: vec![kv("x", "1"), kv("y", "2")],
        events: vec![Event {
            event_type: EventType::Delete,
            kv: Some(kv("d", "")),
            prev_kv: None,
        }],
        leases: vec![7, 8],
        ..crate::core::Response::error(code::KEY_NOT_FOUND, "etcd-cpp-apiv3: key not found")
    };
    let resp = etcd_response::into_raw(response::Response::new(core));
    let bytes =
        |b: etcd_bytes| unsafe { std::slice::from_raw_parts(b.data.cast::<u8>(), b.len) }.to_vec();
    unsafe {
        assert_eq!(etcd_response_error_code(resp), 100);
        assert_eq!(
            CStr::from_ptr(etcd_response_action(resp)).to_str(),
            Ok("set")
        );
        assert_eq!(etcd_response_index(resp), 42);
        let v = etcd_response_value(resp);
        assert_eq!(
            (bytes(etcd_value_key(v)), bytes(etcd_value_value(v))),
            (b"a\0b".to_vec(), b"v\0".to_vec())
        );
        assert_eq!(
            (
                etcd_value_created_index(v),
                etcd_value_modified_index(v),
                etcd_value_version(v),
                etcd_value_lease(v),
                etcd_value_ttl(v)
            ),
            (2, 3, 4, 5, -1)
        );
        assert_eq!(etcd_value_key(etcd_response_prev_value(resp)).len, 0);
        assert_eq!(etcd_response_value_count(resp), 2);
        assert_eq!(
            bytes(etcd_value_value(etcd_response_value_at(resp, 1))),
            b"2"
        );
        assert!(etcd_response_value_at(resp, 2).is_null());
        assert_eq!(bytes(etcd_response_key_at(resp, 0)), b"x");
        assert_eq!(etcd_response_key_at(resp, 9).len, 0);
        assert_eq!(etcd_response_event_count(resp), 1);
        let e = etcd_response_event_at(resp, 0);
        assert_eq!(etcd_event_get_type(e), etcd_event_type::Delete);
        assert_eq!(bytes(etcd_value_key(etcd_event_kv(e))), b"d");
        assert!(etcd_event_prev_kv(e).is_null());
        assert!(etcd_response_event_at(resp, 1).is_null());
        assert_eq!(
            (
                etcd_response_lease_count(resp),
                etcd_response_lease_at(resp, 1),
                etcd_response_lease_at(resp, 2)
            ),
            (2, 8, 0)
        );
        assert_eq!(
            (
                etcd_response_compact_revision(resp),
                etcd_response_watch_id(resp)
            ),
            (-1, -1)
        );
        etcd_response_free(resp);
    }
}

/// The views read in one call hold what the separate accessors give.
#[test]
fn views_agree_with_the_accessors() {
    use crate::core::{Event, EventType, Kv};
    let kv = |k: &str, v: &str, rev: i64| Kv {
        key: k.into(),
        value: v.into(),
        create_revision: rev,
        mod_revision: rev + 1,
        version: 2,
        lease: 9,
        ttl: -1,
    };
    let core = crate::core::Response {
        action: "get".into(),
        index: 42,
        value: kv("a\0b", "v\0", 2),
        prev_value: kv("p", "old", 1),
        values: vec![kv("x", "1", 3), kv("y", "2", 4)],
        events: vec![
            Event {
                event_type: EventType::Delete,
                kv: Some(kv("d", "", 5)),
                prev_kv: None,
            },
            Event {
                event_type: EventType::Put,
                kv: Some(kv("e", "new", 6)),
                prev_kv: Some(kv("e", "was", 5)),
            },
        ],
        leases: vec![7],
        compact_revision: 3,
        watch_id: 4,
        cluster_id: 5,
        member_id: 6,
        raft_term: 7,
        duration: std::time::Duration::from_micros(1234),
        lock_key: b"lk".to_vec(),
        name: b"nm".to_vec(),
        ..crate::core::Response::error(code::COMPARE_FAILED, "nope")
    };
    let resp = etcd_response::into_raw(response::Response::new(core));
    let bytes =
        |b: etcd_bytes| unsafe { std::slice::from_raw_parts(b.data.cast::<u8>(), b.len) }.to_vec();
    let same = |v: *const etcd_value, view: &etcd_value_view| unsafe {
        bytes(view.key) == bytes(etcd_value_key(v))
            && bytes(view.value) == bytes(etcd_value_value(v))
            && (
                view.created_index,
                view.modified_index,
                view.version,
                view.lease,
                view.ttl,
            ) == (
                etcd_value_created_index(v),
                etcd_value_modified_index(v),
                etcd_value_version(v),
                etcd_value_lease(v),
                etcd_value_ttl(v),
            )
    };
    unsafe {
        let mut view = std::mem::MaybeUninit::<etcd_response_view>::uninit();
        assert_eq!(etcd_response_read(resp, view.as_mut_ptr()), etcd_status::Ok);
        let view = view.assume_init();
        assert_eq!(view.error_code, etcd_response_error_code(resp));
        assert_eq!(bytes(view.error_message), b"nope");
        assert_eq!(bytes(view.action), b"get");
        assert_eq!(view.index, 42);
        assert!(same(etcd_response_value(resp), &view.value));
        assert!(same(etcd_response_prev_value(resp), &view.prev_value));
        assert_eq!(
            (
                view.value_count,
                view.event_count,
                view.lease_count,
                view.member_count
            ),
            (2, 2, 1, 0)
        );
        assert_eq!(
            (
                view.compact_revision,
                view.watch_id,
                view.cluster_id,
                view.member_id,
                view.raft_term,
                view.duration_us
            ),
            (3, 4, 5, 6, 7, etcd_response_duration_us(resp))
        );
        assert_eq!(
            (bytes(view.lock_key), bytes(view.name)),
            (b"lk".to_vec(), b"nm".to_vec())
        );
        assert_eq!((view.status_endpoint.len, view.status_version.len), (0, 0));

        let mut one = std::mem::MaybeUninit::<etcd_value_view>::uninit();
        let v = etcd_response_value_at(resp, 1);
        assert_eq!(etcd_value_read(v, one.as_mut_ptr()), etcd_status::Ok);
        assert!(same(v, &one.assume_init()));

        let mut values = [etcd_value_view::EMPTY_FOR_TESTS; 3];
        assert_eq!(
            etcd_response_values_read(resp, 0, values.as_mut_ptr(), 3),
            2
        );
        assert!(same(etcd_response_value_at(resp, 0), &values[0]));
        assert!(same(etcd_response_value_at(resp, 1), &values[1]));
        assert_eq!(
            etcd_response_values_read(resp, 1, values.as_mut_ptr(), 1),
            1
        );
        assert_eq!(bytes(values[0].key), b"y");
        assert_eq!(
            etcd_response_values_read(resp, 5, values.as_mut_ptr(), 3),
            0
        );
        assert_eq!(
            etcd_response_values_read(resp, 0, std::ptr::null_mut(), 3),
            0
        );

        let mut events = [std::mem::MaybeUninit::<etcd_event_view>::uninit(); 2];
        assert_eq!(
            etcd_response_events_read(resp, 0, events[0].as_mut_ptr(), 2),
            2
        );
        for (i, slot) in events.iter().enumerate() {
            let view = slot.assume_init();
            let e = etcd_response_event_at(resp, i);
            assert_eq!(view.event_type, etcd_event_get_type(e));
            assert_eq!(view.has_kv, !etcd_event_kv(e).is_null());
            assert_eq!(view.has_prev_kv, !etcd_event_prev_kv(e).is_null());
            assert!(same(etcd_event_kv(e), &view.kv));
            if view.has_prev_kv {
                assert!(same(etcd_event_prev_kv(e), &view.prev_kv));
            } else {
                assert_eq!((view.prev_kv.key.len, view.prev_kv.version), (0, 0));
            }
        }

        // NULL arguments.
        assert_eq!(
            etcd_response_read(std::ptr::null(), &mut view.clone()),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_response_read(resp, std::ptr::null_mut()),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_value_read(std::ptr::null(), one.as_mut_ptr()),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_response_events_read(std::ptr::null(), 0, events[0].as_mut_ptr(), 1),
            0
        );
        etcd_response_free(resp);
    }
}

/// Text with NUL bytes cannot be a C string; the NULs are dropped rather than failing.
#[test]
fn messages_with_nul_bytes_are_kept_readable() {
    assert_eq!(response::c_string("a\0b").to_str(), Ok("ab"));
}

#[test]
fn panics_become_statuses_and_defaults() {
    // An entry point whose body panics after its checks.
    unsafe extern "C" fn panicking(out: *mut *mut etcd_response) -> etcd_status {
        ffi_boundary(|| {
            let _out = try_out!(out);
            panic!("deliberate panic in a test")
        })
    }
    let mut out = sentinel::<etcd_response>();
    assert_eq!(unsafe { panicking(&mut out) }, etcd_status::Panic);
    assert_eq!(out, sentinel(), "output untouched after a panic");
    // The message is kept for the status instead of being printed.
    let detail = unsafe { CStr::from_ptr(super::etcd_status_detail()) }
        .to_str()
        .unwrap();
    assert!(
        detail.starts_with("internal error: deliberate panic in a test (at "),
        "{detail}"
    );
    assert_eq!(unsafe { panicking(null_mut()) }, etcd_status::NullArgument);

    assert!(ffi_boundary(|| -> *const etcd_value { panic!("deliberate") }).is_null());
    assert!(!ffi_boundary(|| -> bool { panic!("deliberate") }));
    assert_eq!(ffi_boundary(|| -> i64 { panic!("deliberate") }), 0);
    assert_eq!(ffi_boundary(|| -> usize { panic!("deliberate") }), 0);
    assert_eq!(
        ffi_boundary(|| -> etcd_bytes { panic!("deliberate") }).len,
        0
    );
    assert_eq!(
        ffi_boundary(|| -> etcd_event_type { panic!("deliberate") }),
        etcd_event_type::Invalid
    );
    ffi_boundary::<()>(|| panic!("deliberate"));
}

static FINALIZED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_free(userdata: *mut c_void) {
    assert_eq!(userdata as usize, 0x1234);
    FINALIZED.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn ignore_response(_: *mut c_void, _: *const etcd_response) {}

unsafe extern "C" fn ignore_error(_: *mut c_void, _: etcd_status, _: *const c_char) {}

/// Watchers and keep-alives: argument checks, and the finalizer runs exactly once, on free.
#[test]
fn watcher_and_keepalive_lifecycle() {
    let client = offline_client();
    let data = 0x1234 as *mut c_void;
    let free = Some(count_free as unsafe extern "C" fn(*mut c_void));
    let cb = Some(ignore_response as unsafe extern "C" fn(*mut c_void, *const etcd_response));
    let before = FINALIZED.load(Ordering::SeqCst);
    unsafe {
        let mut w = sentinel::<etcd_watcher>();
        assert_eq!(
            etcd_watcher_new(null(), KEY, 1, false, 0, cb, data, free, &mut w),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_watcher_new(client, KEY, 1, false, 0, None, data, free, &mut w),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_watcher_new(client, null(), 1, false, 0, cb, data, free, &mut w),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_watcher_new(client, KEY, 1, false, 0, cb, data, free, null_mut()),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_watcher_new_range(client, KEY, 1, null(), 2, 0, cb, data, free, &mut w),
            etcd_status::NullArgument
        );
        assert_eq!(w, sentinel(), "no output on error");
        assert_eq!(
            FINALIZED.load(Ordering::SeqCst),
            before,
            "no finalizer on error"
        );

        assert_eq!(
            etcd_watcher_new(client, KEY, 1, true, 0, cb, data, free, &mut w),
            etcd_status::Ok
        );
        assert!(!etcd_watcher_ended(w));
        assert_eq!(etcd_watcher_wait(w, null_mut()), etcd_status::NullArgument);
        assert_eq!(etcd_watcher_cancel(w), etcd_status::Ok);
        assert_eq!(
            etcd_watcher_cancel(w),
            etcd_status::Ok,
            "cancel is idempotent"
        );
        let mut cancelled = false;
        assert_eq!(etcd_watcher_wait(w, &mut cancelled), etcd_status::Ok);
        assert!(cancelled && etcd_watcher_ended(w));
        assert_eq!(
            FINALIZED.load(Ordering::SeqCst),
            before,
            "finalizer only on free"
        );
        etcd_watcher_free(w);
        assert_eq!(FINALIZED.load(Ordering::SeqCst), before + 1);

        let on_error =
            Some(ignore_error as unsafe extern "C" fn(*mut c_void, etcd_status, *const c_char));
        let mut k = sentinel::<etcd_keepalive>();
        assert_eq!(
            etcd_keepalive_new(null(), 5, 1, on_error, data, free, &mut k),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_keepalive_new(client, 5, 1, on_error, data, free, null_mut()),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_keepalive_new(client, 0, 1, on_error, data, free, &mut k),
            etcd_status::InvalidArgument
        );
        assert_eq!(k, sentinel(), "no output on error");
        assert_eq!(
            FINALIZED.load(Ordering::SeqCst),
            before + 1,
            "no finalizer on error"
        );

        // Lease 7 on an unreachable cluster: refreshes cannot reach it, which is not an error.
        assert_eq!(
            etcd_keepalive_new(client, 5, 7, on_error, data, free, &mut k),
            etcd_status::Ok
        );
        assert_eq!(etcd_keepalive_lease(k), 7);
        assert_eq!(etcd_keepalive_cancel(k), etcd_status::Ok);
        assert_eq!(etcd_keepalive_check(k), etcd_status::Ok);
        assert!(etcd_keepalive_error_message(k).is_null());
        etcd_keepalive_free(k);
        assert_eq!(FINALIZED.load(Ordering::SeqCst), before + 2);
        etcd_client_free(client);
    }
}

/// include/etcd/etcd.h is what cbindgen makes of this module.
#[test]
fn header_is_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let config =
        cbindgen::Config::from_file(format!("{root}/cbindgen.toml")).expect("read cbindgen.toml");
    // Only this module: the core's public constants are not part of the C API.
    let bindings = cbindgen::Builder::new()
        .with_src(format!("{root}/src/capi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen failed");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = format!("{root}/include/etcd/etcd.h");
    if std::env::var_os("ETCD_REGENERATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/etcd/etcd.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/etcd/etcd.h does not match src/capi. Regenerate it with\n    \
         ETCD_REGENERATE_HEADER=1 cargo test --release --lib capi::tests::header_is_current\n\
         and commit the result."
    );
}

#[test]
fn impossible_lengths_are_refused_quietly() {
    use super::boundary::{bytes_arg, BytesError};
    let data = b"abc".as_ptr().cast::<c_char>();
    assert_eq!(unsafe { bytes_arg(data, 3) }, Ok(b"abc".to_vec()));
    assert_eq!(unsafe { bytes_arg(std::ptr::null(), 0) }, Ok(Vec::new()));
    assert_eq!(
        unsafe { bytes_arg(std::ptr::null(), 1) },
        Err(BytesError::Null)
    );
    // Neither length is read: one is above isize::MAX, the other cannot be allocated.
    assert_eq!(
        unsafe { bytes_arg(data, usize::MAX) },
        Err(BytesError::TooLong)
    );
    let detail = unsafe { CStr::from_ptr(super::etcd_status_detail()) }
        .to_str()
        .unwrap();
    assert!(detail.contains("larger than any object"), "{detail}");
    assert_eq!(
        unsafe { bytes_arg(data, isize::MAX as usize) },
        Err(BytesError::TooLong)
    );
    let detail = unsafe { CStr::from_ptr(super::etcd_status_detail()) }
        .to_str()
        .unwrap();
    assert!(detail.contains("cannot allocate"), "{detail}");

    // Through an entry point: a status, no output, no call.
    let client = offline_client();
    let mut out = sentinel::<etcd_response>();
    let status = unsafe { etcd_client_get(client, KEY, usize::MAX, 0, &mut out) };
    assert_eq!(status, etcd_status::InvalidArgument);
    assert_eq!(out, sentinel());
    let status =
        unsafe { etcd_client_put(client, KEY, 1, KEY, isize::MAX as usize + 1, 0, &mut out) };
    assert_eq!(status, etcd_status::InvalidArgument);
    assert_eq!(out, sentinel());
    unsafe { etcd_client_free(client) };
}

static CALL_DONE: AtomicUsize = AtomicUsize::new(0);

static CALL_FREED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_call_free(userdata: *mut c_void) {
    assert_eq!(userdata as usize, 0x1234);
    CALL_FREED.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn on_call_done(userdata: *mut c_void) {
    assert_eq!(userdata as usize, 0x1234);
    CALL_DONE.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn pending_calls() {
    let client = offline_client();
    unsafe {
        let mut call = sentinel::<etcd_call>();
        assert_eq!(
            etcd_client_get_start(client, KEY, usize::MAX, 0, &mut call),
            etcd_status::InvalidArgument
        );
        assert_eq!(
            etcd_client_get_start(client, KEY, 1, 0, null_mut()),
            etcd_status::NullArgument
        );
        assert_eq!(call, sentinel());
        assert_eq!(
            etcd_client_get_start(client, KEY, 1, 0, &mut call),
            etcd_status::Ok
        );
        let mut done = false;
        assert_eq!(
            etcd_call_wait(null(), 0, &mut done),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_call_wait(call, 0, null_mut()),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_call_on_done(call, None, null_mut(), None),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_call_on_done(
                call,
                Some(on_call_done),
                0x1234 as *mut c_void,
                Some(count_call_free)
            ),
            etcd_status::Ok
        );
        assert_eq!(
            etcd_call_on_done(
                call,
                Some(on_call_done),
                0x1234 as *mut c_void,
                Some(count_call_free)
            ),
            etcd_status::InvalidArgument
        );
        // Nothing listens on port 1: the call ends with error 14 after the connect attempt.
        let mut response = sentinel::<etcd_response>();
        // Taking before the end gives Pending; the call may end between a wait and a take, so
        // the loop ends on the first successful take.
        loop {
            let status = etcd_call_take_response(call, &mut response);
            if status == etcd_status::Ok {
                break;
            }
            assert_eq!(status, etcd_status::Pending);
            assert_eq!(etcd_call_wait(call, 50, &mut done), etcd_status::Ok);
        }
        assert!(etcd_call_done(call));
        assert_eq!(etcd_response_error_code(response), code::UNAVAILABLE);
        etcd_response_free(response);
        assert_eq!(
            etcd_call_take_response(call, &mut response),
            etcd_status::InvalidArgument
        );
        let start = std::time::Instant::now();
        while CALL_DONE.load(Ordering::SeqCst) == 0 && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(CALL_DONE.load(Ordering::SeqCst), 1);
        assert_eq!(CALL_FREED.load(Ordering::SeqCst), 0);
        etcd_call_free(call);
        assert_eq!(CALL_FREED.load(Ordering::SeqCst), 1);
        etcd_call_free(null_mut());
        assert!(!etcd_call_done(null()));
        etcd_client_free(client);
    }
}

/// `etcd_client_endpoints` writes the list with the snprintf conventions.
#[test]
fn endpoints_fill_the_buffer() {
    use super::member::etcd_client_endpoints;
    unsafe {
        let mut client = null_mut();
        assert_eq!(
            etcd_client_connect(
                c"http://127.0.0.1:1;127.0.0.1:22".as_ptr(),
                null(),
                &mut client
            ),
            etcd_status::Ok
        );
        let expected = b"127.0.0.1:1,127.0.0.1:22";
        let mut len = 0usize;
        assert_eq!(
            etcd_client_endpoints(client, null_mut(), 0, &mut len),
            etcd_status::Ok
        );
        assert_eq!(len, expected.len());
        let mut buf = vec![b'x' as c_char; 64];
        assert_eq!(
            etcd_client_endpoints(client, buf.as_mut_ptr(), buf.len(), &mut len),
            etcd_status::Ok
        );
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_bytes(), expected);
        // Too small: truncated, not terminated, and the full length reported.
        let mut small = vec![b'x' as c_char; 5];
        assert_eq!(
            etcd_client_endpoints(client, small.as_mut_ptr(), small.len(), &mut len),
            etcd_status::Ok
        );
        assert_eq!(len, expected.len());
        assert_eq!(
            small.iter().map(|&c| c as u8).collect::<Vec<_>>(),
            &expected[..5]
        );
        assert_eq!(
            etcd_client_endpoints(client, null_mut(), 4, &mut len),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_client_endpoints(client, buf.as_mut_ptr(), buf.len(), null_mut()),
            etcd_status::NullArgument
        );
        etcd_client_free(client);
    }
}

mod thread_hooks {
    use super::*;
    use std::cell::Cell;
    use std::sync::Mutex;
    use std::thread::ThreadId;
    use std::time::{Duration, Instant};

    static ATTACHED: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());
    static DETACHED: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());
    /// (thread, whether it was attached) of each completion callback.
    static SEEN: Mutex<Vec<(ThreadId, bool)>> = Mutex::new(Vec::new());
    static FREED: AtomicUsize = AtomicUsize::new(0);

    thread_local! {
        static MARKED: Cell<bool> = const { Cell::new(false) };
    }

    unsafe extern "C" fn attach(userdata: *mut c_void) {
        assert_eq!(userdata as usize, 0x5678);
        MARKED.with(|m| m.set(true));
        ATTACHED.lock().unwrap().push(std::thread::current().id());
    }

    unsafe extern "C" fn detach(_: *mut c_void) {
        DETACHED.lock().unwrap().push(std::thread::current().id());
    }

    unsafe extern "C" fn free_hooks(userdata: *mut c_void) {
        assert_eq!(userdata as usize, 0x5678);
        FREED.fetch_add(1, Ordering::SeqCst);
    }

    unsafe extern "C" fn done(_: *mut c_void) {
        let marked = MARKED.with(Cell::get);
        SEEN.lock()
            .unwrap()
            .push((std::thread::current().id(), marked));
    }

    fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// One call of the offline client, its completion callback run and counted in SEEN.
    fn one_callback(client: *mut etcd_client) {
        let before = SEEN.lock().unwrap().len();
        unsafe {
            let mut call = null_mut();
            assert_eq!(etcd_client_head_start(client, &mut call), etcd_status::Ok);
            assert_eq!(
                etcd_call_on_done(call, Some(done), null_mut(), None),
                etcd_status::Ok
            );
            wait_for("the completion callback", || {
                SEEN.lock().unwrap().len() > before
            });
            etcd_call_free(call);
        }
    }

    /// The attach hook runs on a callback thread before its first callback and only once; the
    /// detach hook when that thread ends; removed hooks no longer run and are finalized once.
    #[test]
    fn attach_before_callbacks_and_detach_at_thread_end() {
        let client = offline_client();
        unsafe {
            assert_eq!(
                etcd_set_thread_hooks(
                    Some(attach),
                    Some(detach),
                    0x5678 as *mut c_void,
                    Some(free_hooks)
                ),
                etcd_status::Ok
            );
        }
        for _ in 0..3 {
            one_callback(client);
        }
        let seen = SEEN.lock().unwrap().clone();
        assert!(seen.iter().all(|&(_, marked)| marked), "{seen:?}");
        {
            let attached = ATTACHED.lock().unwrap();
            for (thread, _) in &seen {
                assert_eq!(
                    attached.iter().filter(|t| *t == thread).count(),
                    1,
                    "attached once"
                );
            }
        }
        // Idle callback threads end after dispatch::IDLE_EXIT: each one detaches.
        wait_for("the callback threads to detach", || {
            let detached = DETACHED.lock().unwrap();
            seen.iter().all(|(thread, _)| detached.contains(thread))
        });
        assert_eq!(FREED.load(Ordering::SeqCst), 0);
        unsafe {
            assert_eq!(
                etcd_set_thread_hooks(None, None, null_mut(), None),
                etcd_status::Ok
            );
        }
        assert_eq!(FREED.load(Ordering::SeqCst), 1);
        let attached = ATTACHED.lock().unwrap().len();
        one_callback(client);
        assert_eq!(
            ATTACHED.lock().unwrap().len(),
            attached,
            "no hook after removal"
        );
        unsafe { etcd_client_free(client) };
    }
}

/// `etcd_call_finish` gives what `etcd_call_wait`, `etcd_call_take_response` and
/// `etcd_response_read` give.
#[test]
fn finish_takes_and_reads_the_response() {
    let client = offline_client();
    unsafe {
        let mut call = null_mut();
        assert_eq!(
            etcd_client_get_start(client, KEY, 1, 0, &mut call),
            etcd_status::Ok
        );
        let mut response = sentinel::<etcd_response>();
        let mut view: etcd_response_view = std::mem::zeroed();
        assert_eq!(
            etcd_call_finish(null(), 0, &mut response, &mut view),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_call_finish(call, 0, null_mut(), &mut view),
            etcd_status::NullArgument
        );
        assert_eq!(
            etcd_call_finish(call, 0, &mut response, null_mut()),
            etcd_status::NullArgument
        );
        // Nothing listens on port 1: the call ends with error 14 after the connect attempt.
        loop {
            let status = etcd_call_finish(call, 50, &mut response, &mut view);
            if status == etcd_status::Ok {
                break;
            }
            assert_eq!(status, etcd_status::Pending);
            assert_eq!(response, sentinel(), "nothing written while pending");
        }
        assert_eq!(view.error_code, code::UNAVAILABLE);
        let mut read: etcd_response_view = std::mem::zeroed();
        assert_eq!(etcd_response_read(response, &mut read), etcd_status::Ok);
        assert_eq!(view.error_message.data, read.error_message.data);
        assert_eq!(view.error_message.len, read.error_message.len);
        assert!(view.error_message.len > 0);
        let mut again = sentinel::<etcd_response>();
        assert_eq!(
            etcd_call_finish(call, 0, &mut again, &mut view),
            etcd_status::InvalidArgument
        );
        assert_eq!(again, sentinel());
        etcd_response_free(response);
        etcd_call_free(call);
        etcd_client_free(client);
    }
}
