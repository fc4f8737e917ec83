//! Transactions, locks, elections and member management.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{
    Client, ClientOptions, CompareResult, CompareTarget, KeyRange, Observer, Request, Transaction,
    TxnCompare, TxnOperation,
};

use crate::etcd::Cluster;
use crate::{b, call, client, prefix};

fn cmp(
    key: &str,
    target: CompareTarget,
    result: CompareResult,
    value: &str,
    number: i64,
) -> TxnCompare {
    TxnCompare {
        range: KeyRange::key(b(key)),
        target,
        result,
        value: b(value),
        number,
    }
}

#[test]
fn transactions() {
    let c = client();
    let p = prefix("txn");
    let k = format!("{p}k");
    call(
        &c,
        Request::Put {
            key: b(&k),
            value: b("1"),
            lease: 0,
        },
    );
    let swap = |expect: &str, new: &str| Transaction {
        compares: vec![cmp(
            &k,
            CompareTarget::Value,
            CompareResult::Equal,
            expect,
            0,
        )],
        success: vec![TxnOperation::Put {
            key: b(&k),
            value: b(new),
            lease: 0,
            prev_kv: true,
        }],
        failure: vec![TxnOperation::Range {
            range: KeyRange::key(b(&k)),
            limit: 0,
        }],
    };
    let ok = call(&c, Request::Txn(swap("1", "2")));
    assert_eq!((ok.error_code, ok.action.as_str()), (0, "txn"));
    assert_eq!(ok.prev_value.value, b("1"));
    let failed = call(&c, Request::Txn(swap("1", "3")));
    assert_eq!(
        (failed.error_code, failed.error_message.as_str()),
        (101, "etcd-cpp-apiv3: compare failed")
    );
    assert_eq!(
        failed.value.value,
        b("2"),
        "a failed compare-and-swap returns the current value"
    );

    // Every comparison target, a range delete and a nested transaction.
    for i in 1..=2 {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}a/{i}")),
                value: b("x"),
                lease: 0,
            },
        );
    }
    let cur = call(
        &c,
        Request::Get {
            key: b(&k),
            revision: 0,
        },
    );
    let t = Transaction {
        compares: vec![
            cmp(&k, CompareTarget::Version, CompareResult::Equal, "", 2),
            cmp(
                &k,
                CompareTarget::Create,
                CompareResult::Less,
                "",
                cur.value.create_revision + 1,
            ),
            cmp(
                &k,
                CompareTarget::Mod,
                CompareResult::Greater,
                "",
                cur.value.create_revision,
            ),
            cmp(&k, CompareTarget::Lease, CompareResult::Equal, "", 0),
            cmp(&k, CompareTarget::Value, CompareResult::NotEqual, "zzz", 0),
        ],
        success: vec![
            TxnOperation::Put {
                key: b(&format!("{p}b")),
                value: b("y"),
                lease: 0,
                prev_kv: false,
            },
            TxnOperation::Txn(Box::new(Transaction {
                compares: vec![],
                success: vec![TxnOperation::Put {
                    key: b(&format!("{p}nested")),
                    value: b("n"),
                    lease: 0,
                    prev_kv: false,
                }],
                failure: vec![],
            })),
            TxnOperation::Delete {
                range: KeyRange::prefix(b(&format!("{p}a/"))),
                prev_kv: true,
            },
        ],
        failure: vec![],
    };
    let r = call(&c, Request::Txn(t));
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.values.len(), 2, "the deleted kvs");
    assert!(call(
        &c,
        Request::Get {
            key: b(&format!("{p}nested")),
            revision: 0
        }
    )
    .is_ok());
}

