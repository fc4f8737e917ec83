//! Unary operations and etcd-cpp-apiv3's response shapes (peer-api.md §1.4).

use etcd_cpp_rs::core::{Compare, KeyRange, Request};

use crate::{b, call, client, prefix};

#[test]
fn put_get_and_previous_values() {
    let c = client();
    let k = b(&format!("{}k", prefix("put_get")));
    let r = call(
        &c,
        Request::Put {
            key: k.clone(),
            value: b("v1"),
            lease: 0,
        },
    );
    assert_eq!((r.error_code, r.action.as_str()), (0, "set"));
    assert!(r.index > 0);
    assert!(
        r.prev_value.key.is_empty(),
        "a new key has no previous value"
    );
    assert!(
        r.value.key.is_empty(),
        "set leaves value() empty, as the peer"
    );
    let r2 = call(
        &c,
        Request::Put {
            key: k.clone(),
            value: b("v2"),
            lease: 0,
        },
    );
    assert_eq!(r2.prev_value.value, b("v1"));
    assert_eq!(r2.index, r.index + 1);

    let g = call(
        &c,
        Request::Get {
            key: k.clone(),
            revision: 0,
        },
    );
    assert_eq!((g.error_code, g.action.as_str()), (0, "get"));
    assert_eq!(g.value.value, b("v2"));
    assert_eq!(g.value.version, 2);
    assert_eq!(g.value.create_revision, r.index);
    assert_eq!(g.value.mod_revision, r2.index);
    assert!(g.values.is_empty(), "get leaves values() empty");

    let old = call(
        &c,
        Request::Get {
            key: k.clone(),
            revision: r.index,
        },
    );
    assert_eq!(old.value.value, b("v1"));

    let missing = call(
        &c,
        Request::Get {
            key: b(&format!("{}nope", prefix("put_get"))),
            revision: 0,
        },
    );
    assert_eq!(
        (missing.error_code, missing.error_message.as_str()),
        (100, "etcd-cpp-apiv3: key not found")
    );
    let future = call(
        &c,
        Request::Get {
            key: k,
            revision: g.index + 1000,
        },
    );
    assert_eq!(future.error_code, 11);
    assert!(
        future.error_message.contains("future revision"),
        "{}",
        future.error_message
    );
}

#[test]
fn binary_keys_and_values() {
    let c = client();
    let mut k = b(&prefix("binary"));
    k.extend_from_slice(b"a\0b\xff");
    let v = b"\0\x01\x02\0".to_vec();
    assert!(call(
        &c,
        Request::Put {
            key: k.clone(),
            value: v.clone(),
            lease: 0
        }
    )
    .is_ok());
    let g = call(
        &c,
        Request::Get {
            key: k.clone(),
            revision: 0,
        },
    );
    assert_eq!((g.value.key, g.value.value), (k, v));
}

