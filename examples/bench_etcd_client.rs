//! Baseline benchmark: the pure-Rust `etcd-client` crate doing the same work as
//! `examples/bench.cpp` does through the etcd-cpp-rs C++ API.
//!
//! Usage:
//!   cargo run --release --example bench_etcd_client -- [ENDPOINTS] [--probe | --steps OP ARG ...]
//!
//! ENDPOINTS is a comma-separated list (default: `$ETCD_ENDPOINTS`, then
//! `127.0.0.1:2379`). `BENCH_N` (default 2000) sets the number of sequential
//! operations, `BENCH_ASYNC_N` (default 10000) the number of puts in flight,
//! `BENCH_WORKERS` the number of tokio worker threads (0: current-thread runtime).
//!
//! Output is one line per measurement, `rust <name> key=value ...`:
//!   rust mem_1client        threads=.. rss_kb=..
//!   rust mem_100watch       threads=.. rss_kb=..
//!   rust mem_100keepalive   threads=.. rss_kb=..
//!   rust seq_put            n=.. p50_us=.. p99_us=.. ops_s=.. cpu_us_op=.. vcsw_op=..
//!   rust seq_get            n=.. p50_us=.. p99_us=.. ops_s=.. cpu_us_op=.. vcsw_op=..
//!   rust seq_get_serial     (the same, serializable reads; no C++ equivalent)
//!   rust async_put          n=.. total_ms=.. ops_s=.. failed=.. cpu_us_op=..
//!
//! cpu_us_op is this process's CPU time (all threads, from /proc/self/stat, so
//! 10 ms resolution) per operation, vcsw_op its voluntary context switches.
//!
//! `--probe` runs a set of read-latency variants instead (see `probe`), and
//! `--steps OP ARG ...` (last on the command line) runs a list of steps on one
//! connection (see `probe_steps`). Both print etcd's server-side times from
//! `/metrics` (the per-method gRPC times need etcd's `--metrics extensive`),
//! and CPU time / context switches per request of this process and, when
//! `BENCH_ETCD_PID` is set, of the etcd process.

use std::time::{Duration, Instant};

use etcd_client::{
    Client, Compare, CompareOp, GetOptions, KvClient, LeaseClient, Txn, TxnOp, WatchClient,
    WatchOptions,
};
use tokio::task::JoinSet;

const WATCHERS: usize = 100;
const KEEPALIVES: usize = 100;
const LEASE_TTL: i64 = 10;
const WARMUP: usize = 200;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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

fn print_mem(name: &str) {
    println!("rust {name} threads={} rss_kb={}", thread_count(), rss_kb());
}

/// Nearest-rank percentile of sorted samples (same definition as bench.cpp).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// `usage("self")` before and after a measured loop.
type Cost = (Option<Usage>, Option<Usage>);

fn print_latency(name: &str, samples: Vec<Duration>, total: Duration) {
    print_seq(name, samples, total, None);
}

/// Like `print_latency`, plus this process's CPU time and voluntary context
/// switches per operation between two `usage("self")` snapshots.
fn print_seq(name: &str, mut samples: Vec<Duration>, total: Duration, cost: Option<Cost>) {
    samples.sort_unstable();
    let n = samples.len();
    let mut extra = String::new();
    if let Some((Some(b), Some(a))) = cost {
        extra = format!(
            " cpu_us_op={:.0} vcsw_op={:.2}",
            (a.cpu_ticks - b.cpu_ticks) as f64 * 1e6 / 100.0 / n as f64,
            (a.voluntary_csw - b.voluntary_csw) as f64 / n as f64
        );
    }
    println!(
        "rust {name} n={n} p50_us={} p99_us={} ops_s={:.0}{extra}",
        percentile(&samples, 50).as_micros(),
        percentile(&samples, 99).as_micros(),
        n as f64 / total.as_secs_f64()
    );
}

fn value_of_len(len: usize) -> String {
    "v".repeat(len)
}

async fn seq_put(kv: &mut KvClient, prefix: &str, n: usize) -> Result<(), BoxError> {
    let value = value_of_len(64);
    for i in 0..WARMUP {
        kv.put(format!("{prefix}{}", i % 100), value.clone(), None)
            .await?;
    }
    let mut samples = Vec::with_capacity(n);
    let before = usage("self");
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        kv.put(format!("{prefix}{}", i % 100), value.clone(), None)
            .await?;
        samples.push(t.elapsed());
    }
    let total = start.elapsed();
    print_seq("seq_put", samples, total, Some((before, usage("self"))));
    Ok(())
}

