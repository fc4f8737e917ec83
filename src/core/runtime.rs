//! The one process-wide tokio runtime and the callback-thread pool, created lazily and created
//! again in a forked child.
//!
//! `fork()` copies only the calling thread, so a child inherits a runtime whose worker threads do
//! not exist: using it hangs and dropping it waits forever. Each access therefore compares the
//! current process id with the one the globals were built in; on a mismatch the old globals are
//! leaked (never touched again) and fresh ones are built. Objects created in the parent must not
//! be used in the child; objects created in the child work normally.

use std::cell::Cell;
use std::sync::Mutex;

use tokio::runtime::{Handle, Runtime};

use super::dispatch::{Job, Pool};

/// Name prefix of the runtime's worker threads.
pub const RUNTIME_THREAD_NAME: &str = "etcd-rt";

struct Globals {
    pid: u32,
    runtime: Runtime,
    pool: Pool,
}

static THREAD_START: once_cell::sync::OnceCell<fn()> = once_cell::sync::OnceCell::new();

/// Sets a function that each runtime worker runs when it starts. The FFI layers use it to block
/// SIGPIPE on the runtime's threads: a C or C++ host keeps SIGPIPE's default action, and a
/// vectored write to a connection etcd has just closed would otherwise kill the process. Only
/// the first call counts; it must come before the first client is created.
pub fn set_thread_start_hook(hook: fn()) {
    let _ = THREAD_START.set(hook);
}

static GLOBALS: Mutex<Option<&'static Globals>> = Mutex::new(None);

thread_local! {
    static CACHE: Cell<Option<&'static Globals>> = const { Cell::new(None) };
}

fn globals() -> &'static Globals {
    let pid = std::process::id();
    if let Some(g) = CACHE.with(Cell::get).filter(|g| g.pid == pid) {
        return g;
    }
    // Each thread takes the lock once (then uses its cache). If a fork happened while another
    // thread held it, the child would block here; the lock is held only for a few instructions
    // or while the globals are first built, so that window is tiny.
    let mut slot = GLOBALS.lock().unwrap_or_else(|e| e.into_inner());
    let g = match *slot {
        Some(g) if g.pid == pid => g,
        _ => {
            let g = build(pid);
            *slot = Some(g);
            g
        }
    };
    CACHE.with(|c| c.set(Some(g)));
    g
}

/// Environment variable that sets the number of runtime worker threads (1 to 64).
pub const WORKER_THREADS_ENV: &str = "ETCD_CPP_RS_WORKER_THREADS";

/// The number of runtime workers: `ETCD_CPP_RS_WORKER_THREADS` when it holds a number from 1
/// to 64, else half the CPUs, at least 1 and at most 4.
///
/// Half, because the client shares the machine with its application and often with etcd itself,
/// and a second worker costs wake-ups as well as a thread: a task that becomes ready on one
/// worker wakes a parked one to steal it. Measured on 2 CPUs with etcd on the same machine
/// (interleaved rounds against etcd 3.6): one worker instead of two cut a sequential call's
/// voluntary context switches from about 6 to 3.7 (put) and 3.1 (get), and raised sequential
/// puts from 773 to 1,259 ops/s, gets from 1,585 to 2,234 ops/s and 10,000 async puts from
/// 7,045 to 10,031 ops/s, with less client CPU per operation in all three.
pub fn worker_threads() -> usize {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let configured = std::env::var(WORKER_THREADS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok());
    workers_for(cpus, configured)
}

fn workers_for(cpus: usize, configured: Option<usize>) -> usize {
    match configured {
        Some(n @ 1..=64) => n,
        _ => (cpus / 2).clamp(1, 4),
    }
}

fn build(pid: u32) -> &'static Globals {
    let workers = worker_threads();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(RUNTIME_THREAD_NAME)
        .on_thread_start(|| {
            if let Some(hook) = THREAD_START.get() {
                hook();
            }
        })
        .enable_all()
        .build()
        .expect("failed to start the etcd client runtime");
    // Leaked on purpose: the runtime lives for the whole process (or until a fork replaces it,
    // when dropping it would wait on threads the child does not have).
    let pool = Pool::new(runtime.handle().clone());
    Box::leak(Box::new(Globals { pid, runtime, pool }))
}

/// The runtime of this process.
pub fn handle() -> &'static Handle {
    globals().runtime.handle()
}

/// The callback-thread pool of this process.
pub fn pool() -> &'static Pool {
    &globals().pool
}

/// Runs `fut` to completion on the runtime and blocks the calling thread until then.
///
/// Must not be called from a runtime worker; the library never runs user code there, so a user
/// callback may call blocking operations.
pub fn block_on<F>(fut: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let h = handle();
    if Handle::try_current().is_ok() {
        // Called from inside some runtime (a user's own, or misuse): run on ours and wait on a
        // plain channel, so no runtime is entered twice on this thread.
        let (tx, rx) = std::sync::mpsc::channel();
        h.spawn(async move {
            let _ = tx.send(fut.await);
        });
        return rx.recv().expect("etcd runtime task dropped");
    }
    h.block_on(fut)
}

/// Starts `fut` on the runtime.
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    handle().spawn(fut)
}

/// Runs `job` on a callback thread of this process.
pub fn submit(job: Job) {
    pool().submit(job);
}

#[cfg(test)]
mod tests {
    use super::workers_for;

    #[test]
    fn worker_count() {
        assert_eq!(workers_for(1, None), 1);
        assert_eq!(workers_for(2, None), 1);
        assert_eq!(workers_for(3, None), 1);
        assert_eq!(workers_for(4, None), 2);
        assert_eq!(workers_for(6, None), 3);
        assert_eq!(workers_for(8, None), 4);
        assert_eq!(workers_for(64, None), 4);
        assert_eq!(workers_for(2, Some(3)), 3);
        assert_eq!(workers_for(16, Some(1)), 1);
        // Out of range: the default.
        assert_eq!(workers_for(2, Some(0)), 1);
        assert_eq!(workers_for(8, Some(1000)), 4);
    }
}
