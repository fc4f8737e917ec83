// etcd/Log.hpp: the log callback, installed as the core's process-wide log hook.
#include "etcd/Log.hpp"

#include <memory>
#include <utility>

#include "internal.hpp"

namespace etcd {

void set_log_callback(LogCallback callback, LogLevel max_level) {
  if (!callback) {
    ffi::log_clear_hook();
    return;
  }
  std::unique_ptr<ffi::LogSink> sink(
      new ffi::LogSink([callback](unsigned level, char const* data, std::size_t size) {
        callback(static_cast<LogLevel>(level), std::string(data, size));
      }));
  ffi::log_set_hook(std::move(sink), static_cast<std::uint32_t>(max_level));
}

}  // namespace etcd