async fn timed_gets(
    kv: &mut KvClient,
    prefix: &str,
    n: usize,
    options: Option<GetOptions>,
) -> Result<(Vec<Duration>, Duration, Cost), BoxError> {
    for i in 0..WARMUP {
        kv.get(format!("{prefix}{}", i % 100), options.clone())
            .await?;
    }
    let mut samples = Vec::with_capacity(n);
    let before = usage("self");
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        let resp = kv
            .get(format!("{prefix}{}", i % 100), options.clone())
            .await?;
        samples.push(t.elapsed());
        if resp.kvs().is_empty() {
            return Err(format!("get {prefix}{}: key not found", i % 100).into());
        }
    }
    let total = start.elapsed();
    Ok((samples, total, (before, usage("self"))))
}

async fn async_put(kv: &KvClient, prefix: &str, n: usize) -> Result<(), BoxError> {
    let value = value_of_len(64);
    let before = usage("self");
    let start = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..n {
        let mut kv = kv.clone();
        let key = format!("{prefix}{i}");
        let value = value.clone();
        set.spawn(async move { kv.put(key, value, None).await });
    }
    let mut failed = 0usize;
    while let Some(res) = set.join_next().await {
        if !matches!(res, Ok(Ok(_))) {
            failed += 1;
        }
    }
    let total = start.elapsed();
    let cpu = match (before, usage("self")) {
        (Some(b), Some(a)) => (a.cpu_ticks - b.cpu_ticks) as f64 * 1e6 / 100.0 / n as f64,
        _ => 0.0,
    };
    println!(
        "rust async_put n={n} total_ms={} ops_s={:.0} failed={failed} cpu_us_op={cpu:.0}",
        total.as_millis(),
        n as f64 / total.as_secs_f64()
    );
    Ok(())
}

/// Opens `count` watch streams, one per prefix, each drained by its own task.
async fn start_watchers(
    watch: &WatchClient,
    prefix: &str,
    count: usize,
    tasks: &mut JoinSet<()>,
) -> Result<(), BoxError> {
    for i in 0..count {
        let mut watch = watch.clone();
        let mut stream = watch
            .watch(
                format!("{prefix}{i}/"),
                Some(WatchOptions::new().with_prefix()),
            )
            .await?;
        tasks.spawn(async move { while let Ok(Some(_)) = stream.message().await {} });
    }
    Ok(())
}

/// Grants `count` leases and keeps each alive from its own task (every TTL/3).
async fn start_keepalives(
    lease: &LeaseClient,
    count: usize,
    tasks: &mut JoinSet<()>,
) -> Result<(), BoxError> {
    for _ in 0..count {
        let mut lease = lease.clone();
        let id = lease.grant(LEASE_TTL, None).await?.id();
        let (mut keeper, mut stream) = lease.keep_alive(id).await?;
        tasks.spawn(async move {
            let period = Duration::from_secs((LEASE_TTL / 3).max(1) as u64);
            loop {
                tokio::time::sleep(period).await;
                if keeper.keep_alive().await.is_err() {
                    break;
                }
                if !matches!(stream.message().await, Ok(Some(_))) {
                    break;
                }
            }
        });
    }
    Ok(())
}

async fn bench(endpoints: Vec<String>) -> Result<(), BoxError> {
    let client = Client::connect(&endpoints, None).await?;
    let mut kv = client.kv_client();
    let run = std::process::id();
    let prefix = format!("/bench/rust/{run}/");

    kv.put(format!("{prefix}hello"), "world", None).await?;
    print_mem("mem_1client");

    let mut background = JoinSet::new();
    start_watchers(
        &client.watch_client(),
        &format!("{prefix}w/"),
        WATCHERS,
        &mut background,
    )
    .await?;
    print_mem("mem_100watch");
    start_keepalives(&client.lease_client(), KEEPALIVES, &mut background).await?;
    print_mem("mem_100keepalive");
    background.abort_all();
    while background.join_next().await.is_some() {}

    let n = env_usize("BENCH_N", 2000);
    let seq = format!("{prefix}seq/");
    seq_put(&mut kv, &seq, n).await?;
    let (samples, total, cost) = timed_gets(&mut kv, &seq, n, None).await?;
    print_seq("seq_get", samples, total, Some(cost));
    let (samples, total, cost) = timed_gets(
        &mut kv,
        &seq,
        n,
        Some(GetOptions::new().with_serializable()),
    )
    .await?;
    print_seq("seq_get_serial", samples, total, Some(cost));

    async_put(
        &kv,
        &format!("{prefix}async/"),
        env_usize("BENCH_ASYNC_N", 10_000),
    )
    .await?;

    kv.delete(
        prefix.clone(),
        Some(etcd_client::DeleteOptions::new().with_prefix()),
    )
    .await?;
    Ok(())
}

