// Private to the library: the C++ objects through which the Rust core hands results and
// callbacks back to C++. Each wraps a std::function; the Rust side calls them only from
// library callback threads, never from a runtime worker. A call never throws: an exception from
// the function is reported and swallowed (see callback_guard.hpp), with `kind` naming the
// callback in the report.
#ifndef ETCD_CPP_RS_FFI_SINKS_HPP
#define ETCD_CPP_RS_FFI_SINKS_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "rust/cxx.h"

namespace etcd {
namespace ffi {

struct ResponseData;
struct KeepAliveErrorData;

class ResponseSink {
 public:
  explicit ResponseSink(std::function<void(const ResponseData&)> f,
                        char const* kind = "response callback")
      : f_(std::move(f)), kind_(kind) {}
  void call(const ResponseData& response) const;

 private:
  std::function<void(const ResponseData&)> f_;
  char const* kind_;
};

class BoolSink {
 public:
  explicit BoolSink(std::function<void(bool)> f) : f_(std::move(f)) {}  // the wait callback
  void call(bool value) const;

 private:
  std::function<void(bool)> f_;
};

class ErrorSink {
 public:
  ErrorSink() = default;
  // The keep-alive handler.
  explicit ErrorSink(std::function<void(const KeepAliveErrorData&)> f) : f_(std::move(f)) {}
  void call(const KeepAliveErrorData& error) const;
  bool is_set() const { return static_cast<bool>(f_); }

 private:
  std::function<void(const KeepAliveErrorData&)> f_;
};

class LogSink {
 public:
  // The log callback of etcd::set_log_callback: (level 1-4, message).
  explicit LogSink(std::function<void(unsigned, char const*, std::size_t)> f) : f_(std::move(f)) {}
  void call(std::uint32_t level, ::rust::Str message) const;

 private:
  std::function<void(unsigned, char const*, std::size_t)> f_;
};

class Job {
 public:
  explicit Job(std::function<void()> f) : f_(std::move(f)) {}  // a pplx task body or continuation
  void run() const;

 private:
  std::function<void()> f_;
};

}  // namespace ffi
}  // namespace etcd

#endif
