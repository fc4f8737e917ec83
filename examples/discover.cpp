// The article's discovery on etcd::ServiceDiscovery: the services under /service/, then every
// change (no gap, no duplicate, across reconnects and compaction), until COUNT changes were seen.
// Usage: discover COUNT   (endpoints: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "etcd/ServiceDiscovery.hpp"
#include "etcd/SyncClient.hpp"

int main(int argc, char* argv[]) {
  if (argc != 2) return 2;
  std::atomic<int> left(std::atoi(argv[1]));
  etcd::ServiceDiscovery::Handlers h;
  h.added = [&](etcd::Value const& v) {
    std::cout << "added " << v.key() << " -> " << v.as_string() << std::endl;
    --left;
  };
  h.updated = [&](etcd::Value const& v, etcd::Value const& was) {
    std::cout << "updated " << v.key() << " -> " << v.as_string() << " (was " << was.as_string()
              << ")" << std::endl;
    --left;
  };
  h.removed = [&](etcd::Value const& was) {
    std::cout << "removed " << was.key() << " (was " << was.as_string() << ")" << std::endl;
    --left;
  };
  etcd::SyncClient client(etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379"));
  etcd::ServiceDiscovery discovery(client, "/service/", h);
  if (!discovery.wait_ready()) return 1;
  std::cout << "ready: " << discovery.snapshot().size() << " services" << std::endl;
  while (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return 0;
}
