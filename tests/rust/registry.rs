//! ServiceRegistry and ServiceDiscovery against a real etcd.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{
    Change, ChangeKind, Client, KeyRange, Kv, RegistryOptions, Request, ServiceDiscovery,
    ServiceRegistry, Transaction, TxnOperation,
};

use crate::etcd::{wait_until, Cluster};
use crate::{b, call, client, prefix};

/// The keys and values under `p` in etcd, and the revision of the read.
pub fn contents(c: &Client, p: &str) -> (i64, BTreeMap<Vec<u8>, Vec<u8>>) {
    let r = call(
        c,
        Request::Range {
            range: KeyRange::prefix(b(p)),
            limit: 0,
            revision: 0,
            keys_only: false,
        },
    );
    assert!(r.is_ok(), "{r:?}");
    (
        r.index,
        r.values.into_iter().map(|kv| (kv.key, kv.value)).collect(),
    )
}

/// The view of `d` as key -> value.
pub fn view(d: &ServiceDiscovery) -> BTreeMap<Vec<u8>, Vec<u8>> {
    d.snapshot()
        .1
        .into_iter()
        .map(|kv| (kv.key, kv.value))
        .collect()
}

fn lease_of(c: &Client, key: &[u8]) -> i64 {
    let r = call(
        c,
        Request::Get {
            key: key.to_vec(),
            revision: 0,
        },
    );
    if r.is_ok() {
        r.value.lease
    } else {
        0
    }
}

fn options(ttl: i64) -> RegistryOptions {
    RegistryOptions {
        ttl,
        ..Default::default()
    }
}

#[test]
fn registry_writes_under_one_lease_and_revokes_on_close() {
    let c = client();
    let p = prefix("reg_close");
    let reg = ServiceRegistry::new(&c, options(30), None);
    assert!(reg.lease() != 0);
    for i in 0..3 {
        let r = reg.add(&b(&format!("{p}{i}")), &b(&format!("host:{i}")));
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(lease_of(&c, &b(&format!("{p}{i}"))), reg.lease());
    }
    assert!(reg.remove(&b(&format!("{p}1"))).is_ok());
    assert_eq!(contents(&c, &p).1.len(), 2);
    assert_eq!(reg.entries().len(), 2);
    let start = Instant::now();
    drop(reg);
    assert!(start.elapsed() < Duration::from_secs(2));
    // Revoked, not left to expire after 30 s.
    assert!(contents(&c, &p).1.is_empty());
}

#[test]
fn registry_without_revoke_leaves_entries_until_the_ttl() {
    let c = client();
    let p = prefix("reg_norevoke");
    let reg = ServiceRegistry::new(
        &c,
        RegistryOptions {
            ttl: 30,
            revoke_on_close: false,
            ..Default::default()
        },
        None,
    );
    assert!(reg.add(&b(&format!("{p}a")), b"v").is_ok());
    let lease = reg.lease();
    reg.close();
    assert_eq!(contents(&c, &p).1.len(), 1);
    assert!(reg.add(&b(&format!("{p}b")), b"v").error_code == 1);
    call(&c, Request::LeaseRevoke { id: lease });
}