#[test]
fn add_modify_and_compare() {
    let c = client();
    let p = prefix("add_modify");
    let k = b(&format!("{p}k"));
    let a = call(
        &c,
        Request::Add {
            key: k.clone(),
            value: b("1"),
            lease: 0,
        },
    );
    assert_eq!((a.error_code, a.action.as_str()), (0, "create"));
    assert_eq!((a.value.value.as_slice(), a.value.version), (&b"1"[..], 1));
    let again = call(
        &c,
        Request::Add {
            key: k.clone(),
            value: b("2"),
            lease: 0,
        },
    );
    assert_eq!(
        (again.error_code, again.error_message.as_str()),
        (105, "etcd-cpp-apiv3: key already exists")
    );
    assert_eq!(
        again.value.value,
        b("1"),
        "add failure returns the existing value"
    );

    let m = call(
        &c,
        Request::Modify {
            key: k.clone(),
            value: b("2"),
            lease: 0,
        },
    );
    assert_eq!((m.error_code, m.action.as_str()), (0, "update"));
    assert_eq!(
        (m.value.value.as_slice(), m.prev_value.value.as_slice()),
        (&b"2"[..], &b"1"[..])
    );
    let mm = call(
        &c,
        Request::Modify {
            key: b(&format!("{p}missing")),
            value: b("x"),
            lease: 0,
        },
    );
    assert_eq!(
        (mm.error_code, mm.action.as_str(), mm.index),
        (100, "update", 0)
    );

    let cas = call(
        &c,
        Request::ModifyIf {
            key: k.clone(),
            value: b("3"),
            compare: Compare::Value(b("2")),
            lease: 0,
        },
    );
    assert_eq!((cas.error_code, cas.action.as_str()), (0, "compareAndSwap"));
    assert_eq!(cas.value.value, b("3"));
    assert!(cas.prev_value.key.is_empty());
    let bad = call(
        &c,
        Request::ModifyIf {
            key: k.clone(),
            value: b("4"),
            compare: Compare::Value(b("2")),
            lease: 0,
        },
    );
    assert_eq!(
        (bad.error_code, bad.error_message.as_str()),
        (101, "etcd-cpp-apiv3: compare failed")
    );
    assert_eq!(
        bad.value.value,
        b("3"),
        "compare failure returns the current value"
    );
    let by_index = call(
        &c,
        Request::ModifyIf {
            key: k.clone(),
            value: b("5"),
            compare: Compare::ModRevision(cas.value.mod_revision),
            lease: 0,
        },
    );
    assert!(by_index.is_ok(), "{by_index:?}");

    let d_bad = call(
        &c,
        Request::RmIf {
            key: k.clone(),
            compare: Compare::Value(b("nope")),
        },
    );
    assert_eq!(
        (d_bad.error_code, d_bad.action.as_str()),
        (101, "compareAndDelete")
    );
    let d = call(
        &c,
        Request::RmIf {
            key: k.clone(),
            compare: Compare::ModRevision(by_index.value.mod_revision),
        },
    );
    assert!(d.is_ok());
    assert_eq!(
        (d.value.value.as_slice(), d.prev_value.value.as_slice()),
        (&b"5"[..], &b"5"[..])
    );
    // The peer's quirk: comparing a missing key's mod revision with 0 succeeds and deletes nothing.
    let quirk = call(
        &c,
        Request::RmIf {
            key: k,
            compare: Compare::ModRevision(0),
        },
    );
    assert!(quirk.is_ok());
}

#[test]
fn rm_rmdir_ls_keys() {
    let c = client();
    let p = prefix("ls");
    for (k, v) in [("a", "1"), ("b", "2"), ("c/d", "3"), ("c/e", "4")] {
        assert!(call(
            &c,
            Request::Put {
                key: b(&format!("{p}{k}")),
                value: b(v),
                lease: 0
            }
        )
        .is_ok());
    }
    let all = call(
        &c,
        Request::Range {
            range: KeyRange::prefix(b(&p)),
            limit: 0,
            revision: 0,
            keys_only: false,
        },
    );
    assert_eq!(all.values.len(), 4);
    assert_eq!(all.value.key, b(&format!("{p}a")));
    assert_eq!(all.values[3].value, b("4"));
    let limited = call(
        &c,
        Request::Range {
            range: KeyRange::prefix(b(&p)),
            limit: 2,
            revision: 0,
            keys_only: false,
        },
    );
    assert_eq!(limited.values.len(), 2);
    let keys = call(
        &c,
        Request::Range {
            range: KeyRange::prefix(b(&p)),
            limit: 0,
            revision: 0,
            keys_only: true,
        },
    );
    assert!(keys
        .values
        .iter()
        .all(|kv| kv.value.is_empty() && !kv.key.is_empty()));
    let range = call(
        &c,
        Request::Range {
            range: KeyRange::range(b(&format!("{p}b")), b(&format!("{p}c0"))),
            limit: 0,
            revision: 0,
            keys_only: false,
        },
    );
    assert_eq!(range.values.len(), 3);
    let at_rev = call(
        &c,
        Request::Range {
            range: KeyRange::prefix(b(&p)),
            limit: 0,
            revision: all.index - 1,
            keys_only: false,
        },
    );
    assert_eq!(at_rev.values.len(), 3);
    let empty = call(
        &c,
        Request::Range {
            range: KeyRange::prefix(b(&format!("{p}zzz"))),
            limit: 0,
            revision: 0,
            keys_only: false,
        },
    );
    assert_eq!((empty.error_code, empty.values.len()), (0, 0));

    let rm = call(
        &c,
        Request::Rm {
            key: b(&format!("{p}a")),
        },
    );
    assert_eq!((rm.error_code, rm.action.as_str()), (0, "delete"));
    assert_eq!(
        (rm.value.value.as_slice(), rm.prev_value.value.as_slice()),
        (&b"1"[..], &b"1"[..])
    );
    let rm2 = call(
        &c,
        Request::Rm {
            key: b(&format!("{p}a")),
        },
    );
    assert_eq!(rm2.error_code, 100);
    assert!(rm2.index > 0);
    let exact = call(
        &c,
        Request::Rmdir {
            range: KeyRange::key(b(&format!("{p}c"))),
        },
    );
    assert_eq!(
        exact.error_code, 100,
        "non-recursive rmdir deletes only the exact key"
    );
    let dir = call(
        &c,
        Request::Rmdir {
            range: KeyRange::prefix(b(&format!("{p}c/"))),
        },
    );
    assert_eq!(dir.values.len(), 2);
    assert_eq!(dir.value.key, b(&format!("{p}c/d")));
    let rest = call(
        &c,
        Request::Rmdir {
            range: KeyRange::range(b(&p), b(&format!("{p}z"))),
        },
    );
    assert_eq!(rest.values.len(), 1);
}

