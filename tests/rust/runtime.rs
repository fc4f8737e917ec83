//! The threading model: callbacks off the runtime, per-watcher order, no thread per watcher.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use etcd_cpp_rs::core::{KeepAlive, KeyRange, Request, Watcher};

use crate::etcd::wait_until;
use crate::{b, call, client, prefix};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn idle_watchers_and_keepalives_own_no_threads() {
    let c = client();
    call(&c, Request::Head);
    let before = threads();
    let p = prefix("idle");
    let watchers: Vec<Watcher> = (0..100)
        .map(|i| Watcher::new(&c, KeyRange::prefix(b(&format!("{p}{i}/"))), 0, |_| {}))
        .collect();
    let kas: Vec<KeepAlive> = (0..100).map(|_| KeepAlive::new(&c, 10, 0, None)).collect();
    let after = threads();
    eprintln!("threads: {before} before, {after} with 100 watchers and 100 keep-alives");
    // Other tests of this binary run at the same time and may add a few threads of their own.
    assert!(after < before + 20, "threads grew from {before} to {after}");
    drop(watchers);
    drop(kas);
}

#[test]
fn slow_callback_does_not_hold_up_other_watchers_and_may_block() {
    let c = client();
    let p = prefix("slow");
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let g = gate.clone();
    let slow_entered = Arc::new(AtomicUsize::new(0));
    let se = slow_entered.clone();
    let slow = Watcher::new(
        &c,
        KeyRange::prefix(b(&format!("{p}slow/"))),
        0,
        move |_| {
            se.fetch_add(1, Ordering::SeqCst);
            let (m, cv) = &*g;
            let mut open = m.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
        },
    );
    let fast_seen = Arc::new(AtomicUsize::new(0));
    let fs = fast_seen.clone();
    let c2 = c.clone();
    let fast = Watcher::new(&c, KeyRange::prefix(b(&format!("{p}fast/"))), 0, move |r| {
        // A callback may call the blocking API.
        let got = c2.execute_blocking(Request::Get {
            key: r.value.key.clone(),
            revision: 0,
        });
        assert!(got.is_ok());
        assert_eq!(std::thread::current().name(), Some("etcd-cb"));
        fs.fetch_add(1, Ordering::SeqCst);
    });
    assert!(wait_until(Duration::from_secs(10), || {
        call(
            &c,
            Request::Put {
                key: b(&format!("{p}slow/k")),
                value: b("x"),
                lease: 0,
            },
        );
        slow_entered.load(Ordering::SeqCst) > 0
    }));
    assert!(
        wait_until(Duration::from_secs(10), || {
            call(
                &c,
                Request::Put {
                    key: b(&format!("{p}fast/k")),
                    value: b("x"),
                    lease: 0,
                },
            );
            fast_seen.load(Ordering::SeqCst) >= 3
        }),
        "the fast watcher was held up by the slow one"
    );
    let (m, cv) = &*gate;
    *m.lock().unwrap() = true;
    cv.notify_all();
    fast.cancel();
    slow.cancel();
}

#[test]
fn async_calls_in_flight_hold_no_threads() {
    let c = client();
    call(&c, Request::Head);
    let before = threads();
    let done = Arc::new(AtomicUsize::new(0));
    let p = prefix("inflight");
    // One-shot watches stay in flight until their key changes.
    for i in 0..100 {
        let d = done.clone();
        c.execute_async(
            Request::Watch {
                range: KeyRange::key(b(&format!("{p}{i}"))),
                from_revision: 0,
            },
            move |_| {
                d.fetch_add(1, Ordering::SeqCst);
            },
        );
    }
    let during = threads();
    eprintln!("threads: {before} before, {during} with 100 calls in flight");
    assert!(during < before + 20);
    assert!(wait_until(Duration::from_secs(20), || {
        for i in 0..100 {
            call(
                &c,
                Request::Put {
                    key: b(&format!("{p}{i}")),
                    value: b("x"),
                    lease: 0,
                },
            );
        }
        done.load(Ordering::SeqCst) == 100
    }));
}