#[test]
fn revoked_lease_is_granted_again_and_entries_rewritten_within_a_second() {
    let c = client();
    let p = prefix("reg_revoke");
    let seen: Arc<Mutex<Vec<(i64, i64, String)>>> = Arc::default();
    let s2 = seen.clone();
    let reg = ServiceRegistry::new(
        &c,
        options(30),
        Some(Box::new(move |old, new| {
            let name = std::thread::current().name().unwrap_or("").to_string();
            s2.lock().unwrap().push((old, new, name));
        })),
    );
    for i in 0..20 {
        assert!(reg.add(&b(&format!("{p}{i}")), b"addr").is_ok());
    }
    let old = reg.lease();
    // An operator revokes the lease: etcd deletes every entry.
    let revoked = Instant::now();
    assert!(call(&c, Request::LeaseRevoke { id: old }).is_ok());
    assert!(
        wait_until(Duration::from_secs(5), || contents(&c, &p).1.len() == 20),
        "entries not written again"
    );
    let took = revoked.elapsed();
    println!("re-registered after revocation in {took:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    let new = reg.lease();
    assert!(new != old && new != 0);
    for i in 0..20 {
        assert_eq!(lease_of(&c, &b(&format!("{p}{i}"))), new);
    }
    assert!(wait_until(Duration::from_secs(2), || !seen
        .lock()
        .unwrap()
        .is_empty()));
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].0, got[0].1), (old, new));
    assert_eq!(got[0].2, "etcd-cb", "callback on a library callback thread");
    assert_eq!(reg.reregistrations(), 1);
}

#[test]
fn thousand_entries_are_rewritten_within_a_second_of_noticing_the_loss() {
    // The registry's promise at scale, with nothing else in this process competing for the CPU
    // (the fault test adds 20 discoverers in the same process).
    const ENTRIES: usize = 1000;
    let c = client();
    let p = prefix("reg_revoke_1000");
    let reg = ServiceRegistry::new(&c, options(30), None);
    for i in 0..ENTRIES {
        assert!(reg.add(&b(&format!("{p}{i:04}")), b"addr").is_ok());
    }
    let old = reg.lease();
    let revoked = Instant::now();
    assert!(call(&c, Request::LeaseRevoke { id: old }).is_ok());
    assert!(
        wait_until(Duration::from_secs(10), || reg.lease() != old
            && contents(&c, &p).1.len() == ENTRIES),
        "entries not written again"
    );
    println!(
        "{ENTRIES} entries back {:?} after the revocation; {:?} from noticing the loss to the \
         last entry written",
        revoked.elapsed(),
        reg.last_rewrite()
    );
    assert!(
        reg.last_rewrite() < Duration::from_secs(1),
        "{:?}",
        reg.last_rewrite()
    );
    assert_eq!(reg.reregistrations(), 1);
}

#[test]
fn lease_revoked_between_checks_is_noticed_by_the_next_add() {
    let c = client();
    let p = prefix("reg_put_gone");
    let reg = ServiceRegistry::new(&c, options(30), None);
    assert!(reg.add(&b(&format!("{p}x")), b"1").is_ok());
    let old = reg.lease();
    call(&c, Request::LeaseRevoke { id: old });
    // Written under the new lease at once, or kept for the rewrite: either way both entries
    // end up in etcd under a new lease.
    let _ = reg.add(&b(&format!("{p}y")), b"2");
    assert!(wait_until(Duration::from_secs(3), || contents(&c, &p)
        .1
        .len()
        == 2));
    assert!(wait_until(Duration::from_secs(3), || reg.lease() != old));
    assert_eq!(lease_of(&c, &b(&format!("{p}y"))), reg.lease());
}

/// The changes a listener received.
type ChangeLog = Arc<Mutex<Vec<Change>>>;

fn recorder() -> (ChangeLog, etcd_cpp_rs::core::discovery::Listener) {
    let log: ChangeLog = Arc::default();
    let l2 = log.clone();
    (
        log,
        Box::new(move |ch: &Change| {
            assert_eq!(std::thread::current().name(), Some("etcd-cb"));
            l2.lock().unwrap().push(ch.clone());
        }),
    )
}

