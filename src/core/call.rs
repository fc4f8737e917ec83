//! A call in flight that its caller may wait for in slices, poll, be told about, or abandon.
//!
//! The blocking API ([`Client::execute_blocking`]) keeps its thread until the answer comes,
//! which a host that must stay responsive (Python's Ctrl-C, an event loop) cannot afford.
//! [`Call::start`] runs the same request on the runtime and returns at once; the caller then
//! waits with a timeout as often as it likes ([`Call::wait`]), takes the response
//! ([`Call::take`]), and may ask for a completion callback ([`Call::on_done`], for event loops).
//! Dropping an unfinished call abandons it: the request is stopped where it is (a write that
//! was already sent may still be applied) and no callback runs after the drop returns.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::dispatch::Gate;
use super::{runtime, Client, Request, Response};

type DoneCallback = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    response: Option<Response>,
    finished: bool,
    on_done: Option<DoneCallback>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    cv: Condvar,
    /// Keeps the completion callback from running after the call was dropped.
    gate: Gate,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `callback` to a callback thread (never a runtime worker).
    fn run_callback(self: &Arc<Self>, callback: DoneCallback) {
        let shared = Arc::clone(self);
        runtime::submit(Box::new(move || {
            shared.gate.run(callback);
        }));
    }
}

/// A request started with [`Call::start`].
pub struct Call {
    shared: Arc<Shared>,
    task: tokio::task::AbortHandle,
}

impl Call {
    /// Starts `request` on `client` and returns without waiting.
    pub fn start(client: &Client, request: Request) -> Call {
        let shared = Arc::new(Shared::default());
        let c = client.clone();
        let done = Arc::clone(&shared);
        let task = runtime::spawn(async move {
            let response = c.execute(request).await;
            let callback = {
                let mut st = done.lock();
                st.response = Some(response);
                st.finished = true;
                done.cv.notify_all();
                st.on_done.take()
            };
            if let Some(callback) = callback {
                done.run_callback(callback);
            }
        })
        .abort_handle();
        Call { shared, task }
    }

    /// Waits until the call has finished or `timeout` has passed (`None`: no limit); true if it
    /// has finished (also when its response was already taken).
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut st = self.shared.lock();
        while !st.finished {
            match deadline {
                None => st = self.shared.cv.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    st = self
                        .shared
                        .cv
                        .wait_timeout(st, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        true
    }

    /// True once the call has finished.
    pub fn is_done(&self) -> bool {
        self.shared.lock().finished
    }

    /// The response, once the call has finished; `None` before, and after it was taken.
    pub fn take(&self) -> Option<Response> {
        self.shared.lock().response.take()
    }

    /// Runs `callback` once when the call finishes (soon, if it already has), on a library
    /// callback thread; it replaces a callback set before that has not run. Not after the call
    /// was dropped, unless it was already running then.
    pub fn on_done(&self, callback: impl FnOnce() + Send + 'static) {
        let callback: DoneCallback = Box::new(callback);
        let mut st = self.shared.lock();
        if st.finished {
            drop(st);
            self.shared.run_callback(callback);
        } else {
            st.on_done = Some(callback);
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.task.abort();
        self.shared.lock().on_done = None;
        self.shared.gate.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    /// A client of an endpoint that accepts connections and never answers.
    fn silent_server() -> (std::net::TcpListener, Client) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let client = Client::new(&format!("http://{addr}"), Default::default());
        (listener, client)
    }

    #[test]
    fn waits_in_slices_and_abandons() {
        let (_listener, client) = silent_server();
        let call = Call::start(
            &client,
            Request::Get {
                key: b"k".to_vec(),
                revision: 0,
            },
        );
        let started = Instant::now();
        assert!(!call.wait(Some(Duration::from_millis(50))));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(50) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        assert!(!call.is_done());
        assert!(call.take().is_none());
        let ran = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&ran);
        call.on_done(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        drop(call);
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "no callback for an abandoned call"
        );
    }

    #[test]
    fn finished_call_gives_its_response_once_and_calls_back() {
        // Nothing listens on port 1: the call finishes with error 14 after the connect attempt.
        let client = Client::new("http://127.0.0.1:1", Default::default());
        let call = Call::start(
            &client,
            Request::Get {
                key: b"k".to_vec(),
                revision: 0,
            },
        );
        assert!(call.wait(Some(Duration::from_secs(30))));
        assert!(call.is_done());
        let response = call.take().expect("a response");
        assert_eq!(response.error_code, 14, "{}", response.error_message);
        assert!(call.take().is_none());
        assert!(call.wait(Some(Duration::ZERO)));
        // A callback set after the end still runs, on a callback thread.
        let (tx, rx) = mpsc::channel();
        call.on_done(move || {
            let _ = tx.send(std::thread::current().name().map(str::to_owned));
        });
        let name = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("callback ran");
        assert_eq!(name.as_deref(), Some("etcd-cb"));
    }
}
