// The article's registration on etcd::ServiceRegistry: /service/<name> -> <address> under a lease
// kept alive (and granted again if lost) until stdin closes; then the lease is revoked.
// Usage: register NAME ADDRESS   (endpoints: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
#include <iostream>
#include <string>

#include "etcd/ServiceRegistry.hpp"
#include "etcd/SyncClient.hpp"

int main(int argc, char* argv[]) {
  if (argc != 3) return 2;
  etcd::SyncClient client(etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379"));
  etcd::ServiceRegistry registry(client, 5, [](int64_t, int64_t lease) {
    std::cout << "lease lost; registered again under " << std::hex << lease << std::endl;
  });
  std::string key = std::string("/service/") + argv[1];
  etcd::Response r = registry.add(key, argv[2]);
  std::cout << "registered " << key << " -> " << argv[2] << ": " << r.error_code() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;  // ~ServiceRegistry revokes the lease: discoverers see the removal at once
}