/// Replays `changes` on an empty map, checking each change's previous value against the map.
fn replay(changes: &[Change]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut m: BTreeMap<Vec<u8>, Kv> = BTreeMap::new();
    for ch in changes {
        let key = ch.value.key.clone();
        match ch.kind {
            ChangeKind::Added => {
                assert!(ch.prev.is_none());
                assert!(m.insert(key, ch.value.clone()).is_none(), "added twice");
            }
            ChangeKind::Updated => {
                let prev = m
                    .insert(key, ch.value.clone())
                    .expect("update of a missing key");
                assert_eq!(Some(&prev), ch.prev.as_ref(), "previous value");
                assert!(
                    ch.value.mod_revision > prev.mod_revision,
                    "duplicate update"
                );
            }
            ChangeKind::Removed => {
                let prev = m.remove(&key).expect("removal of a missing key");
                assert_eq!(Some(&prev), ch.prev.as_ref());
            }
        }
    }
    m.into_iter().map(|(k, v)| (k, v.value)).collect()
}

#[test]
fn discovery_lists_then_watches_with_no_gap_and_no_duplicate() {
    let c = client();
    let p = prefix("disc_gap");
    for i in 0..50 {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}{i}")),
                value: b("0"),
                lease: 0,
            },
        );
    }
    // Writes race with the listing and the start of the watch.
    let writer = {
        let c = c.clone();
        let p = p.clone();
        std::thread::spawn(move || {
            for n in 1..=300 {
                let i = n % 60;
                let req = if n % 7 == 0 {
                    Request::Rm {
                        key: b(&format!("{p}{i}")),
                    }
                } else {
                    Request::Put {
                        key: b(&format!("{p}{i}")),
                        value: b(&n.to_string()),
                        lease: 0,
                    }
                };
                call(&c, req);
            }
        })
    };
    let (log, listener) = recorder();
    let d = ServiceDiscovery::new(&c, p.as_bytes(), Some(listener));
    assert!(d.wait_ready(Duration::from_secs(5)));
    writer.join().unwrap();
    let (rev, want) = contents(&c, &p);
    assert!(wait_until(Duration::from_secs(5), || d.revision() >= rev
        && log.lock().unwrap().len() >= want.len()));
    assert_eq!(view(&d), want);
    // The listener's changes, replayed, give the same contents (nothing missed or repeated).
    assert!(wait_until(Duration::from_secs(5), || replay(
        &log.lock().unwrap()
    ) == want));
    assert_eq!(d.listings(), 1);
}

#[test]
fn discovery_reports_every_key_of_one_revision() {
    // A transaction that writes several keys and a revoked lease that deletes several keys each
    // change them all at one revision; the view must report every one of them.
    let c = client();
    let p = prefix("disc_one_rev");
    let (log, listener) = recorder();
    let d = ServiceDiscovery::new(&c, p.as_bytes(), Some(listener));
    assert!(d.wait_ready(Duration::from_secs(5)));
    let txn = Transaction {
        success: (0..3)
            .map(|i| TxnOperation::Put {
                key: b(&format!("{p}txn{i}")),
                value: b("v"),
                lease: 0,
                prev_kv: false,
            })
            .collect(),
        ..Default::default()
    };
    assert!(call(&c, Request::Txn(txn)).is_ok());
    let reg = ServiceRegistry::new(&c, options(30), None);
    for i in 0..3 {
        assert!(reg.add(&b(&format!("{p}reg{i}")), &b("h")).is_ok());
    }
    let (_, want) = contents(&c, &p);
    assert_eq!(want.len(), 6);
    assert!(wait_until(Duration::from_secs(5), || view(&d) == want));
    drop(reg); // revokes the lease: three deletes at one revision
    let (_, want) = contents(&c, &p);
    assert_eq!(want.len(), 3);
    assert!(wait_until(Duration::from_secs(5), || view(&d) == want));
    assert!(wait_until(Duration::from_secs(5), || replay(
        &log.lock().unwrap()
    ) == want));
    let log = log.lock().unwrap();
    let count = |kind: ChangeKind| log.iter().filter(|ch| ch.kind == kind).count();
    assert_eq!(count(ChangeKind::Added), 6);
    assert_eq!(count(ChangeKind::Removed), 3);
}

