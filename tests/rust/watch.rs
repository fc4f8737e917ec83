//! One-shot watches and the long-lived Watcher.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{EventType, KeyRange, Request, Response, Watcher};

use crate::etcd::wait_until;
use crate::{b, call, client, prefix};

fn collector() -> (
    Arc<Mutex<Vec<Response>>>,
    impl Fn(Response) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    (seen, move |r| s.lock().unwrap().push(r))
}

fn event_count(seen: &Mutex<Vec<Response>>) -> usize {
    seen.lock().unwrap().iter().map(|r| r.events.len()).sum()
}

#[test]
fn one_shot_watch_from_revision_and_future() {
    let c = client();
    let p = prefix("one_shot");
    let put = call(
        &c,
        Request::Put {
            key: b(&format!("{p}k")),
            value: b("v1"),
            lease: 0,
        },
    );
    let r = call(
        &c,
        Request::Watch {
            range: KeyRange::prefix(b(&p)),
            from_revision: put.index,
        },
    );
    assert_eq!((r.error_code, r.action.as_str()), (0, "create"));
    assert_eq!(r.value.value, b("v1"));
    assert_eq!(r.value.ttl, -1);
    assert_eq!(r.events.len(), 1);
    assert!(r.watch_id >= 0);
    let future = call(
        &c,
        Request::Watch {
            range: KeyRange::key(b(&format!("{p}k"))),
            from_revision: put.index + 1000,
        },
    );
    assert!(future.is_ok() && future.events.is_empty());
}

#[test]
fn watcher_delivers_in_order_with_prev_values() {
    let c = client();
    let p = prefix("watch_order");
    let (seen, cb) = collector();
    let w = Watcher::new(&c, KeyRange::prefix(b(&p)), 0, cb);
    // The watch is established asynchronously; a put made right away may predate it, so wait
    // for a first event before counting.
    assert!(wait_until(Duration::from_secs(10), || {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}probe")),
                value: b("x"),
                lease: 0,
            },
        );
        event_count(&seen) > 0
    }));
    for i in 0..200 {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}k")),
                value: b(&i.to_string()),
                lease: 0,
            },
        );
    }
    call(
        &c,
        Request::Rm {
            key: b(&format!("{p}k")),
        },
    );
    let key = b(&format!("{p}k"));
    let of_key = |seen: &Mutex<Vec<Response>>| -> Vec<etcd_cpp_rs::core::Event> {
        seen.lock()
            .unwrap()
            .iter()
            .flat_map(|r| r.events.clone())
            .filter(|e| e.kv.as_ref().is_some_and(|kv| kv.key == key))
            .collect()
    };
    assert!(wait_until(Duration::from_secs(10), || of_key(&seen).len() >= 201));
    let events = of_key(&seen);
    let values: Vec<Vec<u8>> = events[..200]
        .iter()
        .map(|e| e.kv.clone().unwrap().value)
        .collect();
    assert_eq!(
        values,
        (0..200).map(|i| b(&i.to_string())).collect::<Vec<_>>()
    );
    let del = &events[200];
    assert_eq!(del.event_type, EventType::Delete);
    assert_eq!(del.prev_kv.as_ref().unwrap().value, b("199"));
    assert!(del.kv.as_ref().unwrap().value.is_empty());
    assert!(w.cancel());
}

#[test]
fn cancel_is_prompt_and_final() {
    let c = client();
    let p = prefix("cancel");
    let count = Arc::new(AtomicUsize::new(0));
    let n = count.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b(&p)), 0, move |_| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    assert!(wait_until(Duration::from_secs(10), || {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}k")),
                value: b("x"),
                lease: 0,
            },
        );
        count.load(Ordering::SeqCst) > 0
    }));
    let t = Instant::now();
    assert!(w.cancel());
    assert!(t.elapsed() < Duration::from_millis(500));
    let after = count.load(Ordering::SeqCst);
    for _ in 0..20 {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}k")),
                value: b("y"),
                lease: 0,
            },
        );
    }
    // Watch a second watcher see those puts, so the first had every chance to misbehave.
    let seen2 = call(
        &c,
        Request::Watch {
            range: KeyRange::prefix(b(&p)),
            from_revision: 1,
        },
    );
    assert!(seen2.is_ok());
    assert_eq!(
        count.load(Ordering::SeqCst),
        after,
        "no callback after cancel returned"
    );
    assert!(w.cancelled() && w.wait());
}

#[test]
fn cancel_from_own_callback_and_wait_callback() {
    let c = client();
    let p = prefix("self_cancel");
    let slot: Arc<Mutex<Option<Watcher>>> = Arc::new(Mutex::new(None));
    let ended = Arc::new(Mutex::new(None::<bool>));
    let s = slot.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b(&p)), 0, move |_| {
        // Dropping the watcher from inside its own callback cancels it without deadlock.
        let taken = s.lock().unwrap().take();
        drop(taken);
    });
    let e = ended.clone();
    assert!(w.set_wait_callback(move |cancelled| *e.lock().unwrap() = Some(cancelled)));
    assert!(!w.set_wait_callback(|_| {}), "only one wait callback");
    *slot.lock().unwrap() = Some(w);
    assert!(wait_until(Duration::from_secs(10), || {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}k")),
                value: b("x"),
                lease: 0,
            },
        );
        slot.lock().unwrap().is_none()
    }));
    assert!(wait_until(Duration::from_secs(5), || *ended
        .lock()
        .unwrap()
        == Some(true)));
}

