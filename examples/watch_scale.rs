//! How many watchers and keep-alives one client carries: memory, threads and creation time.
//!
//! Usage:
//!   cargo run --release --example watch_scale -- [ENDPOINTS]
//!
//! ENDPOINTS defaults to `$ETCD_ENDPOINTS`, then `http://127.0.0.1:2379`. `WATCH_N` (default
//! 10000) sets the number of watchers, `KEEPALIVE_N` (default 1000) the number of keep-alives.
//! Each watcher watches its own prefix. Prints one line per measurement:
//!   watch_scale client          threads=.. rss_kb=..
//!   watch_scale watchers        n=.. create_ms=.. threads=.. rss_kb=.. kb_each=.. event_ms=..
//!   watch_scale watchers_idle   n=.. threads=.. rss_kb=.. kb_each=..
//!   watch_scale cancel          n=.. ms=..
//!   watch_scale keepalives      n=.. create_ms=.. threads=.. rss_kb=.. kb_each=..
//! kb_each is the growth of the resident set over the client's alone, divided by n.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{Client, KeepAlive, KeyRange, Request, Watcher};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Number of threads of this process (entries of /proc/self/task).
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Resident set size in KiB (VmRSS of /proc/self/status).
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let endpoints = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("ETCD_ENDPOINTS").ok())
        .unwrap_or_else(|| "http://127.0.0.1:2379".into());
    let n = env_usize("WATCH_N", 10_000);
    let k = env_usize("KEEPALIVE_N", 1_000);
    let prefix = format!("/watch-scale/{}/", std::process::id());

    let c = Client::new(&endpoints, Default::default());
    let put = |key: &str| {
        let r = c.execute_blocking(Request::Put {
            key: key.as_bytes().to_vec(),
            value: b"x".to_vec(),
            lease: 0,
        });
        assert!(r.is_ok(), "put failed: {}", r.error_message);
    };
    put(&format!("{prefix}warmup"));
    // One watcher and one keep-alive first, so that the code paths are warm.
    drop(Watcher::new(
        &c,
        KeyRange::prefix(format!("{prefix}w/").into_bytes()),
        0,
        |_| {},
    ));
    drop(KeepAlive::new(&c, 10, 0, None));
    std::thread::sleep(Duration::from_millis(200));
    let base_rss = rss_kb();
    println!(
        "watch_scale client threads={} rss_kb={base_rss}",
        thread_count()
    );

    let seen = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let watchers: Vec<Watcher> = (0..n)
        .map(|i| {
            let s = seen.clone();
            Watcher::new(
                &c,
                KeyRange::prefix(format!("{prefix}w/{i}/").into_bytes()),
                0,
                move |_| {
                    s.fetch_add(1, Ordering::Relaxed);
                },
            )
        })
        .collect();
    let create_ms = t.elapsed().as_secs_f64() * 1e3;
    let confirmed = watchers.iter().filter(|w| w.confirmed()).count();
    // Every watcher gets an event: a write under the last one's prefix and one under the first.
    let t = Instant::now();
    put(&format!("{prefix}w/{}/k", n.saturating_sub(1)));
    put(&format!("{prefix}w/0/k"));
    while seen.load(Ordering::Relaxed) < 2.min(n) && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let event_ms = t.elapsed().as_secs_f64() * 1e3;
    let rss = rss_kb();
    println!(
        "watch_scale watchers n={n} confirmed={confirmed} create_ms={create_ms:.0} threads={} \
         rss_kb={rss} kb_each={:.1} event_ms={event_ms:.1} events={}",
        thread_count(),
        (rss.saturating_sub(base_rss)) as f64 / n.max(1) as f64,
        seen.load(Ordering::Relaxed)
    );
    // Idle for a while (progress requests, callback threads exiting).
    std::thread::sleep(Duration::from_secs(6));
    let rss = rss_kb();
    println!(
        "watch_scale watchers_idle n={n} threads={} rss_kb={rss} kb_each={:.1}",
        thread_count(),
        (rss.saturating_sub(base_rss)) as f64 / n.max(1) as f64
    );
    let t = Instant::now();
    drop(watchers);
    println!(
        "watch_scale cancel n={n} ms={:.0}",
        t.elapsed().as_secs_f64() * 1e3
    );
    std::thread::sleep(Duration::from_secs(1));

    let base_rss = rss_kb();
    let t = Instant::now();
    let kas: Vec<KeepAlive> = (0..k).map(|_| KeepAlive::new(&c, 10, 0, None)).collect();
    let create_ms = t.elapsed().as_secs_f64() * 1e3;
    std::thread::sleep(Duration::from_secs(4));
    let rss = rss_kb();
    let failed = kas.iter().filter(|ka| ka.check().is_some()).count();
    println!(
        "watch_scale keepalives n={k} create_ms={create_ms:.0} threads={} rss_kb={rss} \
         kb_each={:.1} failed={failed}",
        thread_count(),
        (rss.saturating_sub(base_rss)) as f64 / k.max(1) as f64
    );
    drop(kas);
}
