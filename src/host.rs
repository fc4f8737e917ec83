//! What the C and C++ layers need from the host process before the runtime starts.

use std::sync::Once;

/// Blocks SIGPIPE on the runtime's threads (see [`crate::core::runtime::set_thread_start_hook`]);
/// a write to a closed connection then fails with EPIPE instead of killing the host program.
pub(crate) fn prepare() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| crate::core::runtime::set_thread_start_hook(block_sigpipe));
}

fn block_sigpipe() {
    // SAFETY: the set is a local initialised by sigemptyset; pthread_sigmask changes only the
    // calling thread's mask and accepts a null old-mask pointer.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
