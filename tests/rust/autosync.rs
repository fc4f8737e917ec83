//! Endpoint auto-sync (opt-in): a client given one member's endpoint learns the others from the
//! member list, fails over to them when that member dies, and drops removed members.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{Client, ClientOptions, KeepAlive, KeyRange, Request, Watcher};

use crate::etcd::{wait_until, Cluster};
use crate::{b, call, prefix};

/// `http://127.0.0.1:p` as the client lists it (`127.0.0.1:p`).
fn authority(endpoint: &str) -> String {
    endpoint.split("://").last().unwrap().to_string()
}

fn all_members(cl: &Cluster, n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| authority(&cl.endpoint(i))).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn put(c: &Client, key: &str, value: &str) -> etcd_cpp_rs::core::Response {
    call(
        c,
        Request::Put {
            key: b(key),
            value: b(value),
            lease: 0,
        },
    )
}

/// Collects the values a watcher delivers.
fn watch_values(c: &Client, p: &str) -> (Watcher, Arc<Mutex<Vec<Vec<u8>>>>) {
    let seen = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let s = seen.clone();
    let w = Watcher::new(c, KeyRange::prefix(b(p)), 0, move |r| {
        for e in r.events {
            s.lock().unwrap().push(e.kv.unwrap().value);
        }
    });
    (w, seen)
}

/// Puts `value` under `key` until the watcher has seen it (the watch may still be starting).
fn put_until_seen(c: &Client, key: &str, value: &str, seen: &Mutex<Vec<Vec<u8>>>) -> bool {
    wait_until(Duration::from_secs(15), || {
        if !seen.lock().unwrap().contains(&b(value)) {
            let _ = put(c, key, value);
        }
        seen.lock().unwrap().contains(&b(value))
    })
}

#[test]
fn auto_sync_learns_the_members_and_survives_the_first_ones_death() {
    let mut cl = Cluster::start(3);
    let p = prefix("auto_sync_learns");
    let options = ClientOptions {
        auto_sync_interval: Some(Duration::from_millis(200)),
        ..ClientOptions::default()
    };
    let c = Client::new(&cl.endpoint(0), options);
    let all = all_members(&cl, 3);
    assert!(
        wait_until(Duration::from_secs(10), || sorted(c.endpoints()) == all),
        "the client learned {:?}, not {all:?}",
        c.endpoints()
    );
    let (w, seen) = watch_values(&c, &p);
    assert!(put_until_seen(&c, &format!("{p}k"), "before", &seen));

    cl.kill(0);
    // Calls in flight while the survivors elect a new leader may time out in etcd itself; what
    // is tested is that the learned members serve once they have one.
    assert!(wait_until(Duration::from_secs(20), || {
        matches!(cl.leader(), Some(i) if i != 0)
    }));
    // Every call still succeeds: the dead member is skipped for the learned ones.
    for i in 0..10 {
        let r = put(&c, &format!("{p}k{i}"), &format!("after-{i}"));
        assert!(r.is_ok(), "put {i} after the kill: {r:?}");
        let g = call(
            &c,
            Request::Get {
                key: b(&format!("{p}k{i}")),
                revision: 0,
            },
        );
        assert!(g.is_ok(), "get {i} after the kill: {g:?}");
        assert_eq!(g.value.value, b(&format!("after-{i}")));
    }
    assert!(
        wait_until(Duration::from_secs(15), || {
            (0..10).all(|i| seen.lock().unwrap().contains(&b(&format!("after-{i}"))))
        }),
        "the watcher saw {:?}",
        seen.lock().unwrap().len()
    );
    // The killed member is still a member: syncing through the others keeps all three.
    assert_eq!(sorted(c.endpoints()), all);
    w.cancel();
}

