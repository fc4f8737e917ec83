//! The background lease refresher.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{Client, KeepAlive, KeepAliveErrorKind, Request};

use crate::etcd::{grpc_counter, wait_until};
use crate::{b, call, client, prefix};

/// The errors a keep-alive's handler received, with the name of the thread it ran on.
type Heard = Arc<Mutex<Vec<(KeepAliveErrorKind, String, Option<String>)>>>;

fn recording_handler(heard: &Heard) -> etcd_cpp_rs::core::keepalive::Handler {
    let h = heard.clone();
    Box::new(move |e| {
        h.lock().unwrap().push((
            e.kind,
            e.message,
            std::thread::current().name().map(String::from),
        ))
    })
}

/// The remaining TTL of `lease`, or `None` when the call failed (it says nothing then).
pub fn remaining_ttl(c: &Client, lease: i64) -> Option<i64> {
    let r = call(c, Request::LeaseTimeToLive { id: lease });
    r.is_ok().then_some(r.value.ttl)
}

/// Checks for `period` that every lease in `leases` stays alive (a call that fails is asked
/// again); panics naming the first one found expired.
pub fn assert_alive_for(c: &Client, leases: &[i64], period: Duration) {
    let start = Instant::now();
    while start.elapsed() < period {
        for &id in leases {
            let mut ttl = None;
            assert!(
                wait_until(Duration::from_secs(10), || {
                    ttl = remaining_ttl(c, id);
                    ttl.is_some()
                }),
                "lease {id:x} could not be asked about"
            );
            assert!(
                ttl.unwrap() > 0,
                "lease {id:x} expired after {:?}",
                start.elapsed()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// LeaseKeepAlive streams open on the member at `endpoint` (started and not yet ended).
pub fn open_keepalive_streams(endpoint: &str) -> Option<f64> {
    let started = grpc_counter(endpoint, "grpc_server_started_total", "LeaseKeepAlive")?;
    let handled = grpc_counter(endpoint, "grpc_server_handled_total", "LeaseKeepAlive")?;
    Some(started - handled)
}

#[test]
fn refreshes_at_a_third_of_the_ttl() {
    let c = client();
    let ka = KeepAlive::new(&c, 6, 0, None);
    assert!(ka.lease() != 0);
    let k = b(&format!("{}k", prefix("ka_ttl")));
    assert!(call(
        &c,
        Request::Put {
            key: k.clone(),
            value: b("v"),
            lease: ka.lease()
        }
    )
    .is_ok());
    // Watch the remaining TTL for 8 s (longer than the TTL: the passing time is what is tested).
    let start = Instant::now();
    let mut lowest = i64::MAX;
    while start.elapsed() < Duration::from_secs(8) {
        let r = call(&c, Request::LeaseTimeToLive { id: ka.lease() });
        lowest = lowest.min(r.value.ttl);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        lowest >= 3,
        "remaining TTL fell to {lowest}; refreshes should come every 2 s"
    );
    assert!(call(
        &c,
        Request::Get {
            key: k,
            revision: 0
        }
    )
    .is_ok());
    assert!(ka.check().is_none());
}

#[test]
fn revoked_lease_reaches_the_handler_once() {
    let c = client();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let ka = KeepAlive::new(
        &c,
        3,
        0,
        Some(Box::new(move |e| {
            g.lock()
                .unwrap()
                .push((e.kind, std::thread::current().name().map(String::from)))
        })),
    );
    assert!(call(&c, Request::LeaseRevoke { id: ka.lease() }).is_ok());
    assert!(wait_until(Duration::from_secs(10), || !got
        .lock()
        .unwrap()
        .is_empty()));
    let (kind, thread) = got.lock().unwrap()[0].clone();
    assert_eq!(kind, KeepAliveErrorKind::OutOfRange);
    assert_eq!(thread.as_deref(), Some("etcd-cb"));
    let e = ka.check().expect("stored error");
    assert_eq!(
        e.message,
        "Failed to refresh lease due to expiration: the new TTL is 0."
    );
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[test]
fn check_finds_a_revoked_lease_and_cancel_is_prompt() {
    let c = client();
    let ka = KeepAlive::new(&c, 20, 0, None);
    assert!(ka.check().is_none());
    call(&c, Request::LeaseRevoke { id: ka.lease() });
    // The background loop may notice first; either way check() reports it.
    let e = ka.check().expect("revoked lease reported");
    assert_eq!(e.kind, KeepAliveErrorKind::OutOfRange);
    let t = Instant::now();
    ka.cancel();
    drop(ka);
    assert!(t.elapsed() < Duration::from_millis(500));
    let ka2 = KeepAlive::new(&c, 20, 0, None);
    ka2.cancel();
    assert!(ka2.check().is_none(), "after cancel, check does not throw");
}

#[test]
fn keepalives_of_a_client_share_one_stream_and_a_lost_lease_ends_only_its_own() {
    // A server of its own, so that its stream counts are this test's alone.
    let cl = crate::etcd::Cluster::start(1);
    let ep = cl.endpoint(0);
    let c = Client::new(&ep, Default::default());
    let started = || grpc_counter(&ep, "grpc_server_started_total", "LeaseKeepAlive");
    let handled = || grpc_counter(&ep, "grpc_server_handled_total", "LeaseKeepAlive");
    let refreshes = || grpc_counter(&ep, "grpc_server_msg_received_total", "LeaseKeepAlive");
    assert_eq!(started(), Some(0.0), "the metric is readable");
    const N: usize = 50;
    const TTL: i64 = 4;
    let heard: Vec<Heard> = (0..N).map(|_| Heard::default()).collect();
    let mut kas: Vec<KeepAlive> = heard
        .iter()
        .map(|h| KeepAlive::new(&c, TTL, 0, Some(recording_handler(h))))
        .collect();
    let leases: Vec<i64> = kas.iter().map(KeepAlive::lease).collect();
    assert!(leases.iter().all(|&l| l != 0), "every lease granted");
    // Every lease outlives its TTL, refreshed over one stream.
    assert_alive_for(&c, &leases, Duration::from_secs(TTL as u64 + 1));
    assert_eq!(started(), Some(1.0), "{N} keep-alives, one stream");
    assert_eq!(handled(), Some(0.0), "the stream is still open");
    let r = refreshes().unwrap();
    assert!(
        r >= (2 * N) as f64,
        "{r} refreshes on the stream for {N} leases over more than a TTL"
    );
    // A revoked lease ends its own keep-alive only, with the expired error, once, on a
    // callback thread.
    let lost = 7;
    assert!(call(&c, Request::LeaseRevoke { id: leases[lost] }).is_ok());
    assert!(wait_until(Duration::from_secs(10), || !heard[lost]
        .lock()
        .unwrap()
        .is_empty()));
    let (kind, message, thread) = heard[lost].lock().unwrap()[0].clone();
    assert_eq!(kind, KeepAliveErrorKind::OutOfRange);
    assert_eq!(
        message,
        "Failed to refresh lease due to expiration: the new TTL is 0."
    );
    assert_eq!(thread.as_deref(), Some("etcd-cb"));
    assert_eq!(
        kas[lost].check().map(|e| e.kind),
        Some(KeepAliveErrorKind::OutOfRange)
    );
    let others: Vec<i64> = (0..N).filter(|&i| i != lost).map(|i| leases[i]).collect();
    assert_alive_for(&c, &others, Duration::from_secs(TTL as u64 + 1));
    assert_eq!(heard[lost].lock().unwrap().len(), 1, "the handler ran once");
    for (i, h) in heard.iter().enumerate().filter(|&(i, _)| i != lost) {
        assert!(h.lock().unwrap().is_empty(), "keep-alive {i} heard {h:?}");
    }
    assert_eq!(
        started(),
        Some(1.0),
        "the lost lease did not cost the stream"
    );
    assert_eq!(handled(), Some(0.0));
    // No keep-alive left: the stream closes.
    kas.clear();
    assert!(
        wait_until(Duration::from_secs(10), || handled() == Some(1.0)),
        "{:?} of {:?} streams ended",
        handled(),
        started()
    );
    // And a new keep-alive opens one again.
    let ka = KeepAlive::new(&c, TTL, 0, None);
    assert!(wait_until(Duration::from_secs(10), || started() == Some(2.0)));
    assert_alive_for(&c, &[ka.lease()], Duration::from_secs(1));
    drop(ka);
    assert!(wait_until(Duration::from_secs(10), || handled() == Some(2.0)));
}

#[test]
fn namespace_views_share_their_connections_keepalive_stream() {
    let cl = crate::etcd::Cluster::start(1);
    let ep = cl.endpoint(0);
    let c = Client::new(&ep, Default::default());
    let a = c.with_namespace(b"/ns-a/");
    let bb = a.with_namespace(b"b/");
    let kas: Vec<KeepAlive> = [&c, &a, &bb]
        .iter()
        .map(|cl| KeepAlive::new(cl, 4, 0, None))
        .collect();
    let leases: Vec<i64> = kas.iter().map(KeepAlive::lease).collect();
    assert_alive_for(&c, &leases, Duration::from_secs(2));
    assert_eq!(
        grpc_counter(&ep, "grpc_server_started_total", "LeaseKeepAlive"),
        Some(1.0),
        "a client and its namespace views: one stream"
    );
    assert_eq!(open_keepalive_streams(&ep), Some(1.0));
}
