//! [`Hub`]: the handle to a task that owns one stream shared by all users of a connection (the
//! watch stream, the LeaseKeepAlive stream). Users register and unregister by message, so neither
//! ever blocks; the task is started by the first registration and ends when it has no user left.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::runtime;

/// A message to the task: a user registered under a number, or that number unregistered.
pub(crate) enum Cmd<T> {
    Add(u64, T),
    Remove(u64),
}

/// The handle, kept per connection (`Client::per_connection`); it does not hold the client, the
/// task does, and only while it has users.
pub(crate) struct Hub<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// Commands to the running task; `None` when no task runs.
    commands: Option<mpsc::UnboundedSender<Cmd<T>>>,
    next_id: u64,
}

impl<T> Default for Hub<T> {
    fn default() -> Self {
        Hub {
            state: Mutex::new(State {
                commands: None,
                next_id: 0,
            }),
        }
    }
}

impl<T: Send + 'static> Hub<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `user` and returns its number; when no task runs, first spawns
    /// `start(hub, commands)`. Never blocks.
    pub(crate) fn add<F, Fut>(self: &Arc<Self>, user: T, start: F) -> u64
    where
        F: FnOnce(Arc<Self>, mpsc::UnboundedReceiver<Cmd<T>>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut st = self.lock();
        st.next_id += 1;
        let id = st.next_id;
        let tx = match &st.commands {
            Some(tx) if !tx.is_closed() => tx.clone(),
            _ => {
                let (tx, rx) = mpsc::unbounded_channel();
                st.commands = Some(tx.clone());
                runtime::spawn(start(self.clone(), rx));
                tx
            }
        };
        let _ = tx.send(Cmd::Add(id, user));
        id
    }

    /// Unregisters user `id`. Never blocks.
    pub(crate) fn remove(&self, id: u64) {
        if let Some(tx) = &self.lock().commands {
            let _ = tx.send(Cmd::Remove(id));
        }
    }

    /// Called by the task when it has no user: ends it unless a command came in meanwhile
    /// (commands are sent under the same lock, so none is lost).
    pub(crate) fn retire(&self, rx: &mut mpsc::UnboundedReceiver<Cmd<T>>) -> Option<Cmd<T>> {
        let mut st = self.lock();
        match rx.try_recv() {
            Ok(cmd) => Some(cmd),
            Err(_) => {
                st.commands = None;
                None
            }
        }
    }
}
