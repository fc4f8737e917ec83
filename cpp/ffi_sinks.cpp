// Compiled into the Rust static library by build.rs, so that the Rust side links on its own.
#include "etcd-cpp-rs/cpp/ffi_sinks.hpp"

#include <string>

#include "callback_guard.hpp"
#include "etcd-cpp-rs/src/cxx/bridge.rs.h"

namespace etcd {
namespace detail {

bool log_if_hooked(std::string const& line) noexcept {
  try {
    return ffi::log_error_if_hooked(::rust::Str(line.data(), line.size()));
  } catch (...) {
    return false;
  }
}

}  // namespace detail

namespace ffi {

void ResponseSink::call(const ResponseData& response) const {
  if (f_) detail::run_callback(kind_, [&] { f_(response); });
}

void BoolSink::call(bool value) const {
  if (f_) detail::run_callback("watch wait callback", [&] { f_(value); });
}

void ErrorSink::call(const KeepAliveErrorData& error) const {
  if (f_) detail::run_callback("keep-alive handler", [&] { f_(error); });
}

void LogSink::call(std::uint32_t level, ::rust::Str message) const {
  // An exception from the log callback is not logged again (that could loop): it goes to
  // stderr, as without a hook.
  if (f_) {
    try {
      f_(level, message.data(), message.size());
    } catch (...) {
      detail::report_callback_exception_to_stderr("log callback");
    }
  }
}

void Job::run() const {
  // pplx catches what task bodies and continuations throw; this only covers a scheduler's own
  // work items.
  if (f_) detail::run_callback("scheduled task", [&] { f_(); });
}

}  // namespace ffi
}  // namespace etcd
