// Watching a key prefix with etcd::Watcher: a callback receives every change, in order, until
// Cancel() is called.
//
// The program watches /examples/watch/, then changes a key three times (create, update, delete)
// and prints the events as the callback receives them.
//
// Usage: watch [endpoints]
//   endpoints: e.g. http://127.0.0.1:2379 (default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string>

#include "etcd/Client.hpp"
#include "etcd/Response.hpp"
#include "etcd/Value.hpp"
#include "etcd/Watcher.hpp"

namespace {

// Filled by the watcher's callback thread, read by main.
std::mutex events_mutex;
std::condition_variable events_changed;
int events_seen = 0;

void on_change(etcd::Response response) {
  if (!response.is_ok()) {
    std::cout << "watch error " << response.error_code() << ": " << response.error_message()
              << std::endl;
    return;
  }
  // One response may carry several events.
  for (const etcd::Event& event : response.events()) {
    if (event.event_type() == etcd::Event::EventType::PUT) {
      std::cout << "PUT    " << event.kv().key() << " = " << event.kv().as_string();
      if (event.has_prev_kv()) {
        std::cout << " (was " << event.prev_kv().as_string() << ")";
      }
      std::cout << std::endl;
    } else if (event.event_type() == etcd::Event::EventType::DELETE_) {
      std::cout << "DELETE " << event.kv().key() << " (was " << event.prev_kv().as_string() << ")"
                << std::endl;
    }
    std::lock_guard<std::mutex> lock(events_mutex);
    ++events_seen;
    events_changed.notify_all();
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string endpoints =
      argc > 1 ? argv[1] : etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379");
  const std::string dir = "/examples/watch/";
  etcd::Client client(endpoints);

  // recursive = true: everything under the prefix.
  etcd::Watcher watcher(client, dir, on_change, true);
  std::cout << "watching " << dir << std::endl;

  const std::string key = dir + "greeting";
  for (etcd::Response response : {client.put(key, "hello").get(),
                                  client.put(key, "hello again").get(), client.rm(key).get()}) {
    if (!response.is_ok()) {
      std::cout << "write failed: " << response.error_message() << std::endl;
      return 1;
    }
  }

  bool all_seen;
  {
    std::unique_lock<std::mutex> lock(events_mutex);
    all_seen =
        events_changed.wait_for(lock, std::chrono::seconds(10), [] { return events_seen >= 3; });
  }
  if (!all_seen) {
    std::cout << "timed out waiting for the events" << std::endl;
  }

  // Cancel() stops the watch; the callback is not called afterwards.
  const bool cancelled = watcher.Cancel();
  std::cout << "cancelled: " << (cancelled ? "true" : "false") << std::endl;
  return all_seen ? 0 : 1;
}
