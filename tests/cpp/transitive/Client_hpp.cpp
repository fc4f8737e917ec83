// etcd/Client.hpp alone makes <algorithm> and <atomic> reachable, as etcd-cpp-apiv3's does.
#include "etcd/Client.hpp"

int transitive_client_hpp() {
  std::atomic_size_t counter(0);
  std::atomic<bool> flag(false);
  int values[] = {3, 1, 2};
  std::sort(values, values + 3);
  counter.fetch_add(static_cast<std::size_t>(std::max(values[0], values[2])));
  flag.store(std::find(values, values + 3, 2) != values + 3);
  return static_cast<int>(counter.load()) + (flag.load() ? 1 : 0);
}
