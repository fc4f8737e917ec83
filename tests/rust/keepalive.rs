//! The background lease refresher.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{KeepAlive, KeepAliveErrorKind, Request};

use crate::etcd::wait_until;
use crate::{b, call, client, prefix};

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