#[test]
fn locks_exclude_each_other_without_starving() {
    let c = client();
    let name = b(&prefix("lock"));
    let holders = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let (c, name, holders, done) = (c.clone(), name.clone(), holders.clone(), done.clone());
            std::thread::spawn(move || {
                let l = call(&c, Request::Lock { name, ttl: 10 });
                assert_eq!((l.error_code, l.action.as_str()), (0, "lock"), "{l:?}");
                assert!(!l.lock_key.is_empty() && l.value.lease != 0);
                assert_eq!(
                    holders.fetch_add(1, Ordering::SeqCst),
                    0,
                    "two holders at once"
                );
                holders.fetch_sub(1, Ordering::SeqCst);
                let u = call(
                    &c,
                    Request::Unlock {
                        key: l.lock_key.clone(),
                    },
                );
                assert_eq!((u.error_code, u.action.as_str()), (0, "unlock"));
                // unlock revokes the lock's lease.
                assert_eq!(
                    call(&c, Request::LeaseTimeToLive { id: l.value.lease })
                        .value
                        .ttl,
                    -1
                );
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 50);

    // A lock that cannot be had within the timeout gives 4 "gRPC timeout".
    let held = call(
        &c,
        Request::Lock {
            name: name.clone(),
            ttl: 10,
        },
    );
    let c2 = client();
    c2.set_timeout_ms(300);
    let t = Instant::now();
    let r = call(
        &c2,
        Request::Lock {
            name: name.clone(),
            ttl: 10,
        },
    );
    assert_eq!(
        (r.error_code, r.error_message.as_str()),
        (4, "gRPC timeout")
    );
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(call(&c, Request::Unlock { key: held.lock_key }).is_ok());

    let lease = call(&c, Request::LeaseGrant { ttl: 10 }).value.lease;
    let with = call(&c, Request::LockWithLease { name, lease });
    assert!(with.is_ok());
    assert!(call(&c, Request::Unlock { key: with.lock_key }).is_ok());
}

#[test]
fn elections() {
    let c = client();
    let name = b(&prefix("election"));
    let lease = call(&c, Request::LeaseGrant { ttl: 30 }).value.lease;
    let obs = Observer::new(&c, name.clone());
    let won = call(
        &c,
        Request::Campaign {
            name: name.clone(),
            lease,
            value: b("me"),
        },
    );
    assert_eq!((won.error_code, won.action.as_str()), (0, "campaign"));
    assert_eq!(won.name, name);
    assert!(!won.value.key.is_empty() && won.value.created_index_nonzero());
    let first = obs.wait_once();
    assert_eq!(
        (first.action.as_str(), first.value.value.as_slice()),
        ("obverse", &b"me"[..])
    );
    let pr = call(
        &c,
        Request::Proclaim {
            name: name.clone(),
            lease,
            key: won.value.key.clone(),
            revision: won.value.create_revision,
            value: b("me2"),
        },
    );
    assert_eq!((pr.error_code, pr.action.as_str()), (0, "preclaim"));
    assert_eq!(obs.wait_once().value.value, b("me2"));
    let l = call(&c, Request::Leader { name: name.clone() });
    assert_eq!(
        (l.action.as_str(), l.value.value.as_slice()),
        ("leader", &b"me2"[..])
    );
    let rs = call(
        &c,
        Request::Resign {
            name: name.clone(),
            lease,
            key: won.value.key.clone(),
            revision: won.value.create_revision,
        },
    );
    assert_eq!((rs.error_code, rs.action.as_str()), (0, "resign"));
    let none = call(&c, Request::Leader { name });
    assert!(!none.is_ok());
    assert!(
        none.error_message.contains("no leader"),
        "{}",
        none.error_message
    );
}

trait CreatedIndex {
    fn created_index_nonzero(&self) -> bool;
}

impl CreatedIndex for etcd_cpp_rs::core::Kv {
    fn created_index_nonzero(&self) -> bool {
        self.create_revision != 0
    }
}

#[test]
fn members_and_campaign_timeout() {
    let cl = Cluster::start(3);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    let list = call(&c, Request::MemberList);
    assert_eq!((list.error_code, list.action.as_str()), (0, "listmember"));
    assert_eq!(list.members.len(), 3);
    assert!(list
        .members
        .iter()
        .all(|m| !m.is_learner && !m.peer_urls.is_empty() && !m.client_urls.is_empty()));
    // etcd refuses to reconfigure a cluster whose members have not all been connected for 5 s.
    let mut add = call(
        &c,
        Request::MemberAdd {
            peer_urls: vec!["http://127.0.0.1:1".into()],
            learner: true,
        },
    );
    crate::etcd::wait_until(Duration::from_secs(20), || {
        if add.error_message.contains("unhealthy cluster") {
            add = call(
                &c,
                Request::MemberAdd {
                    peer_urls: vec!["http://127.0.0.1:1".into()],
                    learner: true,
                },
            );
        }
        !add.error_message.contains("unhealthy cluster")
    });
    assert_eq!(
        (add.error_code, add.action.as_str()),
        (0, "addmember"),
        "{add:?}"
    );
    assert!(add.members[0].is_learner);
    let list2 = call(&c, Request::MemberList);
    assert_eq!(list2.members.iter().filter(|m| m.is_learner).count(), 1);
    let rm = call(
        &c,
        Request::MemberRemove {
            id: add.members[0].id,
        },
    );
    assert_eq!(
        (rm.error_code, rm.action.as_str()),
        (0, "removemember"),
        "{rm:?}"
    );

    // With a timeout, a campaign that cannot win returns 4 instead of blocking.
    let name = b("/members/election");
    let l1 = call(&c, Request::LeaseGrant { ttl: 30 }).value.lease;
    assert!(call(
        &c,
        Request::Campaign {
            name: name.clone(),
            lease: l1,
            value: b("a")
        }
    )
    .is_ok());
    let l2 = call(&c, Request::LeaseGrant { ttl: 30 }).value.lease;
    c.set_timeout_ms(300);
    let r = call(
        &c,
        Request::Campaign {
            name,
            lease: l2,
            value: b("b"),
        },
    );
    assert_eq!(r.error_code, 4);
}