#[test]
fn leases() {
    let c = client();
    let g = call(&c, Request::LeaseGrant { ttl: 30 });
    assert_eq!((g.error_code, g.action.as_str()), (0, "leasegrant"));
    assert!(g.value.lease != 0);
    assert_eq!(g.value.ttl, 30);
    let k = b(&format!("{}k", prefix("leases")));
    assert!(call(
        &c,
        Request::Put {
            key: k.clone(),
            value: b("v"),
            lease: g.value.lease
        }
    )
    .is_ok());
    assert_eq!(
        call(
            &c,
            Request::Get {
                key: k.clone(),
                revision: 0
            }
        )
        .value
        .lease,
        g.value.lease
    );
    let ttl = call(&c, Request::LeaseTimeToLive { id: g.value.lease });
    assert_eq!(ttl.action, "leasetimetolive");
    assert!(ttl.value.ttl > 25 && ttl.value.ttl <= 30);
    let list = call(&c, Request::LeaseLeases);
    assert_eq!(list.action, "leaseleases");
    assert!(list.leases.contains(&g.value.lease));
    let rv = call(&c, Request::LeaseRevoke { id: g.value.lease });
    assert_eq!((rv.error_code, rv.action.as_str()), (0, "leaserevoke"));
    assert_eq!(
        call(
            &c,
            Request::Get {
                key: k.clone(),
                revision: 0
            }
        )
        .error_code,
        100,
        "revoking deletes attached keys"
    );
    assert_eq!(
        call(&c, Request::LeaseTimeToLive { id: g.value.lease })
            .value
            .ttl,
        -1
    );
    let unknown = call(&c, Request::LeaseRevoke { id: g.value.lease });
    assert_eq!(
        (unknown.error_code, unknown.error_message.as_str()),
        (5, "etcdserver: requested lease not found")
    );
    let bad_put = call(
        &c,
        Request::Put {
            key: k,
            value: b("v"),
            lease: g.value.lease,
        },
    );
    assert_eq!(bad_put.error_code, 5);
}

#[test]
fn head_and_timeouts() {
    let c = client();
    let h = call(&c, Request::Head);
    assert!(h.is_ok());
    assert!(h.cluster_id != 0 && h.member_id != 0 && h.raft_term != 0 && h.index > 0);
    c.set_timeout_ms(1);
    assert_eq!(c.timeout_ms(), 1);
    c.set_timeout_ms(0);
    assert!(call(&c, Request::Head).is_ok());
}

#[test]
fn unusable_endpoints() {
    let c = etcd_cpp_rs::core::Client::new("no-port-here,,:x", Default::default());
    let r = call(&c, Request::Head);
    assert_eq!(
        (r.error_code, r.error_message.as_str()),
        (13, "the target uri is not valid")
    );
    let dead =
        etcd_cpp_rs::core::Client::new(&crate::etcd::Cluster::dead_endpoint(), Default::default());
    let r = call(
        &dead,
        Request::Get {
            key: b("k"),
            revision: 0,
        },
    );
    assert_eq!(r.error_code, 14, "{r:?}");
}

#[test]
fn async_calls_complete_on_callback_threads() {
    let c = client();
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..50 {
        let tx = tx.clone();
        c.execute_async(
            Request::Put {
                key: b(&format!("{}{i}", prefix("async"))),
                value: b("v"),
                lease: 0,
            },
            move |r| {
                let name = std::thread::current().name().unwrap_or("").to_string();
                tx.send((r.error_code, name)).unwrap();
            },
        );
    }
    for _ in 0..50 {
        let (code, name) = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("async result");
        assert_eq!(code, 0);
        assert_eq!(name, "etcd-cb");
    }
}
