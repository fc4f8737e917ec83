//! What users rely on at the edges: no event lost right after a watcher is created, keep-alives
//! that report a lease they could not get, quiet watchers that outlive compaction, failures that
//! retrying cannot fix ending streams, error codes and actions, and endpoints that stop answering.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{
    Client, ClientOptions, KeepAlive, KeepAliveErrorKind, KeyRange, Request, Response, Watcher,
};

use crate::etcd::{wait_until, Cluster};
use crate::{b, call, client, prefix, single};

/// Creates a watcher and writes its key right after the constructor returns, `rounds` times;
/// returns how many of those writes never reached the callback.
fn create_then_write(rounds: usize, make_client: impl Fn() -> Client, p: &str) -> usize {
    let writer = client();
    let mut missed = 0;
    for i in 0..rounds {
        let key = b(&format!("{p}{i}"));
        let got = Arc::new(AtomicUsize::new(0));
        let g = got.clone();
        let c = make_client();
        let w = Watcher::new(&c, KeyRange::key(key.clone()), 0, move |r| {
            g.fetch_add(r.events.len(), Ordering::SeqCst);
        });
        assert!(call(
            &writer,
            Request::Put {
                key,
                value: b("v"),
                lease: 0
            }
        )
        .is_ok());
        if !wait_until(Duration::from_secs(5), || got.load(Ordering::SeqCst) > 0) {
            missed += 1;
        }
        w.cancel();
    }
    missed
}

#[test]
fn a_write_right_after_the_watcher_constructor_is_delivered() {
    let shared = client();
    let p = prefix("barrier_shared");
    let missed = create_then_write(500, || shared.clone(), &p);
    assert_eq!(missed, 0, "writes missed by watchers of one shared client");
    // A client per watcher, as etcd-cpp-apiv3's address constructors make.
    let p = prefix("barrier_own");
    let ep = single().endpoints();
    let missed = create_then_write(200, || Client::new(&ep, ClientOptions::default()), &p);
    assert_eq!(
        missed, 0,
        "writes missed by watchers with a client of their own"
    );
}

#[test]
fn a_watcher_constructor_returns_within_the_connect_timeout_when_nothing_answers() {
    let opts = ClientOptions {
        connect_timeout: Duration::from_millis(500),
        ..ClientOptions::default()
    };
    let c = Client::new(&Cluster::dead_endpoint(), opts);
    let t = Instant::now();
    let w = Watcher::new(&c, KeyRange::key(b("/nothing")), 0, |_| {});
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "constructor took {:?}",
        t.elapsed()
    );
    assert!(!w.confirmed());
    assert!(
        !w.ended(),
        "an unreachable cluster is transient: the watcher keeps trying"
    );
}

/// A keep-alive's error and how often its handler ran.
fn failed_keepalive(c: &Client) -> (KeepAlive, Arc<Mutex<Vec<String>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let k = calls.clone();
    let ka = KeepAlive::new(
        c,
        3,
        0,
        Some(Box::new(move |e| k.lock().unwrap().push(e.message))),
    );
    (ka, calls)
}

fn assert_failed_from_the_start(ka: &KeepAlive, calls: &Mutex<Vec<String>>, why: &str) {
    assert_eq!(ka.lease(), 0);
    let e = ka.check().expect("check reports the failed grant");
    assert_eq!(e.kind, KeepAliveErrorKind::Runtime);
    assert!(
        e.message
            .starts_with("Failed to grant the lease: error code: "),
        "{}",
        e.message
    );
    assert!(e.message.contains(why), "{} does not say {why}", e.message);
    assert!(
        wait_until(Duration::from_secs(5), || calls.lock().unwrap().len() == 1),
        "handler not called"
    );
    assert_eq!(calls.lock().unwrap()[0], e.message);
    assert!(ka.check().is_some(), "the error stays");
    assert_eq!(calls.lock().unwrap().len(), 1, "the handler runs once");
}

#[test]
fn a_keepalive_whose_lease_cannot_be_granted_is_failed() {
    let opts = ClientOptions {
        connect_timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    };
    let c = Client::new(&Cluster::dead_endpoint(), opts);
    let (ka, calls) = failed_keepalive(&c);
    assert_failed_from_the_start(&ka, &calls, "error code: 14");
}

#[test]
fn a_keepalive_with_a_wrong_password_or_ca_is_failed() {
    let cl = Cluster::start_with(1, &[], false);
    crate::security::enable_auth(&cl);
    let wrong = ClientOptions {
        user: Some(("app".into(), "nope".into())),
        ..ClientOptions::default()
    };
    let c = Client::new(&cl.endpoints(), wrong);
    let (ka, calls) = failed_keepalive(&c);
    assert_failed_from_the_start(&ka, &calls, "authentication failed");

    let tls = Cluster::start_with(1, &[], true);
    let mut opts = tls.client_options();
    let certs = tls.certs().unwrap().clone();
    opts.tls.as_mut().unwrap().ca = certs.client_cert.clone();
    let c = Client::new(&tls.endpoints(), opts);
    let (ka, calls) = failed_keepalive(&c);
    assert_failed_from_the_start(&ka, &calls, "TLS handshake failed");
}

