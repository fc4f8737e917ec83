// etcd::SyncClient: what only the blocking client has (one client shared by threads that each
// block on their calls). The operations it shares with etcd::Client are tested through both APIs
// in ClientSuiteTest.cpp.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/SyncClient.hpp"

namespace {

class SyncClientTest : public ::testing::Test {
 protected:
  SyncClientTest()
      : etcd_(etcdtest::shared_etcd()), client_(etcd_.endpoint()), p_(etcdtest::test_prefix()) {}

  etcdtest::EtcdCluster& etcd_;
  etcd::SyncClient client_;
  const std::string p_;
};

// One SyncClient shared by several threads.
TEST_F(SyncClientTest, ConcurrentUseFromThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([this, t, &failures] {
      for (int i = 0; i < 30; ++i) {
        const std::string key = p_ + std::to_string(t) + "/" + std::to_string(i);
        if (!client_.put(key, key).is_ok() || client_.get(key).value().as_string() != key) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(0, failures.load());
  EXPECT_EQ(240u, client_.ls(p_).keys().size());
}

}  // namespace