#[test]
fn discovery_reports_previous_values() {
    let c = client();
    let p = prefix("disc_prev");
    let (log, listener) = recorder();
    let d = ServiceDiscovery::new(&c, p.as_bytes(), Some(listener));
    assert!(d.wait_ready(Duration::from_secs(5)));
    let k = b(&format!("{p}svc"));
    for v in ["a", "b"] {
        call(
            &c,
            Request::Put {
                key: k.clone(),
                value: b(v),
                lease: 0,
            },
        );
    }
    call(&c, Request::Rm { key: k.clone() });
    assert!(wait_until(Duration::from_secs(5), || log
        .lock()
        .unwrap()
        .len()
        == 3));
    let got = log.lock().unwrap().clone();
    let kinds: Vec<ChangeKind> = got.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [ChangeKind::Added, ChangeKind::Updated, ChangeKind::Removed]
    );
    assert_eq!(got[1].prev.as_ref().unwrap().value, b("a"));
    assert_eq!(got[1].value.value, b("b"));
    assert_eq!(got[2].prev.as_ref().unwrap().value, b("b"));
    assert!(view(&d).is_empty());
}

#[test]
fn registry_and_discovery_close_promptly_with_the_server_down() {
    let mut cl = Cluster::start(1);
    let c = Client::new(&cl.endpoints(), Default::default());
    let calls = Arc::new(Mutex::new(0usize));
    let c2 = calls.clone();
    let reg = ServiceRegistry::new(
        &c,
        options(5),
        Some(Box::new(move |_, _| *c2.lock().unwrap() += 1)),
    );
    assert!(reg.add(b"/down/a", b"1").is_ok());
    let c3 = calls.clone();
    let d = ServiceDiscovery::new(
        &c,
        b"/down/",
        Some(Box::new(move |_| *c3.lock().unwrap() += 1)),
    );
    assert!(d.wait_ready(Duration::from_secs(5)));
    cl.kill(0);
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    drop(d);
    drop(reg);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "close took {took:?}");
    let after = *calls.lock().unwrap();
    cl.restart(0);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(*calls.lock().unwrap(), after, "a callback ran after close");
}

#[test]
fn discovery_waits_for_a_server_that_starts_late() {
    let d_client = Client::new(&Cluster::dead_endpoint(), Default::default());
    let d = ServiceDiscovery::new(&d_client, b"/late/", None);
    assert!(!d.wait_ready(Duration::from_millis(300)));
    let start = Instant::now();
    d.close();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(!d.wait_ready(Duration::from_millis(10)));
}