/// Tail shape of timed samples `(start offset, latency)`: more percentiles, the
/// number of slow samples, and how far apart in time the slow samples start
/// (a periodic server activity such as the 100 ms backend commit shows up as
/// gaps clustered at multiples of 100 ms).
fn print_tail(name: &str, timed: &[(Duration, Duration)]) {
    let mut lat: Vec<Duration> = timed.iter().map(|t| t.1).collect();
    lat.sort_unstable();
    let us = |d: Duration| d.as_micros();
    let slow_ms = 1;
    let slow: Vec<Duration> = timed
        .iter()
        .filter(|t| t.1 >= Duration::from_millis(slow_ms))
        .map(|t| t.0)
        .collect();
    let gaps: Vec<String> = slow
        .windows(2)
        .take(12)
        .map(|w| format!("{}", (w[1] - w[0]).as_millis()))
        .collect();
    println!(
        "rust {name} tail: p90_us={} p95_us={} p99_us={} p999_us={} max_us={} slow_ge_{slow_ms}ms={} gaps_ms=[{}]",
        us(percentile(&lat, 90)),
        us(percentile(&lat, 95)),
        us(percentile(&lat, 99)),
        us(lat[(lat.len() * 999).div_ceil(1000).max(1) - 1]),
        us(*lat.last().unwrap()),
        slow.len(),
        gaps.join(",")
    );
}

/// Sums and counts of a few etcd server histograms, read from `/metrics` on
/// the client port (plain HTTP/1.0, so no extra dependency is needed).
#[derive(Default, Clone, Copy)]
struct ServerStats {
    range: (f64, f64),
    put: (f64, f64),
    txn: (f64, f64),
    wal_fsync: (f64, f64),
    backend_commit: (f64, f64),
}

fn server_stats(endpoint: &str) -> Option<ServerStats> {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = std::net::TcpStream::connect(host).ok()?;
    write!(conn, "GET /metrics HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut body = String::new();
    conn.read_to_string(&mut body).ok()?;
    let mut stats = ServerStats::default();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let slot = if name.contains("grpc_method=\"Range\"") {
            &mut stats.range
        } else if name.contains("grpc_method=\"Put\"") {
            &mut stats.put
        } else if name.contains("grpc_method=\"Txn\"") {
            &mut stats.txn
        } else if name.starts_with("etcd_disk_wal_fsync_duration_seconds") {
            &mut stats.wal_fsync
        } else if name.starts_with("etcd_disk_backend_commit_duration_seconds") {
            &mut stats.backend_commit
        } else {
            continue;
        };
        if name.starts_with("grpc_server_handling_seconds_sum")
            || name.starts_with("etcd_disk_wal_fsync_duration_seconds_sum")
            || name.starts_with("etcd_disk_backend_commit_duration_seconds_sum")
        {
            slot.0 = value;
        } else if name.ends_with("_count") || name.contains("_count{") {
            slot.1 = value;
        }
    }
    Some(stats)
}

/// CPU time and context switches of a process (all of its threads).
#[derive(Default, Clone, Copy)]
struct Usage {
    cpu_ticks: u64,
    voluntary_csw: u64,
    involuntary_csw: u64,
}

fn usage(pid: &str) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let mut u = Usage {
        cpu_ticks: f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
        ..Usage::default()
    };
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            let num = |l: &str| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            };
            if line.starts_with("voluntary_ctxt_switches") {
                u.voluntary_csw += num(line).unwrap_or(0);
            } else if line.starts_with("nonvoluntary_ctxt_switches") {
                u.involuntary_csw += num(line).unwrap_or(0);
            }
        }
    }
    Some(u)
}

