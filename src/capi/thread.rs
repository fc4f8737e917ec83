//! `etcd_set_thread_hooks`: telling the host about the library's callback threads.
//!
//! Some hosts must prepare a foreign thread before their code runs on it and clean up when it
//! ends: CPython's ctypes creates a Python thread state around every callback on a thread it
//! does not know (and destroys it again afterwards, with its frame stack), a JVM wants
//! `AttachCurrentThread` / `DetachCurrentThread`. The hooks let the host do that once per
//! callback thread instead of once per callback.
//!
//! Each callback wrapper of this API calls [`attach_current_thread`] before the user's
//! callback. Its fast path is one thread-local read and one atomic load; the hooks themselves
//! run under a read lock that `etcd_set_thread_hooks` takes for writing, so that once it returns
//! the hooks it replaced no longer run.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use super::boundary::ffi_boundary;
use super::status::etcd_status;
use super::types::{etcd_free_callback, UserData};

/// A thread hook: runs on the thread it is about, with the `userdata` given to
/// `etcd_set_thread_hooks`.
pub type etcd_thread_callback = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

struct Hooks {
    attach: etcd_thread_callback,
    detach: etcd_thread_callback,
    userdata: UserData,
}

struct Current {
    /// Changes with each `etcd_set_thread_hooks`; 0 before the first.
    generation: u64,
    hooks: Option<Hooks>,
}

static CURRENT: RwLock<Current> = RwLock::new(Current {
    generation: 0,
    hooks: None,
});
/// `CURRENT.generation`, readable without the lock.
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn current() -> RwLockReadGuard<'static, Current> {
    CURRENT.read().unwrap_or_else(|e| e.into_inner())
}

/// The hooks generation this thread was attached with; its destructor (at thread exit) runs the
/// detach hook if those hooks are still the current ones.
struct Attached(Cell<u64>);

impl Drop for Attached {
    fn drop(&mut self) {
        let generation = self.0.get();
        if generation == 0 || generation != GENERATION.load(Ordering::Acquire) {
            return;
        }
        let cur = current();
        if cur.generation != generation {
            return;
        }
        if let Some(Hooks {
            detach: Some(detach),
            userdata,
            ..
        }) = &cur.hooks
        {
            // SAFETY: the host's hook with the host's data, as registered and still current.
            unsafe { detach(userdata.ptr()) };
        }
    }
}

thread_local! {
    static ATTACHED: Attached = const { Attached(Cell::new(0)) };
}

/// Runs the attach hook on this thread unless it already ran with the current hooks. Called
/// on a library callback thread before a user callback.
pub(crate) fn attach_current_thread() {
    let wanted = GENERATION.load(Ordering::Acquire);
    // try_with: never fails on a callback thread that is running a job, but a thread-local
    // being destroyed must not turn into a panic.
    let _ = ATTACHED.try_with(|attached| {
        if attached.0.get() == wanted {
            return;
        }
        let cur = current();
        if let Some(Hooks {
            attach: Some(attach),
            userdata,
            ..
        }) = &cur.hooks
        {
            // SAFETY: the host's hook with the host's data, as registered.
            unsafe { attach(userdata.ptr()) };
        }
        attached.0.set(cur.generation);
    });
}

/// Sets the process-wide hooks of the library's callback threads (named "etcd-cb"), for hosts
/// that must prepare a thread before their code runs on it (e.g. keep one Python thread state
/// per thread, or a JVM's `AttachCurrentThread`): `attach(userdata)` runs on a callback thread
/// before the first callback of this API that runs there, `detach(userdata)` on that thread when
/// it ends (an idle callback thread ends after about 2 seconds), for each thread on which
/// `attach` ran with these hooks. Either may be NULL; both NULL removes the hooks.
///
/// Once this function returns, the hooks it replaces no longer run: threads attached with them
/// are not detached by them, and are attached again with the new hooks before their next
/// callback. The `free_userdata` (may be NULL) given with hooks is called once when they are
/// replaced or removed, before that call returns (with both hooks NULL, the `userdata` given is
/// released at once). This function waits for a hook that is running: the hooks must not call
/// it, and it must not be called while holding something a hook waits for (for Python: the
/// GIL). Finalizers (`free_userdata` of any object) do not run the hooks.
///
/// Returns `ETCD_STATUS_OK`.
#[no_mangle]
pub unsafe extern "C" fn etcd_set_thread_hooks(
    attach: etcd_thread_callback,
    detach: etcd_thread_callback,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
) -> etcd_status {
    ffi_boundary(|| {
        let data = UserData::new(userdata, free_userdata);
        let hooks = (attach.is_some() || detach.is_some()).then_some(Hooks {
            attach,
            detach,
            userdata: data,
        });
        let old = {
            let mut cur = CURRENT.write().unwrap_or_else(|e| e.into_inner());
            cur.generation += 1;
            GENERATION.store(cur.generation, Ordering::Release);
            std::mem::replace(&mut cur.hooks, hooks)
        };
        // The replaced hooks' finalizer, outside the lock. Without hooks, the userdata given
        // with the NULL hooks is released here too (it is dropped with `hooks` above).
        drop(old);
        etcd_status::Ok
    })
}
