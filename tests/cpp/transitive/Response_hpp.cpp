// etcd/Response.hpp alone makes <array>, <functional>, <memory>, <tuple> and <unordered_map>
// reachable, as etcd-cpp-apiv3's does.
#include "etcd/Response.hpp"

int transitive_response_hpp() {
  std::array<int, 3> values = {{1, 2, 3}};
  std::function<int()> first = [values]() { return values[0]; };
  std::shared_ptr<int> shared = std::make_shared<int>(4);
  std::unique_ptr<int> owned(new int(5));
  std::tuple<int, std::string> t = std::make_tuple(6, std::string("x"));
  std::unordered_map<int, int> map;
  map[std::get<0>(t)] = *shared + *owned;
  return first() + map[6] + static_cast<int>(std::get<1>(t).size());
}
