//! ServiceRegistry and ServiceDiscovery on a three-member cluster under faults: member kills and
//! restarts, a lease revoked by an operator with etcdctl, compaction while discoverers are
//! disconnected; 1,000 entries and 20 discoverers. Prints the time to register again and the
//! time for a change to reach every discoverer.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{
    Change, Client, ClientOptions, RegistryOptions, Request, ServiceDiscovery, ServiceRegistry,
};

use crate::etcd::{wait_until, Cluster};
use crate::registry::{contents, view};
use crate::{b, call};

const ENTRIES: usize = 1000;
const DISCOVERERS: usize = 20;
/// Discoverers connected to member 0 only (the ones that reconnect after its restart).
const PINNED: usize = 5;

fn etcdctl(endpoint: &str, args: &[&str]) {
    let out = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .arg(format!("--endpoints={endpoint}"))
        .args(args)
        .output()
        .expect("etcdctl");
    assert!(
        out.status.success(),
        "etcdctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Arrival times of marked values, per discoverer.
type Arrivals = Arc<Mutex<HashMap<Vec<u8>, Vec<Instant>>>>;

fn all_views_match(ds: &[ServiceDiscovery], c: &Client, p: &str, timeout: Duration) -> bool {
    wait_until(timeout, || {
        let (_, want) = contents(c, p);
        ds.iter().all(|d| view(d) == want)
    })
}

#[test]
fn registry_and_discovery_survive_faults_at_scale() {
    let mut cl = Cluster::start(3);
    let p = "/svcfault/";
    let all = cl.endpoints();
    let admin = Client::new(&all, ClientOptions::default());
    let reg_client = Client::new(&all, ClientOptions::default());
    let reg = ServiceRegistry::new(
        &reg_client,
        RegistryOptions {
            ttl: 5,
            ..Default::default()
        },
        None,
    );
    let start = Instant::now();
    for i in 0..ENTRIES {
        let r = reg.add(&b(&format!("{p}svc{i:04}")), &b(&format!("10.0.0.1:{i}")));
        assert!(r.is_ok(), "{r:?}");
    }
    println!("registered {ENTRIES} entries in {:?}", start.elapsed());

    let arrivals: Arrivals = Arc::default();
    let ds: Vec<ServiceDiscovery> = (0..DISCOVERERS)
        .map(|i| {
            let spec = if i < PINNED {
                cl.endpoint(0)
            } else {
                all.clone()
            };
            let c = Client::new(&spec, ClientOptions::default());
            let a = arrivals.clone();
            ServiceDiscovery::new(
                &c,
                p.as_bytes(),
                Some(Box::new(move |ch: &Change| {
                    if ch.value.value.starts_with(b"mark") {
                        let now = Instant::now();
                        a.lock()
                            .unwrap()
                            .entry(ch.value.value.clone())
                            .or_default()
                            .push(now);
                    }
                })),
            )
        })
        .collect();
    for d in &ds {
        assert!(d.wait_ready(Duration::from_secs(20)));
    }
    assert!(all_views_match(&ds, &admin, p, Duration::from_secs(10)));
    assert_eq!(contents(&admin, p).1.len(), ENTRIES);

    // Propagation: one change at a time, until every discoverer has it.
    let mut prop = Vec::new();
    for n in 0..100 {
        let mark = b(&format!("mark{n}"));
        let written = Instant::now();
        assert!(reg.add(&b(&format!("{p}svc{:04}", n * 7)), &mark).is_ok());
        assert!(
            wait_until(Duration::from_secs(5), || arrivals
                .lock()
                .unwrap()
                .get(&mark)
                .is_some_and(|v| v.len() == DISCOVERERS)),
            "change {n} did not reach every discoverer"
        );
        let last = *arrivals.lock().unwrap()[&mark].iter().max().unwrap();
        prop.push(last - written);
    }
    prop.sort();
    println!(
        "propagation to all {DISCOVERERS} discoverers: p50 {:?}, p99 {:?}, max {:?}",
        percentile(&prop, 0.5),
        percentile(&prop, 0.99),
        prop.last().unwrap()
    );

    // Member kills and restarts, one at a time, with writes during each.
    for m in 0..3 {
        cl.kill(m);
        for i in 0..10 {
            let k = b(&format!("{p}svc{:04}", m * 100 + i));
            let r = reg.add(&k, &b(&format!("kill{m}-{i}")));
            assert!(r.is_ok(), "add with member {m} down: {r:?}");
        }
        assert!(
            all_views_match(&ds[PINNED..], &admin, p, Duration::from_secs(15)),
            "views differ from etcd with member {m} down"
        );
        cl.restart(m);
        assert!(
            all_views_match(&ds, &admin, p, Duration::from_secs(20)),
            "views differ from etcd after member {m} restarted"
        );
        assert_eq!(reg.reregistrations(), 0, "lease lost by a member restart");
    }

    // An operator revokes the lease.
    let old = reg.lease();
    etcdctl(&cl.endpoint(1), &["lease", "revoke", &format!("{old:x}")]);
    let revoked = Instant::now();
    assert!(
        wait_until(Duration::from_secs(10), || reg.lease() != old
            && contents(&admin, p).1.len() == ENTRIES),
        "not registered again"
    );
    let rereg = revoked.elapsed();
    println!(
        "re-registered {ENTRIES} entries {rereg:?} after `etcdctl lease revoke` returned; \
         {:?} from noticing the loss to the last entry written",
        reg.last_rewrite()
    );
    // The promise (every entry written again within 1 s of noticing the loss) is asserted for
    // 1,000 entries in registry.rs, with nothing else in the process. Here the 20 discoverers in
    // this same process receive the 1,000 deletes and the 1,000 rewrites (40,000 events) on the
    // same two cores while the registry writes: measured 0.66-1.45 s from noticing the loss, with
    // this code and with the code before it alike. From the command's return the time also holds
    // the registry's check interval (250 ms) and this test's own listings of 1,000 keys.
    assert!(
        reg.last_rewrite() < Duration::from_secs(3),
        "{:?}",
        reg.last_rewrite()
    );
    assert!(rereg < Duration::from_secs(4), "took {rereg:?}");
    assert!(all_views_match(&ds, &admin, p, Duration::from_secs(10)));

    // Compaction while the pinned discoverers are disconnected.
    let listings_before: Vec<u64> = ds[..PINNED].iter().map(|d| d.listings()).collect();
    cl.kill(0);
    for i in 0..20 {
        let k = b(&format!("{p}svc{:04}", 900 + i));
        if i % 2 == 0 {
            assert!(reg.remove(&k).is_ok());
        } else {
            assert!(reg.add(&k, &b("moved")).is_ok());
        }
    }
    call(
        &admin,
        Request::Put {
            key: b(&format!("{p}extra")),
            value: b("x"),
            lease: 0,
        },
    );
    let (rev, _) = contents(&admin, p);
    etcdctl(&cl.endpoint(1), &["compact", &rev.to_string()]);
    cl.restart(0);
    assert!(
        all_views_match(&ds, &admin, p, Duration::from_secs(30)),
        "views differ from etcd after compaction and reconnect"
    );
    for (d, before) in ds[..PINNED].iter().zip(listings_before) {
        assert!(d.listings() > before, "the pinned view did not list again");
    }
    drop(ds);
    drop(reg);
    assert!(
        contents(&admin, p).1.len() == 1,
        "the registry's entries outlived its close"
    );
}
