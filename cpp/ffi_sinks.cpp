// Compiled into the Rust static library by build.rs, so that the Rust side links on its own.
#include "etcd-cpp-rs/cpp/ffi_sinks.hpp"

#include "callback_guard.hpp"
#include "etcd-cpp-rs/src/cxx/bridge.rs.h"

namespace etcd {
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

void Job::run() const {
  // pplx catches what task bodies and continuations throw; this only covers a scheduler's own
  // work items.
  if (f_) detail::run_callback("scheduled task", [&] { f_(); });
}

}  // namespace ffi
}  // namespace etcd
