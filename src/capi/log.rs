//! `etcd_set_log_callback`: the library's diagnostics (see `crate::core::log`).

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::boundary::ffi_boundary;
use super::response::c_string;
use super::status::etcd_status;
use super::types::{etcd_free_callback, UserData};
use crate::core::log::{self, Level};

/// Severity of a log message (an `ETCD_LOG_*` number).
pub type etcd_log_level = u32;
/// A failure the library cannot recover from by itself (a watcher or keep-alive that gave up,
/// an exception escaping a C++ callback).
pub const ETCD_LOG_ERROR: etcd_log_level = 1;
/// A failure the library recovers from (a stream reconnecting, a call failing over to another
/// endpoint, a login that failed).
pub const ETCD_LOG_WARN: etcd_log_level = 2;
/// Routine events (an auth token renewed, a stream resumed).
pub const ETCD_LOG_INFO: etcd_log_level = 3;
/// Details for debugging.
pub const ETCD_LOG_DEBUG: etcd_log_level = 4;

/// Receives one log message: `level` is an `ETCD_LOG_*` number, `message` a NUL-terminated
/// UTF-8 text borrowed for the duration of the call (no trailing newline).
pub type etcd_log_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, level: etcd_log_level, message: *const c_char),
>;

/// Sets the process-wide log callback, for messages of `max_level` (an `ETCD_LOG_*` number)
/// and more severe; a NULL `callback` removes it. Without a callback the library prints
/// nothing and drops its messages.
///
/// The callback runs on a library callback thread (named "etcd-cb"), one message at a time and
/// in the order they were logged, never while the library holds a lock: it may call any
/// function of this API, including this one. A callback that blocks only delays later
/// messages. Once this function returns, the previous callback no longer runs (unless this is
/// called from inside it); its `free_userdata` (may be NULL) is called once it can no longer
/// run, possibly later and on a library thread.
///
/// Returns `ETCD_STATUS_INVALID_ARGUMENT` for an unknown `max_level` (nothing changes then
/// and `free_userdata` is not called).
#[no_mangle]
pub unsafe extern "C" fn etcd_set_log_callback(
    callback: etcd_log_callback,
    max_level: etcd_log_level,
    userdata: *mut c_void,
    free_userdata: etcd_free_callback,
) -> etcd_status {
    ffi_boundary(|| {
        let Some(level) = Level::from_u32(max_level) else {
            return etcd_status::InvalidArgument;
        };
        let Some(callback) = callback else {
            log::set_hook(None, level);
            return etcd_status::Ok;
        };
        let data = UserData::new(userdata, free_userdata);
        log::set_hook(
            Some(Arc::new(move |level: Level, message: &str| {
                let text = c_string(message);
                super::thread::attach_current_thread();
                // SAFETY: the user's callback with the user's data, as registered.
                unsafe { callback(data.ptr(), level as u32, text.as_ptr()) };
            })),
            level,
        );
        etcd_status::Ok
    })
}
