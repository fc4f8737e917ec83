//! Where user code runs: an elastic pool of "etcd-cb" threads, serial [`Strand`]s on top of it
//! (one per watcher or keep-alive, so its callbacks run one at a time and in order), and a
//! [`Gate`] that lets `Cancel()` promise that no callback runs after it returns.
//!
//! The pool keeps no thread while there is nothing to run: idle threads exit after
//! [`IDLE_EXIT`]. A job is handed to an idle thread if there is one; otherwise a new thread is
//! started while there are fewer than [`EAGER_THREADS`]; beyond that, a monitor on the runtime
//! starts one more thread each [`STALL_CHECK`] during which queued jobs made no progress. So a
//! burst of short jobs is served by few threads, while a callback that blocks (or calls the
//! blocking API) never holds up the others for long.
//!
//! This module knows nothing of the process-wide runtime: a [`Pool`] is given the runtime handle
//! its stall monitor runs on, and a [`Strand`] the pool it runs on (see [`super::runtime`], which
//! owns both).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

/// A unit of work.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// Name of the callback threads.
pub const CALLBACK_THREAD_NAME: &str = "etcd-cb";
/// How long an idle callback thread waits for work before it exits.
pub const IDLE_EXIT: Duration = Duration::from_secs(2);
/// Threads started without waiting for a stall.
pub const EAGER_THREADS: usize = 2;
/// Period of the stall monitor.
pub const STALL_CHECK: Duration = Duration::from_millis(2);
/// Upper bound on callback threads.
pub const MAX_THREADS: usize = 1024;

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    waiting: usize,
    wakeups: usize,
    /// Jobs taken from the queue so far (progress counter for the monitor).
    taken: u64,
    monitor: bool,
}

/// The elastic callback-thread pool (one per process, owned by the runtime module).
pub struct Pool {
    shared: Arc<PoolShared>,
    /// Where the stall monitor runs.
    runtime: tokio::runtime::Handle,
}

struct PoolShared {
    state: Mutex<PoolState>,
    cv: Condvar,
}

impl Pool {
    /// An empty pool whose stall monitor runs on `runtime`.
    pub fn new(runtime: tokio::runtime::Handle) -> Pool {
        Pool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState::default()),
                cv: Condvar::new(),
            }),
            runtime,
        }
    }

    /// Runs `job` on a callback thread.
    pub fn submit(&self, job: Job) {
        let mut st = self.shared.lock();
        st.queue.push_back(job);
        if st.waiting > st.wakeups {
            st.wakeups += 1;
            self.shared.cv.notify_one();
        } else if st.threads < EAGER_THREADS {
            start_thread(&self.shared, &mut st);
        } else if !st.monitor {
            st.monitor = true;
            let shared = self.shared.clone();
            self.runtime.spawn(async move { monitor(shared).await });
        }
    }
}

fn start_thread(shared: &Arc<PoolShared>, st: &mut PoolState) {
    let s = shared.clone();
    let spawned = std::thread::Builder::new()
        .name(CALLBACK_THREAD_NAME.into())
        .spawn(move || s.work());
    if spawned.is_ok() {
        st.threads += 1;
    }
}

async fn monitor(shared: Arc<PoolShared>) {
    let mut last = shared.lock().taken;
    loop {
        tokio::time::sleep(STALL_CHECK).await;
        let mut st = shared.lock();
        if st.queue.is_empty() {
            st.monitor = false;
            return;
        }
        if st.waiting > st.wakeups {
            st.wakeups += 1;
            shared.cv.notify_one();
        } else if st.taken == last && st.threads < MAX_THREADS {
            start_thread(&shared, &mut st);
        }
        last = st.taken;
    }
}

impl PoolShared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn work(&self) {
        let mut st = self.lock();
        loop {
            if let Some(job) = st.queue.pop_front() {
                st.taken += 1;
                drop(st);
                // A panic in a job must not kill the thread's bookkeeping.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                st = self.lock();
                continue;
            }
            st.waiting += 1;
            let (guard, timeout) = self
                .cv
                .wait_timeout(st, IDLE_EXIT)
                .unwrap_or_else(|e| e.into_inner());
            st = guard;
            st.waiting -= 1;
            if st.wakeups > 0 {
                st.wakeups -= 1;
            } else if timeout.timed_out() && st.queue.is_empty() {
                st.threads -= 1;
                return;
            }
        }
    }
}

/// Runs jobs one at a time, in the order posted, on a pool; holds no thread while empty.
#[derive(Clone)]
pub struct Strand {
    inner: Arc<Mutex<StrandState>>,
    pool: &'static Pool,
}

#[derive(Default)]
struct StrandState {
    queue: VecDeque<Job>,
    running: bool,
}

impl Strand {
    /// A new, empty strand on `pool` (the process's pool is [`super::runtime::pool`]).
    pub fn new(pool: &'static Pool) -> Strand {
        Strand {
            inner: Arc::default(),
            pool,
        }
    }

    /// Queues `job` after the strand's earlier jobs.
    pub fn post(&self, job: Job) {
        let mut st = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        st.queue.push_back(job);
        if !st.running {
            st.running = true;
            let (inner, pool) = (self.inner.clone(), self.pool);
            pool.submit(Box::new(move || drain(inner, pool)));
        }
    }
}

fn drain(inner: Arc<Mutex<StrandState>>, pool: &'static Pool) {
    // Bounded turns keep one busy strand from starving the pool's queue.
    for _ in 0..64 {
        let job = {
            let mut st = inner.lock().unwrap_or_else(|e| e.into_inner());
            match st.queue.pop_front() {
                Some(job) => job,
                None => {
                    st.running = false;
                    return;
                }
            }
        };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
    pool.submit(Box::new(move || drain(inner, pool)));
}

/// Guards a user callback against running after its owner was cancelled.
///
/// Callbacks run inside [`Gate::run`]; [`Gate::close`] forbids further runs and waits for a
/// callback running on another thread to finish, but not for one running on the calling thread
/// (a callback that cancels its own watcher).
#[derive(Default)]
pub struct Gate {
    state: Mutex<GateState>,
    cv: Condvar,
}

#[derive(Default)]
struct GateState {
    closed: bool,
    running: Option<ThreadId>,
}

impl Gate {
    /// Runs `f` unless the gate is closed; returns whether it ran.
    pub fn run(&self, f: impl FnOnce()) -> bool {
        self.run_even_if_closed(false, f)
    }

    /// Runs `f` even when the gate is closed if `force` (the final "ended" callback).
    pub fn run_even_if_closed(&self, force: bool, f: impl FnOnce()) -> bool {
        {
            let mut st = self.lock();
            if st.closed && !force {
                return false;
            }
            st.running = Some(std::thread::current().id());
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let mut st = self.lock();
        st.running = None;
        self.cv.notify_all();
        drop(st);
        if let Err(p) = result {
            std::panic::resume_unwind(p);
        }
        true
    }

    /// Closes the gate and waits until no callback runs on another thread.
    pub fn close(&self) {
        let me = std::thread::current().id();
        let mut st = self.lock();
        st.closed = true;
        while st.running.is_some_and(|t| t != me) {
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// True when called from inside a callback of this gate.
    pub fn is_current(&self) -> bool {
        self.lock().running == Some(std::thread::current().id())
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