#[test]
fn explicit_sync_moves_streams_to_the_learned_members() {
    let mut cl = Cluster::start(3);
    let p = prefix("explicit_sync");
    // Auto-sync off: the list stays as given.
    let c = Client::new(&cl.endpoint(0), ClientOptions::default());
    let only = vec![authority(&cl.endpoint(0))];
    let ka = KeepAlive::new(&c, 2, 0, None);
    assert!(ka.lease() != 0);
    let (w, seen) = watch_values(&c, &p);
    // Both streams now run on member 0, the only endpoint.
    assert!(put_until_seen(&c, &format!("{p}k"), "first", &seen));
    let watched_from = Instant::now();
    while watched_from.elapsed() < Duration::from_secs(1) {
        assert_eq!(
            c.endpoints(),
            only,
            "without auto-sync the list stays as given"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let r = call(&c, Request::SyncEndpoints);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.action, "syncendpoints");
    assert_eq!(r.members.len(), 3);
    assert_eq!(sorted(c.endpoints()), all_members(&cl, 3));

    cl.kill(0);
    // Calls in flight while the survivors elect a new leader may time out in etcd itself; what
    // is tested is that the learned members serve once they have one.
    assert!(wait_until(Duration::from_secs(20), || {
        matches!(cl.leader(), Some(i) if i != 0)
    }));
    for i in 0..5 {
        assert!(
            put_until_seen(&c, &format!("{p}k{i}"), &format!("after-{i}"), &seen),
            "the watcher moved to a learned member (value {i})"
        );
    }
    // The lease outlives twice its TTL with its keep-alive on a learned member.
    let key = format!("{p}leased");
    assert!(call(
        &c,
        Request::Put {
            key: b(&key),
            value: b("v"),
            lease: ka.lease()
        }
    )
    .is_ok());
    let since = Instant::now();
    while since.elapsed() < Duration::from_secs(5) {
        let g = call(
            &c,
            Request::Get {
                key: b(&key),
                revision: 0,
            },
        );
        assert!(g.is_ok(), "the leased key expired: {g:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(ka.check().is_none());
    w.cancel();
}

#[test]
fn auto_sync_drops_removed_members() {
    let cl = Cluster::start(3);
    let options = ClientOptions {
        auto_sync_interval: Some(Duration::from_millis(200)),
        ..ClientOptions::default()
    };
    let c = Client::new(&cl.endpoints(), options);
    let list = call(&c, Request::MemberList);
    assert!(list.is_ok(), "{list:?}");
    let victim = list
        .members
        .iter()
        .find(|m| m.name == "m2")
        .expect("member m2")
        .id;
    // etcd refuses to remove a member until every member has been connected for a while
    // ("unhealthy cluster").
    let mut r = None;
    assert!(
        wait_until(Duration::from_secs(20), || {
            let got = call(&c, Request::MemberRemove { id: victim });
            let ok = got.is_ok();
            r = Some(got);
            ok
        }),
        "{r:?}"
    );
    let left = all_members(&cl, 2);
    assert!(
        wait_until(Duration::from_secs(10), || sorted(c.endpoints()) == left),
        "the client still lists {:?}",
        c.endpoints()
    );
    // The remaining two serve (after a new election if the removed member led).
    let key = format!("{}k", prefix("auto_sync_drops"));
    assert!(wait_until(Duration::from_secs(15), || put(&c, &key, "v").is_ok()));
}

#[test]
fn auto_sync_keeps_tls_settings() {
    let cl = Cluster::start_with(3, &[], true);
    let options = ClientOptions {
        auto_sync_interval: Some(Duration::from_millis(200)),
        ..cl.client_options()
    };
    let c = Client::new(&cl.endpoint(0), options);
    let all = all_members(&cl, 3);
    assert!(
        wait_until(Duration::from_secs(10), || sorted(c.endpoints()) == all),
        "the client learned {:?}",
        c.endpoints()
    );
    // Each learned member answers over TLS with the client certificate.
    for ep in &all {
        let r = call(
            &c,
            Request::Status {
                endpoint: ep.clone(),
            },
        );
        assert!(r.is_ok(), "status of {ep}: {r:?}");
    }
}