/// Server metrics plus CPU/context-switch counters of the etcd process
/// (`BENCH_ETCD_PID`, optional) and of this process.
#[derive(Clone, Copy)]
struct Snapshot {
    server: Option<ServerStats>,
    etcd: Option<Usage>,
    me: Option<Usage>,
}

fn snapshot(endpoint: &str) -> Snapshot {
    Snapshot {
        server: server_stats(endpoint),
        etcd: std::env::var("BENCH_ETCD_PID").ok().and_then(|p| usage(&p)),
        me: usage("self"),
    }
}

/// Prints, per operation, the mean server-side handling time (from etcd's
/// histograms), and the CPU time and context switches spent by etcd and by
/// this process between two snapshots.
fn print_server_delta(name: &str, before: Snapshot, after: Snapshot, ops: usize) {
    if let (Some(b), Some(a)) = (before.server, after.server) {
        let mean = |x: (f64, f64), y: (f64, f64)| {
            let n = y.1 - x.1;
            if n > 0.0 {
                format!("{:.0}/{}", (y.0 - x.0) / n * 1e6, n)
            } else {
                "-".to_string()
            }
        };
        println!(
            "rust {name} server_mean_us/count: range={} put={} txn={} wal_fsync={} backend_commit={}",
            mean(b.range, a.range),
            mean(b.put, a.put),
            mean(b.txn, a.txn),
            mean(b.wal_fsync, a.wal_fsync),
            mean(b.backend_commit, a.backend_commit)
        );
    }
    let tick_us = 1e6 / 100.0; // USER_HZ is 100 on Linux
    let per_op = |who: &str, b: Option<Usage>, a: Option<Usage>| {
        if let (Some(b), Some(a)) = (b, a) {
            let n = ops as f64;
            println!(
                "rust {name} {who}_per_op: cpu_us={:.0} vol_csw={:.2} invol_csw={:.2}",
                (a.cpu_ticks - b.cpu_ticks) as f64 * tick_us / n,
                (a.voluntary_csw - b.voluntary_csw) as f64 / n,
                (a.involuntary_csw - b.involuntary_csw) as f64 / n
            );
        }
    };
    per_op("etcd", before.etcd, after.etcd);
    per_op("client", before.me, after.me);
}

/// Runs `op(0..n)` sequentially, optionally sleeping `pace` before each call,
/// and returns `(start offset, latency)` per call plus the total time.
async fn run_timed(
    n: usize,
    pace: Option<Duration>,
    mut op: impl AsyncFnMut(usize) -> Result<(), BoxError>,
) -> Result<(Vec<(Duration, Duration)>, Duration), BoxError> {
    let mut timed = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        if let Some(p) = pace {
            tokio::time::sleep(p).await;
        }
        let t = Instant::now();
        op(i).await?;
        timed.push((t - start, t.elapsed()));
    }
    Ok((timed, start.elapsed()))
}

fn report(name: &str, timed: &[(Duration, Duration)], total: Duration) {
    print_latency(name, timed.iter().map(|t| t.1).collect(), total);
    print_tail(name, timed);
}

