/**
 * \file etcd/Log.hpp
 * \brief A hook for the library's diagnostics.
 *
 * An extension of etcd-cpp-rs (etcd-cpp-apiv3 has none). The library reports what is not the
 * result of a call: an exception escaping a callback (error), a watcher or keep-alive that lost
 * its connection (warning), a call that failed over to another endpoint (warning), a login or
 * auth token renewal (info). Without a callback nothing is printed, except the reports of
 * exceptions escaping callbacks, which then go to stderr.
 */
#ifndef ETCD_LOG_HPP
#define ETCD_LOG_HPP

#include <functional>
#include <string>

namespace etcd {

/// Severity of a log message; the numbers are those of the C API's `ETCD_LOG_*`.
enum class LogLevel : int { Error = 1, Warn = 2, Info = 3, Debug = 4 };

/// Receives one message (no trailing newline).
typedef std::function<void(LogLevel level, std::string const& message)> LogCallback;

/**
 * Sets the process-wide log callback for messages of `max_level` and more severe; an empty
 * callback removes it. The callback runs on a library callback thread, one message at a time
 * and in order, never while the library holds a lock, so it may call the library (including
 * this function). An exception it throws is reported on stderr. Once this returns, the previous
 * callback no longer runs, unless this is called from inside it.
 */
void set_log_callback(LogCallback callback, LogLevel max_level = LogLevel::Info);

}  // namespace etcd

#endif