#[test]
fn compacted_start_revision_reports_11() {
    let c = client();
    let p = prefix("compacted");
    let first = call(
        &c,
        Request::Put {
            key: b(&format!("{p}k")),
            value: b("1"),
            lease: 0,
        },
    );
    let last = call(
        &c,
        Request::Put {
            key: b(&format!("{p}k")),
            value: b("2"),
            lease: 0,
        },
    );
    // Compact through etcdctl-free means: the Rust etcd-client directly.
    let ep = crate::single().endpoints();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut cl = etcd_client::Client::connect([ep], None).await.unwrap();
        cl.compact(last.index, None).await.unwrap();
    });
    let (seen, cb) = collector();
    let w = Watcher::new(&c, KeyRange::key(b(&format!("{p}k"))), first.index, cb);
    assert!(wait_until(Duration::from_secs(10), || !seen
        .lock()
        .unwrap()
        .is_empty()));
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (r.error_code, r.error_message.as_str()),
        (11, "required revision has been compacted")
    );
    assert_eq!(r.compact_revision, last.index);
    assert!(!w.wait(), "ended by the server, not cancelled");
    let once = call(
        &c,
        Request::Watch {
            range: KeyRange::key(b(&format!("{p}k"))),
            from_revision: first.index,
        },
    );
    assert_eq!(once.error_code, 11);
}

/// A gauge from etcd's `/metrics` at `endpoint` (http://host:port).
fn metric(endpoint: &str, name: &str) -> Option<f64> {
    crate::etcd::metrics(endpoint)?
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn watchers_of_a_client_share_one_stream_and_each_gets_its_own_events() {
    // A server of its own, so that its stream and watcher counts are this test's alone.
    let cl = crate::etcd::Cluster::start(1);
    let ep = cl.endpoint(0);
    let c = etcd_cpp_rs::core::Client::new(&ep, Default::default());
    let p = prefix("shared");
    let streams = || metric(&ep, "etcd_debugging_mvcc_watch_stream_total");
    let watchers_on_server = || metric(&ep, "etcd_debugging_mvcc_watcher_total");
    assert_eq!(streams(), Some(0.0), "the metric is readable");
    const N: usize = 50;
    let seen: Vec<Arc<Mutex<Vec<Response>>>> = (0..N).map(|_| Arc::default()).collect();
    let mut ws: Vec<Watcher> = (0..N)
        .map(|i| {
            let s = seen[i].clone();
            Watcher::new(&c, KeyRange::prefix(b(&format!("{p}{i}/"))), 0, move |r| {
                s.lock().unwrap().push(r)
            })
        })
        .collect();
    assert_eq!(streams(), Some(1.0), "{N} watchers, one stream");
    assert_eq!(watchers_on_server(), Some(N as f64));
    for round in 0..3 {
        for i in 0..N {
            call(
                &c,
                Request::Put {
                    key: b(&format!("{p}{i}/k")),
                    value: b(&format!("{round}")),
                    lease: 0,
                },
            );
        }
    }
    assert!(wait_until(Duration::from_secs(10), || seen
        .iter()
        .all(|s| event_count(s) == 3)));
    for (i, s) in seen.iter().enumerate() {
        let values: Vec<(Vec<u8>, Vec<u8>)> = s
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.value.key.clone(), r.value.value.clone()))
            .collect();
        let key = b(&format!("{p}{i}/k"));
        assert_eq!(
            values,
            vec![(key.clone(), b("0")), (key.clone(), b("1")), (key, b("2"))],
            "watcher {i}"
        );
    }
    // Cancelling half cancels their watches on the server; the stream stays for the others.
    ws.truncate(N / 2);
    assert!(
        wait_until(Duration::from_secs(10), || watchers_on_server()
            == Some((N / 2) as f64)),
        "{:?} watchers on the server",
        watchers_on_server()
    );
    assert_eq!(streams(), Some(1.0));
    // No watcher left: the stream closes.
    ws.clear();
    assert!(
        wait_until(Duration::from_secs(10), || streams() == Some(0.0)),
        "{:?} streams",
        streams()
    );
    // And a new watcher opens one again.
    let (s, cb) = collector();
    let w = Watcher::new(&c, KeyRange::key(b(&format!("{p}again"))), 0, cb);
    assert_eq!(streams(), Some(1.0));
    call(
        &c,
        Request::Put {
            key: b(&format!("{p}again")),
            value: b("x"),
            lease: 0,
        },
    );
    assert!(wait_until(Duration::from_secs(10), || event_count(&s) == 1));
    drop(w);
}