/// Read-latency variants used to explain why a linearizable get can be slower
/// than a put on a single-member etcd 3.4. Each phase also prints the mean
/// server-side handling time taken from etcd's `/metrics`.
async fn probe(endpoints: Vec<String>) -> Result<(), BoxError> {
    let metrics_ep = endpoints[0].clone();
    let snap = || snapshot(&metrics_ep);
    let client = Client::connect(&endpoints, None).await?;
    let mut kv = client.kv_client();
    let prefix = format!("/bench/probe/{}/", std::process::id());
    let n = env_usize("BENCH_N", 2000);
    let value = value_of_len(64);
    let key = |i: usize| format!("{prefix}{}", i % 100);
    for i in 0..100 {
        kv.put(key(i), value.clone(), None).await?;
    }
    let serial = GetOptions::new().with_serializable();

    let before = snap();
    let (t, total) = run_timed(n, None, async |i| {
        kv.put(key(i), value.clone(), None).await?;
        Ok(())
    })
    .await?;
    report("probe_put", &t, total);
    print_server_delta("probe_put", before, snap(), n);

    for (name, opts) in [
        ("probe_get_linear", None),
        ("probe_get_serial", Some(serial.clone())),
    ] {
        let before = snap();
        let (t, total) = run_timed(n, None, async |i| {
            kv.get(key(i), opts.clone()).await?;
            Ok(())
        })
        .await?;
        report(name, &t, total);
        print_server_delta(name, before, snap(), n);
    }

    // A linearizable get right after a put to the same key.
    let before = snap();
    let mut gets = Vec::with_capacity(n);
    let (puts, total) = run_timed(n, None, async |i| {
        kv.put(key(i), value.clone(), None).await?;
        let t = Instant::now();
        kv.get(key(i), None).await?;
        gets.push((Duration::ZERO, t.elapsed()));
        Ok(())
    })
    .await?;
    // `puts` latencies include the get; subtract it to get the put alone.
    let puts: Vec<(Duration, Duration)> = puts
        .iter()
        .zip(&gets)
        .map(|(p, g)| (p.0, p.1 - g.1))
        .collect();
    report("probe_alt_put", &puts, total);
    report("probe_alt_get_linear", &gets, total);
    print_server_delta("probe_alt", before, snap(), 2 * n);

    // Paced 2 ms apart: the server and client go idle between requests.
    for (name, opts) in [
        ("probe_put_paced2ms", None),
        ("probe_get_linear_paced2ms", Some(GetOptions::new())),
        ("probe_get_serial_paced2ms", Some(serial.clone())),
    ] {
        let before = snap();
        let (t, total) = run_timed(n / 4, Some(Duration::from_millis(2)), async |i| {
            match opts.clone() {
                None => kv.put(key(i), value.clone(), None).await.map(|_| ())?,
                Some(o) => kv.get(key(i), Some(o)).await.map(|_| ())?,
            }
            Ok(())
        })
        .await?;
        report(name, &t, total);
        print_server_delta(name, before, snap(), n / 4);
    }

    // Gets right after 10,000 puts were pushed at once.
    async_put(&kv, &format!("{prefix}burst/"), 10_000).await?;
    let before = snap();
    let (t, total) = run_timed(n, None, async |i| {
        kv.get(key(i), None).await?;
        Ok(())
    })
    .await?;
    report("probe_get_linear_after_burst", &t, total);
    print_server_delta("probe_get_linear_after_burst", before, snap(), n);

    // 16 concurrent sequential readers.
    for (name, opts) in [
        ("probe_get_linear_c16", None),
        ("probe_get_serial_c16", Some(serial.clone())),
    ] {
        let before = snap();
        let mut set = JoinSet::new();
        let start = Instant::now();
        for w in 0..16 {
            let mut kv = kv.clone();
            let prefix = prefix.clone();
            let opts = opts.clone();
            let per = n / 16;
            set.spawn(async move {
                let mut s = Vec::with_capacity(per);
                for i in 0..per {
                    let t = Instant::now();
                    kv.get(format!("{prefix}{}", (i + w) % 100), opts.clone())
                        .await
                        .map_err(|e| e.to_string())?;
                    s.push(t.elapsed());
                }
                Ok::<_, String>(s)
            });
        }
        let mut all = Vec::new();
        while let Some(r) = set.join_next().await {
            all.extend(r??);
        }
        let ops = all.len();
        print_latency(name, all, start.elapsed());
        print_server_delta(name, before, snap(), ops);
    }

    kv.delete(
        prefix.clone(),
        Some(etcd_client::DeleteOptions::new().with_prefix()),
    )
    .await?;
    Ok(())
}

