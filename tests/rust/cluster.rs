//! Three-member clusters: fail-over of calls, keep-alives and watchers across member failures.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{Client, ClientOptions, KeepAlive, KeyRange, Request, Watcher};

use crate::etcd::{wait_until, Cluster};
use crate::{b, call};

#[test]
fn calls_fail_over_from_dead_endpoints() {
    let mut cl = Cluster::start(3);
    // A dead endpoint listed first, then the members.
    let spec = format!("{};{}", Cluster::dead_endpoint(), cl.endpoints());
    let c = Client::new(&spec, ClientOptions::default());
    for i in 0..20 {
        let r = call(
            &c,
            Request::Put {
                key: b(&format!("/failover/{i}")),
                value: b("v"),
                lease: 0,
            },
        );
        assert!(r.is_ok(), "put {i}: {r:?}");
        assert!(call(
            &c,
            Request::Get {
                key: b(&format!("/failover/{i}")),
                revision: 0
            }
        )
        .is_ok());
    }
    cl.kill(0);
    let ok = (0..20)
        .filter(|i| {
            call(
                &c,
                Request::Get {
                    key: b(&format!("/failover/{i}")),
                    revision: 0,
                },
            )
            .is_ok()
        })
        .count();
    assert_eq!(
        ok, 20,
        "with two of four endpoints dead every call still succeeds"
    );
}

#[test]
fn keepalive_and_watcher_survive_member_restarts() {
    let mut cl = Cluster::start(3);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    let ka = KeepAlive::new(&c, 4, 0, None);
    let key = b("/survive/registered");
    assert!(call(
        &c,
        Request::Put {
            key: key.clone(),
            value: b("host:1"),
            lease: ka.lease()
        }
    )
    .is_ok());

    let seen = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b("/survive/seq/")), 0, move |r| {
        for e in r.events {
            s.lock().unwrap().push(e.kv.unwrap().value);
        }
    });
    let mut n = 0;
    let put = |c: &Client, n: &mut i32| {
        let r = call(
            c,
            Request::Put {
                key: b("/survive/seq/k"),
                value: b(&n.to_string()),
                lease: 0,
            },
        );
        if r.is_ok() {
            *n += 1;
        }
    };
    assert!(wait_until(Duration::from_secs(10), || {
        if seen.lock().unwrap().is_empty() {
            put(&c, &mut n);
        }
        !seen.lock().unwrap().is_empty()
    }));
    for victim in 0..3 {
        cl.kill(victim);
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            put(&c, &mut n);
        }
        cl.restart(victim);
    }
    let total = n as usize;
    assert!(
        wait_until(Duration::from_secs(20), || seen.lock().unwrap().len()
            >= total),
        "watcher saw {} of {total}",
        seen.lock().unwrap().len()
    );
    let got = seen.lock().unwrap().clone();
    let expected: Vec<Vec<u8>> = (0..total).map(|i| b(&i.to_string())).collect();
    assert_eq!(
        got, expected,
        "every acknowledged put seen exactly once, in order"
    );
    assert!(
        call(&c, Request::Get { key, revision: 0 }).is_ok(),
        "the lease outlived 15 s of member restarts"
    );
    assert!(ka.check().is_none());
    w.cancel();
}

#[test]
fn frozen_member_is_left_behind() {
    let cl = Cluster::start(3);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    let seen = Arc::new(Mutex::new(0usize));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b("/frozen/")), 0, move |r| {
        *s.lock().unwrap() += r.events.len()
    });
    let writer = Client::new(&cl.endpoints(), ClientOptions::default());
    assert!(wait_until(Duration::from_secs(10), || {
        call(
            &writer,
            Request::Put {
                key: b("/frozen/k"),
                value: b("0"),
                lease: 0,
            },
        );
        *seen.lock().unwrap() > 0
    }));
    for i in 0..3 {
        cl.freeze(i, true);
    }
    // Thaw two: the watcher's member may still be the frozen one, and must be left behind.
    cl.freeze(1, false);
    cl.freeze(2, false);
    let before = *seen.lock().unwrap();
    let t = Instant::now();
    assert!(
        wait_until(Duration::from_secs(40), || {
            call(
                &writer,
                Request::Put {
                    key: b("/frozen/k"),
                    value: b("1"),
                    lease: 0,
                },
            );
            *seen.lock().unwrap() > before
        }),
        "the watcher resumed on a live member"
    );
    eprintln!("watch resumed {:?} after the freeze", t.elapsed());
    cl.freeze(0, false);
    w.cancel();
}

#[test]
fn keepalives_sharing_a_stream_survive_the_loss_of_its_member() {
    use crate::keepalive::{assert_alive_for, open_keepalive_streams};
    let mut cl = Cluster::start(3);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    const TTL: i64 = 4;
    let heard = Arc::new(Mutex::new(Vec::<String>::new()));
    let kas: Vec<KeepAlive> = (0..5)
        .map(|_| {
            let h = heard.clone();
            KeepAlive::new(
                &c,
                TTL,
                0,
                Some(Box::new(move |e| h.lock().unwrap().push(e.message))),
            )
        })
        .collect();
    let leases: Vec<i64> = kas.iter().map(KeepAlive::lease).collect();
    assert!(leases.iter().all(|&l| l != 0));
    let open = |cl: &Cluster, i: usize| open_keepalive_streams(&cl.endpoint(i)).unwrap_or(0.0);
    // One member carries the one stream of the five keep-alives.
    let mut holder = None;
    assert!(
        wait_until(Duration::from_secs(10), || {
            let per: Vec<f64> = (0..3).map(|i| open(&cl, i)).collect();
            holder = per.iter().position(|&n| n == 1.0);
            per.iter().sum::<f64>() == 1.0
        }),
        "one LeaseKeepAlive stream in the cluster"
    );
    let holder = holder.unwrap();
    cl.kill(holder);
    // The stream moves to a surviving member and every lease lives on.
    let survivors: Vec<usize> = (0..3).filter(|&i| i != holder).collect();
    assert!(
        wait_until(Duration::from_secs(15), || survivors
            .iter()
            .map(|&i| open(&cl, i))
            .sum::<f64>()
            == 1.0),
        "the stream reopened on a surviving member"
    );
    assert_alive_for(&c, &leases, Duration::from_secs(3 * TTL as u64));
    let errors = heard.lock().unwrap().clone();
    assert!(errors.is_empty(), "{errors:?}");
    for ka in &kas {
        assert!(ka.check().is_none());
    }
}
