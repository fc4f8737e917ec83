// Service discovery: lists the services registered under /service/ (see registrar.cpp), then
// follows changes with an etcd::Watcher and prints every registration (PUT) and removal
// (DELETE) together with the previous value.
//
// The watch starts at the revision right after the listing, so no change between the two is
// missed.
//
// Usage: discoverer [--endpoints URLS] [--events N]
//   --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
//   --events     exit after N events (default: run until SIGINT or SIGTERM)
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "etcd/Client.hpp"
#include "etcd/Response.hpp"
#include "etcd/Value.hpp"
#include "etcd/Watcher.hpp"

namespace {

const char* const kPrefix = "/service/";

std::atomic<long> events_seen(0);
long events_wanted = -1;

void on_change(etcd::Response response) {
  if (!response.is_ok()) {
    std::cout << "watch error " << response.error_code() << ": " << response.error_message()
              << std::endl;
    return;
  }
  for (const etcd::Event& event : response.events()) {
    if (event.event_type() == etcd::Event::EventType::PUT) {
      std::cout << "PUT    " << event.kv().key() << " -> " << event.kv().as_string();
      if (event.has_prev_kv()) {
        std::cout << " (was " << event.prev_kv().as_string() << ")";
      } else {
        std::cout << " (new)";
      }
      std::cout << std::endl;
    } else if (event.event_type() == etcd::Event::EventType::DELETE_) {
      std::cout << "DELETE " << event.kv().key() << " (was " << event.prev_kv().as_string() << ")"
                << std::endl;
    }
    if (++events_seen == events_wanted) {
      kill(getpid(), SIGUSR1);
    }
  }
}

int usage() {
  std::cerr << "usage: discoverer [--endpoints URLS] [--events N]" << std::endl;
  return 2;
}

}  // namespace

int main(int argc, char* argv[]) {
  std::string endpoints = etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379");
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--endpoints" && i + 1 < argc) {
      endpoints = argv[++i];
    } else if (arg == "--events" && i + 1 < argc) {
      events_wanted = std::atol(argv[++i]);
    } else {
      return usage();
    }
  }

  // Block the stop signals in every thread (library threads inherit this mask); sigwait() below
  // receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  etcd::Client client(endpoints);
  etcd::Response listing = client.ls(kPrefix).get();
  if (!listing.is_ok()) {
    std::cerr << "discoverer: cannot list " << kPrefix << ": " << listing.error_message()
              << " (error " << listing.error_code() << ")" << std::endl;
    return 1;
  }
  std::cout << "services under " << kPrefix << ": " << listing.keys().size() << std::endl;
  for (size_t i = 0; i < listing.keys().size(); ++i) {
    const int index = static_cast<int>(i);
    std::cout << "  " << listing.key(index) << " -> " << listing.value(index).as_string()
              << std::endl;
  }

  // index() is the store revision the listing was read at.
  const int64_t from = listing.index() + 1;
  etcd::Watcher watcher(client, kPrefix, from, on_change, true);
  std::cout << "watching " << kPrefix << " from revision " << from << std::endl;

  if (events_wanted != 0) {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
  }
  watcher.Cancel();
  std::cout << "stopped after " << events_seen << " events" << std::endl;
  return 0;
}