#[test]
fn a_watcher_with_a_rejected_certificate_ends_with_the_reason() {
    let tls = Cluster::start_with(1, &[], true);
    let certs = tls.certs().unwrap().clone();
    let mut opts = tls.client_options();
    opts.tls.as_mut().unwrap().ca = certs.client_cert.clone();
    let c = Client::new(&tls.endpoints(), opts);
    let seen = Arc::new(Mutex::new(Vec::<Response>::new()));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b("/tls")), 0, move |r| {
        s.lock().unwrap().push(r)
    });
    assert!(
        wait_until(Duration::from_secs(10), || w.ended()),
        "the watcher keeps retrying a rejected certificate"
    );
    assert!(!w.wait(), "ended by the failure, not cancelled");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].error_code, 14, "{:?}", seen[0]);
    assert!(
        seen[0].error_message.starts_with("TLS handshake failed"),
        "{}",
        seen[0].error_message
    );

    // A plain-text client of a TLS server is told so, and its watchers end.
    let plain = Client::new(
        &tls.endpoints().replace("https://", "http://"),
        ClientOptions::default(),
    );
    let r = call(
        &plain,
        Request::Get {
            key: b("/k"),
            revision: 0,
        },
    );
    assert_eq!((r.error_code, r.action.as_str()), (14, "get"), "{r:?}");
    assert!(
        r.error_message.contains("speaks TLS"),
        "{}",
        r.error_message
    );
    let w = Watcher::new(&plain, KeyRange::prefix(b("/tls")), 0, |_| {});
    assert!(wait_until(Duration::from_secs(10), || w.ended()));
    // A failure on a plain server is not mistaken for TLS.
    let mut cl = Cluster::start(1);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    assert!(call(&c, Request::Head).is_ok());
    cl.kill(0);
    let r = call(
        &c,
        Request::Get {
            key: b("/k"),
            revision: 0,
        },
    );
    assert!(!r.error_message.contains("TLS"), "{}", r.error_message);
}

#[test]
fn a_watcher_with_a_wrong_password_ends() {
    let cl = Cluster::start_with(1, &[], false);
    crate::security::enable_auth(&cl);
    let wrong = ClientOptions {
        user: Some(("app".into(), "nope".into())),
        ..ClientOptions::default()
    };
    let c = Client::new(&cl.endpoints(), wrong);
    let seen = Arc::new(Mutex::new(Vec::<Response>::new()));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b("/app/")), 0, move |r| {
        s.lock().unwrap().push(r)
    });
    assert!(wait_until(Duration::from_secs(10), || w.ended()));
    assert!(!w.wait());
    let r = seen.lock().unwrap()[0].clone();
    assert_eq!(r.error_code, 3, "{r:?}");
    assert!(
        r.error_message.contains("authentication failed"),
        "{}",
        r.error_message
    );
}

/// Compacts the cluster's history up to its current revision.
fn compact_to_head(c: &Client, endpoints: &str) -> i64 {
    let head = call(c, Request::Head).index;
    let ep = endpoints.split(',').next().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut raw = etcd_client::Client::connect([ep], None).await.unwrap();
        raw.compact(
            head,
            Some(etcd_client::CompactionOptions::new().with_physical()),
        )
        .await
        .unwrap();
    });
    head
}

#[test]
fn a_quiet_watcher_survives_compaction_and_a_restart() {
    let mut cl = Cluster::start(1);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    let seen = Arc::new(Mutex::new(Vec::<Response>::new()));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b("/quiet/")), 0, move |r| {
        s.lock().unwrap().push(r)
    });
    assert!(w.confirmed());
    for i in 0..1000 {
        assert!(call(
            &c,
            Request::Put {
                key: b(&format!("/busy/{}", i % 10)),
                value: b("x"),
                lease: 0
            }
        )
        .is_ok());
    }
    let head = call(&c, Request::Head).index;
    // Progress notifications move the quiet watcher to the latest revision.
    assert!(
        wait_until(Duration::from_secs(20), || w.resume_revision() > head),
        "resume revision {} stayed behind {head}",
        w.resume_revision()
    );
    compact_to_head(&c, &cl.endpoints());
    cl.restart(0);
    assert!(call(
        &c,
        Request::Put {
            key: b("/quiet/k"),
            value: b("after"),
            lease: 0
        }
    )
    .is_ok());
    assert!(
        wait_until(Duration::from_secs(20), || !seen.lock().unwrap().is_empty()),
        "no event after the restart"
    );
    let first = seen.lock().unwrap()[0].clone();
    assert!(first.is_ok(), "{first:?}");
    assert_eq!(first.events[0].kv.as_ref().unwrap().value, b("after"));
    assert!(!w.ended());
}

