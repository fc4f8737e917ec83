// Compiled into the Rust static library by build.rs, so that the Rust side links on its own.
#include "etcd-cpp-rs/cpp/ffi_sinks.hpp"

#include "etcd-cpp-rs/src/cxx/bridge.rs.h"

namespace etcd {
namespace ffi {

void ResponseSink::call(const ResponseData& response) const {
  if (f_) f_(response);
}

void BoolSink::call(bool value) const {
  if (f_) f_(value);
}

void ErrorSink::call(const KeepAliveErrorData& error) const {
  if (f_) f_(error);
}

void Job::run() const {
  if (f_) f_();
}

}  // namespace ffi
}  // namespace etcd