#[test]
fn namespace_prefixes_keys_and_strips_them_from_responses_and_views() {
    use etcd_cpp_rs::core::{CompareResult, CompareTarget, TxnCompare, Watcher};
    let c = client();
    let p = prefix("namespace");
    let ns = c.with_namespace(p.as_bytes());
    assert_eq!(ns.namespace_prefix(), p.as_bytes());
    let other = c.with_namespace(prefix("namespace-other").as_bytes());
    assert!(call(
        &other,
        Request::Put {
            key: b("/service/x"),
            value: b("other"),
            lease: 0,
        }
    )
    .is_ok());
    // A watcher of the whole namespace reports keys without the prefix.
    let events = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let e2 = events.clone();
    let w = Watcher::new(&ns, KeyRange::prefix(""), 0, move |r| {
        let mut e = e2.lock().unwrap();
        for ev in r.events {
            e.push(ev.kv.map(|kv| kv.key).unwrap_or_default());
        }
    });
    let put = call(
        &ns,
        Request::Put {
            key: b("/service/a"),
            value: b("1"),
            lease: 0,
        },
    );
    assert!(put.is_ok(), "{put:?}");
    let again = call(
        &ns,
        Request::Put {
            key: b("/service/a"),
            value: b("1"),
            lease: 0,
        },
    );
    assert_eq!(again.prev_value.key, b("/service/a"));
    // Stored under the prefix, seen without it.
    assert_eq!(
        contents(&c, &p).1.keys().cloned().collect::<Vec<_>>(),
        [b(&format!("{p}/service/a"))]
    );
    let r = call(
        &ns,
        Request::Range {
            range: KeyRange::prefix(""),
            limit: 0,
            revision: 0,
            keys_only: false,
        },
    );
    assert_eq!(r.values.len(), 1);
    assert_eq!(r.values[0].key, b("/service/a"));
    // Keyless requests are the connection's; an empty key is refused, naming the operation.
    assert!(call(&ns, Request::MemberList).is_ok());
    let empty = call(
        &ns,
        Request::Get {
            key: Vec::new(),
            revision: 0,
        },
    );
    assert_eq!(empty.error_code, 3);
    assert!(empty.error_message.contains("get"), "{empty:?}");
    // A transaction: compare, put and a nested get, all inside the namespace.
    let t = Transaction {
        compares: vec![TxnCompare {
            range: KeyRange::key(b("/service/a")),
            target: CompareTarget::Value,
            result: CompareResult::Equal,
            value: b("1"),
            number: 0,
        }],
        success: vec![
            TxnOperation::Put {
                key: b("/service/t"),
                value: b("from-txn"),
                lease: 0,
                prev_kv: false,
            },
            TxnOperation::Txn(Box::new(Transaction {
                success: vec![TxnOperation::Range {
                    range: KeyRange::prefix(b("/service/")),
                    limit: 0,
                }],
                ..Default::default()
            })),
            TxnOperation::Range {
                range: KeyRange::key(b("/service/t")),
                limit: 0,
            },
        ],
        failure: vec![],
    };
    let r = call(&ns, Request::Txn(t));
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.value.key, b("/service/t"));
    assert_eq!(r.value.value, b("from-txn"));
    assert!(contents(&c, &p)
        .1
        .contains_key(&b(&format!("{p}/service/t"))));
    assert!(wait_until(Duration::from_secs(5), || events
        .lock()
        .unwrap()
        .len()
        == 3));
    assert_eq!(
        *events.lock().unwrap(),
        [b("/service/a"), b("/service/a"), b("/service/t")]
    );
    w.cancel();
    assert!(call(
        &ns,
        Request::Rm {
            key: b("/service/t")
        }
    )
    .is_ok());
    // A lock name inside the namespace; its key comes back without the prefix.
    let l = call(
        &ns,
        Request::Lock {
            name: b("/lock"),
            ttl: 5,
        },
    );
    assert!(l.is_ok(), "{l:?}");
    assert!(l.lock_key.starts_with(b"/lock/"), "{l:?}");
    assert!(call(&ns, Request::Unlock { key: l.lock_key }).is_ok());

    let (log, listener) = recorder();
    let d = ServiceDiscovery::new(&ns, b"/service/", Some(listener));
    assert!(d.wait_ready(Duration::from_secs(5)));
    let reg = ServiceRegistry::new(&ns, options(30), None);
    let r = reg.add(b"/service/b", b"2");
    assert!(r.is_ok());
    assert!(wait_until(Duration::from_secs(5), || view(&d).len() == 2));
    // The other namespace's entry is not seen.
    assert_eq!(
        view(&d).keys().cloned().collect::<Vec<_>>(),
        [b("/service/a"), b("/service/b")]
    );
    assert_eq!(reg.entries(), [(b("/service/b"), b("2"))]);
    assert!(contents(&c, &p)
        .1
        .contains_key(&b(&format!("{p}/service/b"))));
    assert!(reg.remove(b"/service/b").is_ok());
    assert!(wait_until(Duration::from_secs(5), || view(&d).len() == 1));
    let got = log.lock().unwrap().clone();
    assert!(got.iter().all(|c| c.value.key.starts_with(b"/service/")));
    // Namespaces nest.
    let nested = ns.with_namespace(b"/service");
    let r = call(
        &nested,
        Request::Get {
            key: b("/a"),
            revision: 0,
        },
    );
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.value.key, b("/a"));
}
