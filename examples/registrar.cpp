// Service registration: publishes services under /service/<name> -> host:port, attached to a
// lease that an etcd::KeepAlive keeps alive while the program runs. When the program stops, the
// lease is left to expire rather than revoked, just as when a service crashes: etcd removes the
// entries after the lease's TTL and watchers (see discoverer.cpp) receive DELETE events.
//
// Usage: registrar [--endpoints URLS] [--ttl SECONDS] [--for SECONDS] NAME=HOST:PORT...
//   --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
//   --ttl        lease TTL (default 3)
//   --for        stop after this many seconds (default: run until SIGINT or SIGTERM)
// Example: registrar user=127.0.0.1:8080 friend=127.0.0.1:9090
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/Response.hpp"

namespace {

int usage() {
  std::cerr << "usage: registrar [--endpoints URLS] [--ttl SECONDS] [--for SECONDS] "
               "NAME=HOST:PORT..."
            << std::endl;
  return 2;
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string endpoints = etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379");
  int ttl = 3;
  long run_for = -1;
  std::vector<std::pair<std::string, std::string>> services;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--endpoints" || arg == "--ttl" || arg == "--for") && i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--endpoints") {
        endpoints = value;
      } else if (arg == "--ttl") {
        ttl = std::atoi(value.c_str());
      } else {
        run_for = std::atol(value.c_str());
      }
    } else if (arg.find('=') != std::string::npos && arg[0] != '-') {
      const std::string::size_type eq = arg.find('=');
      services.push_back(std::make_pair(arg.substr(0, eq), arg.substr(eq + 1)));
    } else {
      return usage();
    }
  }
  if (services.empty() || ttl <= 0) {
    return usage();
  }

  // Block the stop signals in every thread (library threads inherit this mask), so that they are
  // only ever received by the sigtimedwait() below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  etcd::Client client(endpoints);
  etcd::Response grant = client.leasegrant(ttl).get();
  if (!grant.is_ok()) {
    std::cerr << "registrar: cannot grant a lease: " << grant.error_message() << " (error "
              << grant.error_code() << ")" << std::endl;
    return 1;
  }
  const int64_t lease = grant.value().lease();

  // Refreshes the lease in the background. If that fails, the handler runs once on the
  // keep-alive's thread; here it just wakes up main.
  etcd::KeepAlive keepalive(
      client,
      [](std::exception_ptr error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::cerr << "registrar: keep-alive failed: " << e.what() << std::endl;
        }
        kill(getpid(), SIGUSR1);
      },
      ttl, lease);

  for (const auto& service : services) {
    const std::string key = "/service/" + service.first;
    etcd::Response put = client.put(key, service.second, lease).get();
    if (!put.is_ok()) {
      std::cerr << "registrar: cannot register " << key << ": " << put.error_message() << std::endl;
      return 1;
    }
    std::cout << "registered " << key << " -> " << service.second << std::endl;
  }
  std::cout << "lease " << std::hex << lease << std::dec << " (ttl " << ttl
            << " s) kept alive until stopped" << std::endl;

  int signal_number = 0;
  if (run_for >= 0) {
    struct timespec timeout;
    timeout.tv_sec = run_for;
    timeout.tv_nsec = 0;
    signal_number = sigtimedwait(&stop_signals, nullptr, &timeout);  // -1 on timeout
  } else {
    sigwait(&stop_signals, &signal_number);
  }
  const bool keepalive_failed = signal_number == SIGUSR1;

  // The KeepAlive's destructor stops the refreshes without revoking the lease, so the entries
  // stay visible until the lease expires.
  std::cout << "stopping; the registrations expire within " << ttl << " s" << std::endl;
  return keepalive_failed ? 1 : 0;
}
