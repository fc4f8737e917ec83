// Private to the library: the one policy for exceptions that escape user code the library calls
// (watch callbacks, wait callbacks, keep-alive handlers). Such an exception has nowhere to go:
// the caller is a library thread. It is caught whatever its type, reported on stderr in one line
// (the kind of callback, the exception's type and, for a std::exception, what()), and the object
// that made the call keeps running. pplx `then` continuations are not concerned: their
// exceptions go into the task they return, as in cpprestsdk.
#ifndef ETCD_CPP_RS_CALLBACK_GUARD_HPP
#define ETCD_CPP_RS_CALLBACK_GUARD_HPP

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

namespace etcd {
namespace detail {

// The demangled name of the exception being handled; call only inside a catch block.
inline std::string current_exception_type_name() {
  std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return "unknown type";
  char const* mangled = type->name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = (status == 0 && demangled != nullptr) ? demangled : mangled;
  std::free(demangled);
  return name;
}

// Reports the exception being handled, thrown by a callback of kind `kind` (e.g. "watch
// callback"); call only inside a catch block. Never throws.
inline void report_callback_exception(char const* kind) noexcept {
  try {
    std::string line = "etcd-cpp-rs: exception escaped a ";
    line += kind;
    line += " and was ignored (the caller keeps running): ";
    line += current_exception_type_name();
    try {
      throw;
    } catch (std::exception const& e) {
      line += ": ";
      line += e.what();
    } catch (...) {
    }
    line += '\n';
    // One write, so that lines of concurrent reports do not interleave.
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  } catch (...) {
    std::fputs("etcd-cpp-rs: exception escaped a callback and was ignored\n", stderr);
  }
}

// Runs `f()`, a call into user code; an exception it throws is reported and swallowed.
template <class F>
void run_callback(char const* kind, F&& f) noexcept {
  try {
    f();
  } catch (...) {
    report_callback_exception(kind);
  }
}

}  // namespace detail
}  // namespace etcd

#endif
