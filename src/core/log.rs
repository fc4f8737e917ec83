//! The library's diagnostics: one process-wide log hook, silent until one is set.
//!
//! The library reports what a user may want to know but that is not the result of a call:
//! an exception or error escaping a user callback, a watcher or keep-alive that lost its
//! connection and reconnects, a call that failed over to another endpoint, an auth token that
//! was renewed. Without a hook these are dropped (the C++ layer's reports of exceptions escaping
//! callbacks are the one exception: without a hook they go to stderr, as before hooks existed).
//!
//! The hook runs on the library's callback threads ("etcd-cb"), never on a network runtime
//! thread nor under a lock of the library: messages are queued in order on one serial strand,
//! so a hook sees them one at a time and in the order they were logged, and a hook may call
//! any function of the library (including [`set_hook`]). A hook that blocks delays only later
//! messages. [`set_hook`] returns once the previous hook no longer runs (unless it is called
//! from inside that hook).

use std::sync::{Arc, OnceLock, RwLock};

use super::dispatch::{Gate, Strand};

/// Severity of a message. The numbers are fixed (the C API and Python use them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum Level {
    /// Something failed that the library cannot recover from by itself (an exception escaping a
    /// user callback, a watcher or keep-alive that gave up).
    Error = 1,
    /// Something failed and the library recovers (a stream reconnects, a call fails over).
    Warn = 2,
    /// Routine events worth knowing (an auth token was renewed, a stream resumed).
    Info = 3,
    /// Details for debugging.
    Debug = 4,
}

impl Level {
    /// The level with number `n`.
    pub fn from_u32(n: u32) -> Option<Level> {
        [Level::Error, Level::Warn, Level::Info, Level::Debug]
            .into_iter()
            .find(|l| *l as u32 == n)
    }

    /// "ERROR", "WARN", "INFO" or "DEBUG".
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }
}

/// A log hook: receives each message with its level.
pub type Hook = Arc<dyn Fn(Level, &str) + Send + Sync>;

struct Installed {
    hook: Hook,
    /// Most verbose level delivered.
    max_level: Level,
    /// Closed when the hook is replaced: no message reaches it afterwards.
    gate: Arc<Gate>,
}

fn slot() -> &'static RwLock<Option<Arc<Installed>>> {
    static SLOT: OnceLock<RwLock<Option<Arc<Installed>>>> = OnceLock::new();
    SLOT.get_or_init(|| RwLock::new(None))
}

fn strand() -> &'static Strand {
    static STRAND: OnceLock<Strand> = OnceLock::new();
    STRAND.get_or_init(Strand::new)
}

/// Installs `hook` for messages of `max_level` and more severe (`None` removes the hook: the
/// library is silent again). Returns once the previous hook no longer runs, unless called from
/// inside it.
pub fn set_hook(hook: Option<Hook>, max_level: Level) {
    let new = hook.map(|hook| {
        Arc::new(Installed {
            hook,
            max_level,
            gate: Arc::new(Gate::default()),
        })
    });
    let old = std::mem::replace(&mut *slot().write().unwrap_or_else(|e| e.into_inner()), new);
    if let Some(old) = old {
        old.gate.close();
    }
}

/// True when a message of `level` would reach a hook.
pub fn enabled(level: Level) -> bool {
    slot()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .is_some_and(|i| level <= i.max_level)
}

/// Logs the message `text()` at `level` if a hook wants it; `text` is not evaluated otherwise.
/// Never blocks and never runs the hook on the calling thread.
pub fn log(level: Level, text: impl FnOnce() -> String) {
    let installed = {
        let guard = slot().read().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(i) if level <= i.max_level => Arc::clone(i),
            _ => return,
        }
    };
    let message = text();
    strand().post(Box::new(move || {
        let Installed { hook, gate, .. } = &*installed;
        gate.run(|| hook(level, &message));
    }));
}

/// Logs at [`Level::Error`].
pub fn error(text: impl FnOnce() -> String) {
    log(Level::Error, text)
}

/// Logs at [`Level::Warn`].
pub fn warn(text: impl FnOnce() -> String) {
    log(Level::Warn, text)
}

/// Logs at [`Level::Info`].
pub fn info(text: impl FnOnce() -> String) {
    log(Level::Info, text)
}

/// Logs at [`Level::Debug`].
pub fn debug(text: impl FnOnce() -> String) {
    log(Level::Debug, text)
}

/// True when a hook is installed (whatever its level).
pub fn has_hook() -> bool {
    slot().read().unwrap_or_else(|e| e.into_inner()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{mpsc, Mutex};
    use std::time::Duration;

    // One test: the hook is process-wide.
    #[test]
    fn hook_receives_in_order_on_callback_threads_and_filters_levels() {
        log(Level::Error, || panic!("not evaluated without a hook"));
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        set_hook(
            Some(Arc::new(move |level, msg: &str| {
                let name = std::thread::current().name().map(str::to_owned);
                let _ = tx.lock().unwrap().send((level, msg.to_string(), name));
            })),
            Level::Info,
        );
        assert!(enabled(Level::Warn) && !enabled(Level::Debug));
        log(Level::Debug, || panic!("not evaluated above the level"));
        for i in 0..20 {
            info(|| format!("m{i}"));
        }
        error(|| "bad".into());
        for i in 0..20 {
            let (level, msg, thread) = rx.recv_timeout(Duration::from_secs(10)).unwrap();
            assert_eq!(
                (level, msg.as_str()),
                (Level::Info, format!("m{i}").as_str())
            );
            assert_eq!(thread.as_deref(), Some("etcd-cb"));
        }
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)).unwrap().0,
            Level::Error
        );
        set_hook(None, Level::Debug);
        assert!(!has_hook());
        warn(|| "dropped".into());
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    }
}