/// Runs a list of steps against one connection, e.g.
/// `get 5 burst 10000 get 5 serial 5 grant 0 get 5`:
/// `put|get|serial|txn SECS` issue one kind of sequential request for SECS seconds
/// and report it (latency, server-side time, CPU per request; `txn` is a
/// compare-and-swap transaction); `burst N` puts N
/// keys concurrently; `txnburst N` sends N transactions of 100 puts each
/// concurrently; `grant 0` grants one lease (a write that touches only the
/// lease bucket of etcd's backend).
async fn probe_steps(endpoints: Vec<String>, steps: Vec<(String, u64)>) -> Result<(), BoxError> {
    let metrics_ep = endpoints[0].clone();
    let client = Client::connect(&endpoints, None).await?;
    let mut kv = client.kv_client();
    let prefix = format!("/bench/steps/{}/", std::process::id());
    let key = |i: usize| format!("{prefix}{}", i % 100);
    let value = value_of_len(64);
    for i in 0..100 {
        kv.put(key(i), value.clone(), None).await?;
    }
    for (step, (op, arg)) in steps.into_iter().enumerate() {
        let opts = match op.as_str() {
            "put" | "txn" => None,
            "get" => Some(GetOptions::new()),
            "serial" => Some(GetOptions::new().with_serializable()),
            "burst" => {
                async_put(&kv, &format!("{prefix}burst{step}/"), arg as usize).await?;
                continue;
            }
            "txnburst" => {
                // ARG transactions of 100 puts each, all in flight at once:
                // many writes land in one backend commit interval.
                let start = Instant::now();
                let mut set = JoinSet::new();
                for t in 0..arg {
                    let mut kv = kv.clone();
                    let ops: Vec<TxnOp> = (0..100)
                        .map(|j| TxnOp::put(format!("{prefix}txn{step}/{t}/{j}"), "v", None))
                        .collect();
                    set.spawn(async move { kv.txn(Txn::new().and_then(ops)).await });
                }
                while let Some(r) = set.join_next().await {
                    r??;
                }
                println!(
                    "rust step{step}_txnburst txns={arg} puts={} total_ms={}",
                    arg * 100,
                    start.elapsed().as_millis()
                );
                continue;
            }
            "grant" => {
                let id = client.lease_client().grant(5, None).await?.id();
                println!("rust step{step}_grant lease={id}");
                continue;
            }
            _ => {
                return Err(format!(
                    "unknown step {op} (put, get, serial, txn, burst, txnburst, grant)"
                )
                .into())
            }
        };
        let deadline = Instant::now() + Duration::from_secs(arg);
        let before = snapshot(&metrics_ep);
        let mut timed = Vec::new();
        let start = Instant::now();
        let mut i = 0;
        while Instant::now() < deadline {
            let t = Instant::now();
            match &opts {
                None if op == "txn" => {
                    // A compare-and-swap like SyncClient::modify_if: one compare, one put.
                    let txn = Txn::new()
                        .when([Compare::value(key(i), CompareOp::Equal, value.clone())])
                        .and_then([TxnOp::put(key(i), value.clone(), None)]);
                    kv.txn(txn).await.map(|_| ())?
                }
                None => kv.put(key(i), value.clone(), None).await.map(|_| ())?,
                Some(o) => kv.get(key(i), Some(o.clone())).await.map(|_| ())?,
            }
            timed.push((t - start, t.elapsed()));
            i += 1;
        }
        let total = start.elapsed();
        let after = snapshot(&metrics_ep);
        let name = format!("step{step}_{op}");
        report(&name, &timed, total);
        print_server_delta(&name, before, after, timed.len());
    }
    kv.delete(
        prefix.clone(),
        Some(etcd_client::DeleteOptions::new().with_prefix()),
    )
    .await?;
    Ok(())
}

fn main() {
    let mut endpoints = None;
    let mut probe_mode = false;
    let mut steps: Option<Vec<(String, u64)>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--probe" => probe_mode = true,
            "--steps" => {
                let rest: Vec<String> = args.by_ref().collect();
                steps = Some(
                    rest.chunks(2)
                        .map(|c| {
                            (
                                c[0].clone(),
                                c.get(1).and_then(|a| a.parse().ok()).unwrap_or(5),
                            )
                        })
                        .collect(),
                );
            }
            _ => endpoints = Some(arg),
        }
    }
    let endpoints = endpoints
        .or_else(|| std::env::var("ETCD_ENDPOINTS").ok())
        .unwrap_or_else(|| "127.0.0.1:2379".to_string());
    let endpoints: Vec<String> = endpoints
        .split([',', ';'])
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();

    // BENCH_WORKERS: tokio worker threads (default: one per core); 0 = a
    // current-thread runtime (everything on the main thread).
    let runtime = match std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
    {
        Some(0) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .expect("tokio runtime");
    let result = if let Some(steps) = steps {
        runtime.block_on(probe_steps(endpoints, steps))
    } else if probe_mode {
        runtime.block_on(probe(endpoints))
    } else {
        runtime.block_on(bench(endpoints))
    };
    if let Err(e) = result {
        eprintln!("bench_etcd_client: {e}");
        std::process::exit(1);
    }
}
