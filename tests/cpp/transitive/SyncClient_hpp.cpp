// etcd/SyncClient.hpp alone makes <array>, <functional> and <unordered_map> reachable, as
// etcd-cpp-apiv3's does.
#include "etcd/SyncClient.hpp"

int transitive_sync_client_hpp() {
  std::array<int, 2> pair = {{1, 2}};
  std::function<int(int)> twice = [](int v) { return 2 * v; };
  std::unordered_map<std::string, int> counts;
  counts["a"] = twice(pair[1]);
  return counts["a"] + static_cast<int>(std::hash<int>()(pair[0]) % 2);
}
