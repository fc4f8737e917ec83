// Private to the library: the one policy for exceptions that escape user code the library calls
// (watch callbacks, wait callbacks, keep-alive handlers). Such an exception has nowhere to go:
// the caller is a library thread. It is caught whatever its type, reported in one line (the kind
// of callback, the exception's type and, for a std::exception, what()) to the log hook of
// etcd/Log.hpp as an error, or on stderr when no hook is set, and the object
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

// Hands `line` (without its newline) to the log hook as an error; false when no hook is set
// (defined in ffi_sinks.cpp, next to the bridge).
bool log_if_hooked(std::string const& line) noexcept;

// Builds the report of the exception being handled and hands it to `emit`.
template <class Emit>
void describe_callback_exception(char const* kind, Emit emit) {
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
  emit(line);
}

// Reports the exception being handled on stderr in one line; call only inside a catch block.
inline void report_callback_exception_to_stderr(char const* kind) noexcept {
  try {
    describe_callback_exception(kind, [](std::string line) {
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    });
  } catch (...) {
    std::fputs("etcd-cpp-rs: exception escaped a callback and was ignored\n", stderr);
  }
}

// Reports the exception being handled, thrown by a callback of kind `kind` (e.g. "watch
// callback"): to the log hook (etcd/Log.hpp) as an error when one is set, else on stderr in one
// line; call only inside a catch block. Never throws.
inline void report_callback_exception(char const* kind) noexcept {
  try {
    bool logged = false;
    describe_callback_exception(kind,
                                [&](std::string const& line) { logged = log_if_hooked(line); });
    if (logged) return;
  } catch (...) {
  }
  // One write, so that lines of concurrent reports do not interleave.
  report_callback_exception_to_stderr(kind);
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
