//! The panic guard of the FFI layers. Every C and C++ entry point runs its body through
//! [`catch`], which turns a panic into that entry point's error value. The host's stderr belongs
//! to the host: a panic caught that way prints nothing (the standard hook would print its
//! message, and possibly a backtrace); its message is kept for the error instead (the C API's
//! `etcd_status_detail`, the C++ response's message). Panics outside these guards (a bug in a
//! runtime task) still go to the hook that was installed before.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    /// How many [`catch`] calls are active on this thread.
    static GUARDS: Cell<u32> = const { Cell::new(0) };
    /// The message of the last panic caught by a guard on this thread, until [`catch`] takes it.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let guarded = GUARDS.try_with(Cell::get).unwrap_or(0) > 0;
            if !guarded {
                return previous(info);
            }
            let message = hook_message(info);
            let _ = CAUGHT.try_with(|c| *c.borrow_mut() = Some(message));
        }));
    });
}

fn hook_message(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string());
    match info.location() {
        Some(l) => format!("{text} (at {}:{})", l.file(), l.line()),
        None => text,
    }
}

/// Runs `body`; a panic in it is caught without printing anything and returned as `Err` with its
/// message.
pub fn catch<T>(body: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    GUARDS.with(|g| g.set(g.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(body));
    GUARDS.with(|g| g.set(g.get() - 1));
    result.map_err(|_| {
        CAUGHT
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| "panic".to_string())
    })
}
