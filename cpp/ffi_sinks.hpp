// Private to the library: the C++ objects through which the Rust core hands results and
// callbacks back to C++. Each wraps a std::function; the Rust side calls them only from
// library callback threads, never from a runtime worker.
#ifndef ETCD_CPP_RS_FFI_SINKS_HPP
#define ETCD_CPP_RS_FFI_SINKS_HPP

#include <functional>
#include <memory>

namespace etcd {
namespace ffi {

struct ResponseData;
struct KeepAliveErrorData;

class ResponseSink {
 public:
  explicit ResponseSink(std::function<void(const ResponseData&)> f) : f_(std::move(f)) {}
  void call(const ResponseData& response) const;

 private:
  std::function<void(const ResponseData&)> f_;
};

class BoolSink {
 public:
  explicit BoolSink(std::function<void(bool)> f) : f_(std::move(f)) {}
  void call(bool value) const;

 private:
  std::function<void(bool)> f_;
};

class ErrorSink {
 public:
  ErrorSink() = default;
  explicit ErrorSink(std::function<void(const KeepAliveErrorData&)> f) : f_(std::move(f)) {}
  void call(const KeepAliveErrorData& error) const;
  bool is_set() const { return static_cast<bool>(f_); }

 private:
  std::function<void(const KeepAliveErrorData&)> f_;
};

class Job {
 public:
  explicit Job(std::function<void()> f) : f_(std::move(f)) {}
  void run() const;

 private:
  std::function<void()> f_;
};

}  // namespace ffi
}  // namespace etcd

#endif
