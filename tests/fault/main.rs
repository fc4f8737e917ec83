//! The fault suite: a three-member cluster whose members are SIGKILLed and restarted in turn and
//! one of which is frozen (SIGSTOP) for 15 s, while
//!
//! - (a) prefix [`Watcher`]s must see every acknowledged put exactly once, in order;
//! - (b) [`KeepAlive`]s with TTL 5 must keep their keys alive throughout;
//! - (c) concurrent clients doing put / get / compare-and-swap record a history that Porcupine
//!   (tests/fault/linearizability, in Go) checks for linearizability.
//!
//! There are three watchers and three keep-alives, each on a client with the endpoints in a
//! different order, so that one of each is on whichever member fails. The suite prints what went
//! wrong (and, per fault, which calls failed, for how long and why) and fails on any missed,
//! duplicate or reordered event, lost lease or linearizability violation.
//!
//! `FAULT_SECONDS` (default 60) sets how long faults are injected; every 60 s is one round of
//! three kills and one freeze. Run it with `tests/fault/run.sh`, which also runs the checker's
//! own tests; or `cargo test --release --test fault -- --nocapture`.

#[allow(dead_code)]
#[path = "../rust/etcd.rs"]
mod etcd;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use etcd_cpp_rs::core::{
    Client, ClientOptions, Compare, EventType, KeepAlive, KeepAliveError, KeyRange, Request,
    Response, Watcher,
};

use etcd::{wait_until, Cluster};

/// Deadline of every unary call made by the workload.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the frozen member stays frozen.
const FREEZE: Duration = Duration::from_secs(15);
/// TTL of the leases kept alive by the keep-alives under test.
const LEASE_TTL: i64 = 5;
/// Clients of the linearizability workload, and the keys they share.
const LIN_CLIENTS: usize = 4;
const LIN_KEYS: usize = 3;

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// Codes that are definite answers, not failures: key not found, compare failed.
fn is_answer(code: i32) -> bool {
    matches!(code, 0 | 100 | 101)
}

/// Monotonic time since the start of the run, in nanoseconds.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn ns(&self) -> i64 {
        self.0.elapsed().as_nanos() as i64
    }

    fn at(&self, t: Instant) -> i64 {
        t.saturating_duration_since(self.0).as_nanos() as i64
    }
}

fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// One call of any worker, for the error windows.
#[derive(Clone)]
struct CallRec {
    call: i64,
    ret: i64,
    failed: bool,
    /// Which client made it (each has its own connection).
    client: String,
    /// For a failed call: what it was, and the code and message it got.
    cause: Option<(&'static str, i32, String)>,
}

impl CallRec {
    fn new(client: &str, what: &'static str, call: i64, ret: i64, r: &Response) -> CallRec {
        let failed = !is_answer(r.error_code);
        let cause = failed.then(|| {
            (
                what,
                r.error_code,
                r.error_message.chars().take(80).collect(),
            )
        });
        CallRec {
            call,
            ret,
            failed,
            client: client.to_string(),
            cause,
        }
    }
}

/// One call of the linearizability workload (the checker's JSON `Call`).
struct LinCall {
    client: usize,
    op: &'static str,
    key: String,
    value: String,
    expected: String,
    call: i64,
    ret: i64,
    ok: bool,
    read: String,
    unknown: bool,
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn history_json(calls: &[LinCall]) -> String {
    let mut s = String::from("[\n");
    for (i, c) in calls.iter().enumerate() {
        let _ = write!(
            s,
            "{{\"client\":{},\"op\":\"{}\",\"key\":{},\"value\":{},\"expected\":{},\"call\":{},\"return\":{},\"ok\":{},\"read\":{},\"unknown\":{}}}{}\n",
            c.client,
            c.op,
            json_str(&c.key),
            json_str(&c.value),
            json_str(&c.expected),
            c.call,
            c.ret,
            c.ok,
            json_str(&c.read),
            c.unknown,
            if i + 1 < calls.len() { "," } else { "" }
        );
    }
    s.push(']');
    s
}

/// A small deterministic generator (xorshift64*), seeded per client.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }
}

fn options(timeout: Option<Duration>) -> ClientOptions {
    ClientOptions {
        request_timeout: timeout,
        ..ClientOptions::default()
    }
}

/// The `go` to use: `$GO`, `go` on the PATH, or /usr/local/go/bin/go.
fn find_go() -> Option<PathBuf> {
    let works = |p: &Path| {
        Command::new(p)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Some(g) = std::env::var_os("GO") {
        return Some(PathBuf::from(g)).filter(|p| works(p));
    }
    [PathBuf::from("go"), PathBuf::from("/usr/local/go/bin/go")]
        .into_iter()
        .find(|p| works(p))
}

/// Builds the Porcupine checker into the test's temporary directory.
fn build_checker() -> PathBuf {
    let go = find_go().expect(
        "the fault suite needs Go (set GO, put go on the PATH, or install it in /usr/local/go)",
    );
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fault/linearizability");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lincheck");
    let st = Command::new(&go)
        .args(["build", "-buildvcs=false", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .status()
        .expect("run go build");
    assert!(st.success(), "go build of {} failed", src.display());
    out
}

/// Index of the current leader, asked of the members themselves.
fn leader(cl: &Cluster) -> Option<usize> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let eps: Vec<String> = (0..3).map(|i| cl.endpoint(i)).collect();
    rt.block_on(async {
        let mut ids = Vec::new();
        let mut leader_id = 0;
        for ep in &eps {
            let opts = etcd_client::ConnectOptions::new()
                .with_connect_timeout(Duration::from_secs(2))
                .with_timeout(Duration::from_secs(2));
            let st = match etcd_client::Client::connect([ep.clone()], Some(opts)).await {
                Ok(mut c) => c.status().await.ok(),
                Err(_) => None,
            };
            match st {
                Some(s) => {
                    ids.push(s.header().map_or(0, |h| h.member_id()));
                    leader_id = s.leader();
                }
                None => ids.push(0),
            }
        }
        ids.iter().position(|&id| id != 0 && id == leader_id)
    })
}

/// Why leases can be lost right after a frozen leader is thawed, whatever the client does.
const LEADER_THAW_NOTE: &str = "leases lost within 3 s after a frozen leader was thawed: etcd 3.4 servers before the fix of \
etcd-io/etcd#15247 (backported to 3.4 by etcd-io/etcd#17465; Debian ships 3.4.23) let an old leader that resumes revoke \
every lease whose expiry passed in its stale view; check whether the leases were fine until the thaw (lowest remaining TTL)";

/// A fault injected, for the error windows.
struct Fault {
    name: String,
    start: i64,
    restored: i64,
    /// A freeze of the leader.
    leader_freeze: bool,
}

struct Shared {
    clock: Clock,
    stop: AtomicBool,
}

/// (a) The writer: sequential puts of 1, 2, 3, ... to one key under the watched prefix.
struct WatchOutcome {
    acked: Vec<u64>,
    unknown: usize,
    calls: Vec<CallRec>,
}

fn watch_writer(sh: Arc<Shared>, eps: String, key: Vec<u8>) -> JoinHandle<WatchOutcome> {
    std::thread::spawn(move || {
        let c = Client::new(&eps, options(Some(CALL_TIMEOUT)));
        let mut out = WatchOutcome {
            acked: Vec::new(),
            unknown: 0,
            calls: Vec::new(),
        };
        let mut n = 0u64;
        while !sh.stop.load(Ordering::SeqCst) {
            n += 1;
            let t = sh.clock.ns();
            let r = c.execute_blocking(Request::Put {
                key: key.clone(),
                value: b(&n.to_string()),
                lease: 0,
            });
            let failed = !r.is_ok();
            out.calls
                .push(CallRec::new("writer", "put", t, sh.clock.ns(), &r));
            if failed {
                out.unknown += 1;
            } else {
                out.acked.push(n);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        out
    })
}

/// (b) The leases: one keep-alive per member order (so that some keep-alive's stream is on
/// whichever member fails), each holding one key. A poller reads the keys; a key found absent is
/// a lost lease, after which a new keep-alive and key are set up so that later losses count too.
struct LeaseOutcome {
    losses: Vec<(usize, i64)>,
    lowest_ttl: i64,
    handler_errors: Vec<String>,
    check_errors: Vec<String>,
    polls: usize,
    calls: Vec<CallRec>,
    setup_failures: usize,
}

fn new_keepalive(
    c: &Client,
    which: usize,
    errors: &Arc<Mutex<Vec<String>>>,
    clock: Clock,
) -> KeepAlive {
    let e = errors.clone();
    KeepAlive::new(
        c,
        LEASE_TTL,
        0,
        Some(Box::new(move |err: KeepAliveError| {
            e.lock().unwrap().push(format!(
                "keep-alive {which} at {:.1} s: {:?}: {}",
                secs(clock.ns()),
                err.kind,
                err.message
            ));
        })),
    )
}

fn lease_worker(
    sh: Arc<Shared>,
    specs: Vec<String>,
    keys: Vec<Vec<u8>>,
    ready: std::sync::mpsc::Sender<bool>,
) -> JoinHandle<LeaseOutcome> {
    std::thread::spawn(move || {
        // The keep-alives run on clients with default options (no call deadline), as most
        // programs create them; the poller has its own client with a deadline.
        let kcs: Vec<Client> = specs
            .iter()
            .map(|s| Client::new(s, options(None)))
            .collect();
        let poll = Client::new(&specs[0], options(Some(CALL_TIMEOUT)));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let mut out = LeaseOutcome {
            losses: Vec::new(),
            lowest_ttl: i64::MAX,
            handler_errors: Vec::new(),
            check_errors: Vec::new(),
            polls: 0,
            calls: Vec::new(),
            setup_failures: 0,
        };
        let setup = |i: usize, out: &mut LeaseOutcome| -> Option<KeepAlive> {
            let ka = new_keepalive(&kcs[i], i, &errors, sh.clock);
            if ka.lease() == 0 {
                out.setup_failures += 1;
                return None;
            }
            let put = || {
                poll.execute_blocking(Request::Put {
                    key: keys[i].clone(),
                    value: b("alive"),
                    lease: ka.lease(),
                })
                .is_ok()
            };
            if wait_until(Duration::from_secs(10), put) {
                Some(ka)
            } else {
                out.setup_failures += 1;
                None
            }
        };
        let mut kas: Vec<Option<KeepAlive>> = (0..kcs.len()).map(|i| setup(i, &mut out)).collect();
        let _ = ready.send(kas.iter().all(Option::is_some));
        let mut old = Vec::new();
        while !sh.stop.load(Ordering::SeqCst) {
            for i in 0..kas.len() {
                let Some(cur) = kas[i].as_ref() else {
                    kas[i] = setup(i, &mut out);
                    continue;
                };
                let t = sh.clock.ns();
                let r = poll.execute_blocking(Request::Get {
                    key: keys[i].clone(),
                    revision: 0,
                });
                out.calls
                    .push(CallRec::new("poller", "get", t, sh.clock.ns(), &r));
                out.polls += 1;
                if r.error_code == 100 {
                    out.losses.push((i, t));
                    eprintln!(
                        "fault suite: keep-alive {i}: lease {:x} lost at {:.1} s (its key is gone)",
                        cur.lease(),
                        secs(t)
                    );
                    old.push(kas[i].take());
                    continue;
                }
                let ttl = poll.execute_blocking(Request::LeaseTimeToLive { id: cur.lease() });
                if ttl.is_ok() && ttl.value.ttl > 0 {
                    out.lowest_ttl = out.lowest_ttl.min(ttl.value.ttl);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        for (i, ka) in kas.iter().enumerate() {
            let Some(k) = ka else { continue };
            if let Some(e) = k.check() {
                out.check_errors
                    .push(format!("keep-alive {i}: {:?}: {}", e.kind, e.message));
            }
            if poll
                .execute_blocking(Request::Get {
                    key: keys[i].clone(),
                    revision: 0,
                })
                .error_code
                == 100
            {
                out.losses.push((i, sh.clock.ns()));
            }
        }
        out.handler_errors = errors.lock().unwrap().clone();
        drop(old);
        out
    })
}

/// (c) One client of the linearizability workload.
fn lin_worker(
    sh: Arc<Shared>,
    eps: String,
    id: usize,
    keys: Vec<String>,
) -> JoinHandle<(Vec<LinCall>, Vec<CallRec>)> {
    std::thread::spawn(move || {
        let c = Client::new(&eps, options(Some(CALL_TIMEOUT)));
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((id as u64 + 1) * 0x1000_0001));
        let mut last: HashMap<usize, String> = HashMap::new();
        let mut hist = Vec::new();
        let mut calls = Vec::new();
        let mut n = 0u64;
        while !sh.stop.load(Ordering::SeqCst) {
            n += 1;
            let k = rng.below(keys.len() as u64) as usize;
            let key = keys[k].clone();
            let value = format!("c{id}-{n}");
            let pick = rng.below(10);
            let (op, req, expected) = if pick < 4 {
                (
                    "get",
                    Request::Get {
                        key: b(&key),
                        revision: 0,
                    },
                    String::new(),
                )
            } else if pick < 7 {
                (
                    "put",
                    Request::Put {
                        key: b(&key),
                        value: b(&value),
                        lease: 0,
                    },
                    String::new(),
                )
            } else {
                let exp = last.get(&k).cloned().unwrap_or_else(|| "none".into());
                (
                    "cas",
                    Request::ModifyIf {
                        key: b(&key),
                        value: b(&value),
                        compare: Compare::Value(b(&exp)),
                        lease: 0,
                    },
                    exp,
                )
            };
            let t = sh.clock.ns();
            let r: Response = c.execute_blocking(req);
            let ret = sh.clock.ns();
            calls.push(CallRec::new(&format!("c{id}"), op, t, ret, &r));
            let mut rec = LinCall {
                client: id,
                op,
                key,
                value: String::new(),
                expected,
                call: t,
                ret,
                ok: false,
                read: String::new(),
                unknown: false,
            };
            match op {
                "get" => match r.error_code {
                    0 => {
                        rec.read = String::from_utf8_lossy(&r.value.value).into_owned();
                        last.insert(k, rec.read.clone());
                    }
                    100 => {}
                    _ => rec.unknown = true,
                },
                "put" => {
                    rec.value = value;
                    rec.unknown = !r.is_ok();
                    if r.is_ok() {
                        last.insert(k, rec.value.clone());
                    }
                }
                _ => {
                    rec.value = value;
                    match r.error_code {
                        0 => {
                            rec.ok = true;
                            last.insert(k, rec.value.clone());
                        }
                        101 => {
                            // The failed comparison read the current value: try that next time.
                            if !r.value.value.is_empty() {
                                last.insert(
                                    k,
                                    String::from_utf8_lossy(&r.value.value).into_owned(),
                                );
                            }
                        }
                        _ => rec.unknown = true,
                    }
                }
            }
            hist.push(rec);
            std::thread::sleep(Duration::from_millis(3));
        }
        (hist, calls)
    })
}

/// Failed calls around one fault: from its start until the next fault starts. The error window
/// runs from the first failed call's start to the last one's end; the time in failed calls is
/// the union of their durations; the causes are counted by worker, code and message.
fn error_window(f: &Fault, until: i64, calls: &[CallRec]) -> String {
    let inside: Vec<&CallRec> = calls
        .iter()
        .filter(|c| c.call >= f.start && c.call < until)
        .collect();
    let mut failed: Vec<&&CallRec> = inside.iter().filter(|c| c.failed).collect();
    failed.sort_by_key(|c| c.call);
    let mut s = format!(
        "{:<21} at {:>5.1} s, restored after {:>4.1} s: {:>3} of {:>5} calls failed",
        f.name,
        secs(f.start),
        secs(f.restored - f.start),
        failed.len(),
        inside.len()
    );
    if let (Some(first), Some(last)) = (
        failed.first().map(|c| c.call),
        failed.iter().map(|c| c.ret).max(),
    ) {
        let mut union = 0;
        let mut cur: Option<(i64, i64)> = None;
        for c in &failed {
            cur = match cur {
                Some((a, z)) if c.call <= z => Some((a, z.max(c.ret))),
                Some((a, z)) => {
                    union += z - a;
                    Some((c.call, c.ret))
                }
                None => Some((c.call, c.ret)),
            };
        }
        if let Some((a, z)) = cur {
            union += z - a;
        }
        let after = failed.iter().filter(|c| c.call > f.restored).count();
        let _ = write!(
            s,
            ", error window {:.1} s (+{:.1} s to +{:.1} s), {:.1} s in failed calls, {after} failed after the restore",
            secs(last - first),
            secs(first - f.start),
            secs(last - f.start),
            secs(union)
        );
        let mut per_client: Vec<(String, usize)> = Vec::new();
        for c in &failed {
            match per_client.iter_mut().find(|(x, _)| *x == c.client) {
                Some((_, n)) => *n += 1,
                None => per_client.push((c.client.clone(), 1)),
            }
        }
        per_client.sort();
        let pc: Vec<String> = per_client.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = write!(s, "\n      failed calls per client: {}", pc.join(", "));
        let mut causes: Vec<(String, usize)> = Vec::new();
        for c in &failed {
            let Some((what, code, msg)) = &c.cause else {
                continue;
            };
            let k = format!("{what}: {code} {msg}");
            match causes.iter_mut().find(|(x, _)| *x == k) {
                Some((_, n)) => *n += 1,
                None => causes.push((k, 1)),
            }
        }
        for (k, n) in causes {
            let _ = write!(s, "\n      {n:>3} x {k}");
        }
    }
    s
}

/// (a) One watcher and what it delivered: (mod revision, number) per put event on the written
/// key, and every error response.
struct WatchProbe {
    watcher: Watcher,
    events: Arc<Mutex<Vec<(i64, u64)>>>,
    errors: Arc<Mutex<Vec<String>>>,
    probed: Arc<AtomicBool>,
}

fn start_watcher(spec: &str, prefix: &str, key: &[u8], clock: Clock) -> WatchProbe {
    let events = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let probed = Arc::new(AtomicBool::new(false));
    let (ev, er, pr, wk) = (events.clone(), errors.clone(), probed.clone(), key.to_vec());
    let c = Client::new(spec, options(None));
    let watcher = Watcher::new(&c, KeyRange::prefix(b(prefix)), 0, move |r: Response| {
        if !r.is_ok() {
            er.lock().unwrap().push(format!(
                "at {:.1} s: {} {}",
                secs(clock.ns()),
                r.error_code,
                r.error_message
            ));
        }
        for e in &r.events {
            let Some(kv) = &e.kv else { continue };
            if kv.key != wk {
                pr.store(true, Ordering::SeqCst);
            } else if e.event_type == EventType::Put {
                let seq = String::from_utf8_lossy(&kv.value)
                    .parse::<u64>()
                    .unwrap_or(0);
                ev.lock().unwrap().push((kv.mod_revision, seq));
            }
        }
    });
    WatchProbe {
        watcher,
        events,
        errors,
        probed,
    }
}

/// What one watcher got wrong.
struct WatchVerdict {
    events: usize,
    missed: Vec<u64>,
    duplicates: usize,
    out_of_order: usize,
    regressions: usize,
    ended: bool,
    errors: Vec<String>,
}

impl WatchVerdict {
    fn of(w: &WatchProbe, acked: &[u64]) -> WatchVerdict {
        let ended = w.watcher.ended();
        w.watcher.cancel();
        let seen = w.events.lock().unwrap().clone();
        let mut count: HashMap<u64, usize> = HashMap::new();
        for &(_, s) in &seen {
            *count.entry(s).or_default() += 1;
        }
        let acked_set: std::collections::HashSet<u64> = acked.iter().copied().collect();
        let acked_seen: Vec<u64> = seen
            .iter()
            .map(|&(_, s)| s)
            .filter(|s| acked_set.contains(s))
            .collect();
        WatchVerdict {
            events: seen.len(),
            missed: acked
                .iter()
                .copied()
                .filter(|s| !count.contains_key(s))
                .collect(),
            duplicates: count.values().map(|&n| n.saturating_sub(1)).sum(),
            out_of_order: acked_seen.windows(2).filter(|w| w[1] <= w[0]).count(),
            regressions: seen.windows(2).filter(|w| w[1].0 <= w[0].0).count(),
            ended,
            errors: w.errors.lock().unwrap().clone(),
        }
    }

    fn failures(&self, i: usize) -> Vec<String> {
        let mut f = Vec::new();
        if !self.missed.is_empty() {
            let shown: Vec<String> = self.missed.iter().take(20).map(|s| s.to_string()).collect();
            f.push(format!(
                "watcher {i}: {} acknowledged puts never delivered (first: {})",
                self.missed.len(),
                shown.join(" ")
            ));
        }
        if self.duplicates > 0 {
            f.push(format!("watcher {i}: {} duplicate events", self.duplicates));
        }
        if self.out_of_order > 0 || self.regressions > 0 {
            f.push(format!(
                "watcher {i}: {} acknowledged puts out of order, {} revision regressions",
                self.out_of_order, self.regressions
            ));
        }
        if self.ended || !self.errors.is_empty() {
            f.push(format!(
                "watcher {i}: ended ({}) or reported errors: {:?}",
                self.ended, self.errors
            ));
        }
        f
    }
}

#[test]
fn faults() {
    let total = std::env::var("FAULT_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(60)
        .max(20);
    let rounds = (total as f64 / 60.0).round().max(1.0) as u64;
    // A round: three kills of one slot each, and a freeze of two slots.
    let slot = Duration::from_secs((total / rounds / 5).max(6));
    let checker = build_checker();

    let mut cl = Cluster::start(3);
    let eps = cl.endpoints();
    let clock = Clock(Instant::now());
    let sh = Arc::new(Shared {
        clock,
        stop: AtomicBool::new(false),
    });
    let p = format!("/fault/{}/", std::process::id());
    let mut failures: Vec<String> = Vec::new();

    // The same endpoints in three orders: the watchers and keep-alives start on different
    // members, so that some of them are on whichever member fails.
    let specs: Vec<String> = (0..3)
        .map(|r| {
            (0..3)
                .map(|i| cl.endpoint((i + r) % 3))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();

    // (a) The watchers, each confirmed by a first event before the writer starts.
    let watch_prefix = format!("{p}watch/");
    let watch_key = b(&format!("{watch_prefix}k"));
    let watchers: Vec<WatchProbe> = specs
        .iter()
        .map(|spec| start_watcher(spec, &watch_prefix, &watch_key, clock))
        .collect();
    let setup = Client::new(&eps, options(Some(CALL_TIMEOUT)));
    assert!(
        wait_until(Duration::from_secs(10), || {
            setup.execute_blocking(Request::Put {
                key: b(&format!("{watch_prefix}probe")),
                value: b("x"),
                lease: 0,
            });
            watchers.iter().all(|w| w.probed.load(Ordering::SeqCst))
        }),
        "a watcher saw no event within 10 s on a healthy cluster"
    );

    // (b) The keep-alives.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let lease_keys: Vec<Vec<u8>> = (0..specs.len())
        .map(|i| b(&format!("{p}lease/k{i}")))
        .collect();
    let lease = lease_worker(sh.clone(), specs.clone(), lease_keys, ready_tx);
    assert!(
        ready_rx.recv().unwrap_or(false),
        "could not grant the leases and put their keys on a healthy cluster"
    );

    let writer = watch_writer(sh.clone(), eps.clone(), watch_key.clone());
    let keys: Vec<String> = (0..LIN_KEYS).map(|k| format!("{p}lin/k{k}")).collect();
    let lin: Vec<_> = (0..LIN_CLIENTS)
        .map(|id| lin_worker(sh.clone(), eps.clone(), id, keys.clone()))
        .collect();

    eprintln!(
        "fault suite: {total} s of faults in {rounds} round(s), slot {} s, freeze {} s",
        slot.as_secs(),
        FREEZE.as_secs()
    );
    // A short calm start, so that the first fault does not hit a cold cluster.
    std::thread::sleep(Duration::from_secs(2));
    let mut faults: Vec<Fault> = Vec::new();
    for round in 0..rounds {
        for m in 0..3 {
            let role = if leader(&cl) == Some(m) {
                "leader"
            } else {
                "follower"
            };
            let start = Instant::now();
            cl.kill(m);
            eprintln!(
                "fault suite: {:.1} s: killed m{m} ({role})",
                secs(clock.ns())
            );
            std::thread::sleep(slot / 2);
            cl.restart(m);
            let restored = Instant::now();
            eprintln!("fault suite: {:.1} s: m{m} serves again", secs(clock.ns()));
            faults.push(Fault {
                name: format!("kill m{m} ({role})"),
                start: clock.at(start),
                restored: clock.at(restored),
                leader_freeze: false,
            });
            let until = (start + slot).max(restored + Duration::from_secs(2));
            std::thread::sleep(until.saturating_duration_since(Instant::now()));
        }
        // A follower by default; FAULT_FREEZE=leader freezes the leader, =alternate the leader
        // in odd rounds. Thawing a frozen leader can make etcd 3.4.23 revoke every lease (see
        // `LEADER_THAW_NOTE`); the kills already take the leader down once per round.
        let lead = leader(&cl);
        let freeze_leader = match std::env::var("FAULT_FREEZE").as_deref() {
            Ok("leader") => true,
            Ok("alternate") => round % 2 == 1,
            _ => false,
        };
        let victim = match lead {
            Some(l) if freeze_leader => l,
            Some(l) => (l + 1) % 3,
            None => (round as usize) % 3,
        };
        let role = if Some(victim) == lead {
            "leader"
        } else {
            "follower"
        };
        let start = Instant::now();
        cl.freeze(victim, true);
        eprintln!(
            "fault suite: {:.1} s: froze m{victim} ({role})",
            secs(clock.ns())
        );
        std::thread::sleep(FREEZE);
        cl.freeze(victim, false);
        let restored = Instant::now();
        eprintln!("fault suite: {:.1} s: thawed m{victim}", secs(clock.ns()));
        faults.push(Fault {
            name: format!("freeze m{victim} ({role})"),
            start: clock.at(start),
            restored: clock.at(restored),
            leader_freeze: role == "leader",
        });
        let until = (start + slot * 2).max(restored + Duration::from_secs(5));
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
    }
    sh.stop.store(true, Ordering::SeqCst);
    let end = clock.ns();
    let wout = writer.join().expect("writer");
    let lout = lease.join().expect("lease worker");
    let mut history = Vec::new();
    let mut all_calls: Vec<CallRec> = wout.calls.clone();
    all_calls.extend(lout.calls.iter().cloned());
    for h in lin {
        let (hist, calls) = h.join().expect("client");
        history.extend(hist);
        all_calls.extend(calls);
    }

    // (a) Every acknowledged put, exactly once and in order: a last put, acknowledged, must be
    // delivered; everything acknowledged before it must have been delivered before it.
    // Each attempt writes the next number, so that a retried attempt cannot look like a duplicate.
    let mut wout = wout;
    let mut sentinel = (wout.acked.len() + wout.unknown) as u64;
    let sentinel_acked = wait_until(Duration::from_secs(30), || {
        sentinel += 1;
        let ok = setup
            .execute_blocking(Request::Put {
                key: watch_key.clone(),
                value: b(&sentinel.to_string()),
                lease: 0,
            })
            .is_ok();
        if ok {
            wout.acked.push(sentinel);
        } else {
            wout.unknown += 1;
        }
        ok
    });
    let delivered = wait_until(Duration::from_secs(30), || {
        watchers
            .iter()
            .all(|w| w.events.lock().unwrap().iter().any(|&(_, s)| s == sentinel))
    });
    let verdicts: Vec<WatchVerdict> = watchers
        .iter()
        .map(|w| WatchVerdict::of(w, &wout.acked))
        .collect();

    // (c) Linearizability.
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fault-history-{}.json", std::process::id()));
    std::fs::write(&path, history_json(&history)).expect("write the history");
    let html = path.with_extension("html");
    let timeout = format!("{}s", 60 + 2 * total);
    let lin_run = Command::new(&checker)
        .args(["-timeout", &timeout, "-html"])
        .arg(&html)
        .arg(&path)
        .output()
        .expect("run the checker");
    let lin_report = String::from_utf8_lossy(&lin_run.stdout).into_owned();
    let lin_ok = history.iter().filter(|c| !c.unknown).count();
    let lin_unknown = history.len() - lin_ok;

    // The report.
    let mut report = String::new();
    let _ = writeln!(report, "\n==== fault suite: 3 members, {:.0} s, {rounds} round(s) of 3 kills and a {} s freeze ====", secs(end), FREEZE.as_secs());
    let _ = writeln!(
        report,
        "error windows (calls of every worker, from each fault until the next):"
    );
    for (i, f) in faults.iter().enumerate() {
        let until = faults.get(i + 1).map_or(end, |n| n.start);
        let _ = writeln!(report, "  {}", error_window(f, until, &all_calls));
    }
    let _ = writeln!(
        report,
        "watch:  {} acknowledged puts ({} unknown outcome), {} watchers:",
        wout.acked.len(),
        wout.unknown,
        verdicts.len()
    );
    for (i, v) in verdicts.iter().enumerate() {
        let _ = writeln!(
            report,
            "  watcher {i} (endpoints from m{i}): {} events, {} missed, {} duplicate, {} out of order, {} revision regressions{}",
            v.events,
            v.missed.len(),
            v.duplicates,
            v.out_of_order,
            v.regressions,
            if v.ended { ", ENDED" } else { "" }
        );
    }
    let lowest = if lout.lowest_ttl == i64::MAX {
        "-".to_string()
    } else {
        format!("{} s", lout.lowest_ttl)
    };
    let _ = writeln!(
        report,
        "lease:  {} keep-alives with TTL {LEASE_TTL} s, {} polls, {} lease losses{}, lowest remaining TTL seen {lowest}, handler calls {}, check() failures {}",
        specs.len(),
        lout.polls,
        lout.losses.len(),
        if lout.losses.is_empty() {
            String::new()
        } else {
            format!(" ({})", lout.losses.iter().map(|&(i, t)| format!("keep-alive {i} at {:.1} s", secs(t))).collect::<Vec<_>>().join(", "))
        },
        lout.handler_errors.len(),
        lout.check_errors.len()
    );
    let _ = write!(report, "linearizability: {} calls by {LIN_CLIENTS} clients on {LIN_KEYS} keys ({lin_ok} answered, {lin_unknown} unknown outcome); {}", history.len(), lin_report);
    let _ = writeln!(
        report,
        "history (kept when the suite fails): {}",
        path.display()
    );
    eprintln!("{report}");

    if !sentinel_acked {
        failures.push(
            "the final put was never acknowledged after the faults (cluster unusable?)".into(),
        );
    } else if !delivered {
        failures.push(
            "a watcher never delivered the final put (30 s after it was acknowledged)".into(),
        );
    }
    if wout.acked.len() < 10 {
        failures.push(format!(
            "only {} puts acknowledged: too few to judge the watcher",
            wout.acked.len()
        ));
    }
    for (i, v) in verdicts.iter().enumerate() {
        failures.extend(v.failures(i));
    }
    if !lout.losses.is_empty() {
        failures.push(format!(
            "lease: {} lease losses with a keep-alive running",
            lout.losses.len()
        ));
        let after_thaw = |t: i64| {
            faults.iter().any(|f| {
                f.leader_freeze && t >= f.restored - 500_000_000 && t <= f.restored + 3_000_000_000
            })
        };
        if lout.losses.iter().all(|&(_, t)| after_thaw(t)) {
            failures.push(format!("lease: note: {LEADER_THAW_NOTE}"));
        }
    }
    if lout.setup_failures > 0 {
        failures.push(format!(
            "lease: {} failures to grant a new lease and put its key",
            lout.setup_failures
        ));
    }
    if !lout.handler_errors.is_empty() {
        failures.push(format!(
            "lease: keep-alive handler called: {:?}",
            lout.handler_errors
        ));
    }
    if !lout.check_errors.is_empty() {
        failures.push(format!(
            "lease: keep-alive check() after the faults: {:?}",
            lout.check_errors
        ));
    }
    match lin_run.status.code() {
        Some(0) => {}
        Some(1) => failures.push(format!(
            "linearizability: violations found (visualization: {})",
            html.display()
        )),
        Some(2) => {
            failures.push("linearizability: the checker could not decide within its timeout".into())
        }
        other => failures.push(format!(
            "linearizability: the checker failed ({other:?}): {}",
            String::from_utf8_lossy(&lin_run.stderr)
        )),
    }
    if lin_ok < 100 {
        failures.push(format!(
            "linearizability: only {lin_ok} answered calls, too few to judge"
        ));
    }
    if failures.is_empty() {
        let _ = std::fs::remove_file(&path);
        eprintln!("fault suite: PASSED");
    } else {
        panic!("fault suite FAILED:\n  - {}", failures.join("\n  - "));
    }
}