#[test]
fn a_watcher_whose_resume_revision_was_compacted_ends_with_11() {
    // A cluster of its own: compaction would disturb the other tests' history.
    let cl = Cluster::start(1);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    let p = prefix("compacted");
    let first = call(
        &c,
        Request::Put {
            key: b(&format!("{p}k")),
            value: b("1"),
            lease: 0,
        },
    );
    call(
        &c,
        Request::Put {
            key: b(&format!("{p}k")),
            value: b("2"),
            lease: 0,
        },
    );
    compact_to_head(&c, &cl.endpoints());
    let seen = Arc::new(Mutex::new(Vec::<Response>::new()));
    let s = seen.clone();
    let w = Watcher::new(&c, KeyRange::prefix(b(&p)), first.index, move |r| {
        s.lock().unwrap().push(r)
    });
    assert!(!w.wait());
    let r = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (r.error_code, r.error_message.as_str()),
        (11, "required revision has been compacted")
    );
}

#[test]
fn errors_carry_their_action() {
    let c = client();
    let p = prefix("actions");
    let missing = call(
        &c,
        Request::Get {
            key: b(&format!("{p}none")),
            revision: 0,
        },
    );
    assert_eq!((missing.error_code, missing.action.as_str()), (100, "get"));
    let held = call(
        &c,
        Request::Lock {
            name: b(&format!("{p}lock")),
            ttl: 10,
        },
    );
    assert!(held.is_ok());
    let other = client();
    other.set_timeout_ms(300);
    let timed_out = call(
        &other,
        Request::Lock {
            name: b(&format!("{p}lock")),
            ttl: 10,
        },
    );
    assert_eq!(
        (timed_out.error_code, timed_out.action.as_str()),
        (4, "lock"),
        "{timed_out:?}"
    );
    call(&c, Request::Unlock { key: held.lock_key });
    let dead = Client::new(&Cluster::dead_endpoint(), ClientOptions::default());
    for (req, act) in [
        (
            Request::Put {
                key: b("k"),
                value: b("v"),
                lease: 0,
            },
            "set",
        ),
        (Request::Rm { key: b("k") }, "delete"),
        (Request::LeaseGrant { ttl: 5 }, "leasegrant"),
        (Request::MemberList, "listmember"),
    ] {
        let r = call(&dead, req);
        assert_eq!((r.error_code, r.action.as_str()), (14, act), "{r:?}");
        assert!(!r.error_message.is_empty());
    }
}

#[test]
fn a_call_cut_off_by_a_dying_member_returns_14() {
    let mut cl = Cluster::start(1);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    let held = call(
        &c,
        Request::Lock {
            name: b("/cut/lock"),
            ttl: 30,
        },
    );
    assert!(held.is_ok());
    let c2 = c.clone();
    let waiting = std::thread::spawn(move || {
        call(
            &c2,
            Request::Lock {
                name: b("/cut/lock"),
                ttl: 30,
            },
        )
    });
    // The second lock waits on the server until the member dies.
    let waiters = || {
        call(
            &c,
            Request::Range {
                range: KeyRange::prefix(b("/cut/lock")),
                limit: 0,
                revision: 0,
                keys_only: true,
            },
        )
        .values
        .len()
    };
    assert!(
        wait_until(Duration::from_secs(10), || waiters() == 2),
        "second lock never queued"
    );
    cl.kill(0);
    let r = waiting.join().unwrap();
    assert_eq!((r.error_code, r.action.as_str()), (14, "lock"), "{r:?}");
    assert!(
        r.error_message
            .starts_with("the connection to the etcd server broke: "),
        "{}",
        r.error_message
    );
}

#[test]
fn a_frozen_member_costs_at_most_one_timed_out_call() {
    let cl = Cluster::start(3);
    let c = Client::new(&cl.endpoints(), ClientOptions::default());
    c.set_timeout_ms(2000);
    assert!(call(
        &c,
        Request::Put {
            key: b("/frozen/warm"),
            value: b("v"),
            lease: 0
        }
    )
    .is_ok());
    // A follower: freezing the leader would also cost the cluster an election, which is not
    // what is measured here.
    let frozen = (cl.leader().expect("a leader") + 1) % 3;
    cl.freeze(frozen, true);
    let start = Instant::now();
    let mut failed = 0;
    let mut done = 0;
    // Writes and reads alternate for as long as the freeze lasts in this test.
    while start.elapsed() < Duration::from_secs(12) {
        let r = if done % 2 == 0 {
            call(
                &c,
                Request::Put {
                    key: b(&format!("/frozen/{done}")),
                    value: b("v"),
                    lease: 0,
                },
            )
        } else {
            call(
                &c,
                Request::Get {
                    key: b("/frozen/warm"),
                    revision: 0,
                },
            )
        };
        if !r.is_ok() {
            eprintln!(
                "call {done} at {:?}: {} {} after {:?}",
                start.elapsed(),
                r.error_code,
                r.error_message,
                r.duration
            );
            failed += 1;
        }
        done += 1;
    }
    cl.freeze(frozen, false);
    assert!(done > 50, "only {done} calls in 12 s");
    assert!(
        failed <= 1,
        "{failed} of {done} calls failed with one member of three frozen"
    );
}
