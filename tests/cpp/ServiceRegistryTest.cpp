// etcd::ServiceRegistry and etcd::ServiceDiscovery: registering under a lease, writing the entries
// again after the lease is revoked, the discovery view and its handlers, close with the server
// down.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/ServiceDiscovery.hpp"
#include "etcd/ServiceRegistry.hpp"
#include "etcd/SyncClient.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

class ServiceRegistryTest : public ::testing::Test {
 protected:
  ServiceRegistryTest()
      : etcd_(etcdtest::shared_etcd()),
        client_(etcd_.endpoint()),
        sync_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  std::map<std::string, std::string> contents() {
    std::map<std::string, std::string> out;
    etcd::Response r = sync_.ls(p_);
    for (size_t i = 0; i < r.values().size(); ++i)
      out[r.key(static_cast<int>(i))] = r.values()[i].as_string();
    return out;
  }

  etcdtest::EtcdCluster& etcd_;
  etcd::Client client_;
  etcd::SyncClient sync_;
  std::string p_;
};

TEST_F(ServiceRegistryTest, AddWritesUnderTheLeaseAndDestructorRevokes) {
  {
    etcd::ServiceRegistry reg(client_, 30);
    ASSERT_NE(reg.lease(), 0);
    ASSERT_TRUE(reg.add(p_ + "a", "10.0.0.1:80").is_ok());
    ASSERT_TRUE(reg.add(p_ + "b", "10.0.0.2:80").is_ok());
    EXPECT_EQ(sync_.get(p_ + "a").value().lease(), reg.lease());
    ASSERT_TRUE(reg.remove(p_ + "b").is_ok());
    EXPECT_EQ(contents().size(), 1u);
  }
  // Revoked by the destructor, not left for 30 s.
  EXPECT_TRUE(contents().empty());
}

TEST_F(ServiceRegistryTest, RevokedLeaseIsReplacedWithinASecond) {
  std::atomic<int64_t> seen_old(0), seen_new(0);
  std::string thread_name;
  std::mutex m;
  etcd::ServiceRegistry reg(sync_, 30, [&](int64_t old_lease, int64_t new_lease) {
    std::lock_guard<std::mutex> lock(m);
    thread_name = etcdtest::current_thread_name();
    seen_old = old_lease;
    seen_new = new_lease;
  });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reg.add(p_ + std::to_string(i), "addr").is_ok());
  int64_t old = reg.lease();
  auto start = etcdtest::Clock::now();
  ASSERT_TRUE(sync_.leaserevoke(old).is_ok());
  ASSERT_TRUE(wait_until([&] { return contents().size() == 10; }, seconds(5)));
  auto took = std::chrono::duration_cast<milliseconds>(etcdtest::Clock::now() - start).count();
  EXPECT_LT(took, 1000);
  ASSERT_TRUE(wait_until([&] { return seen_new.load() != 0; }, seconds(2)));
  EXPECT_EQ(seen_old.load(), old);
  EXPECT_EQ(seen_new.load(), reg.lease());
  EXPECT_EQ(sync_.get(p_ + "3").value().lease(), reg.lease());
  std::lock_guard<std::mutex> lock(m);
  EXPECT_EQ(thread_name, "etcd-cb");
}

TEST_F(ServiceRegistryTest, DiscoveryListsWatchesAndReportsPreviousValues) {
  sync_.set(p_ + "x", "1");
  etcdtest::Collector<std::string> log;
  etcd::ServiceDiscovery::Handlers h;
  h.added = [&](etcd::Value const& v) { log.add("+" + v.key() + "=" + v.as_string()); };
  h.updated = [&](etcd::Value const& v, etcd::Value const& prev) {
    log.add("~" + v.key() + "=" + prev.as_string() + ">" + v.as_string());
  };
  h.removed = [&](etcd::Value const& prev) { log.add("-" + prev.key() + "=" + prev.as_string()); };
  etcd::ServiceDiscovery d(client_, p_, h);
  ASSERT_TRUE(d.wait_ready(seconds(5)));
  EXPECT_EQ(d.snapshot(), (std::map<std::string, std::string>{{p_ + "x", "1"}}));
  sync_.set(p_ + "x", "2");
  sync_.set(p_ + "y", "3");
  sync_.rm(p_ + "x");
  ASSERT_TRUE(log.wait_size(4, seconds(5)));
  std::vector<std::string> want = {"+" + p_ + "x=1", "~" + p_ + "x=1>2", "+" + p_ + "y=3",
                                   "-" + p_ + "x=2"};
  EXPECT_EQ(log.snapshot(), want);
  EXPECT_EQ(d.snapshot(), contents());
  EXPECT_GT(d.revision(), 0);
  ASSERT_EQ(d.values().size(), 1u);
  EXPECT_EQ(d.values()[0].key(), p_ + "y");
}

TEST_F(ServiceRegistryTest, RegistryAndDiscoveryTogether) {
  etcd::ServiceDiscovery d(etcd_.endpoint(), p_);
  ASSERT_TRUE(d.wait_ready(seconds(5)));
  {
    etcd::ServiceRegistry reg(etcd_.endpoint(), 10);
    reg.add(p_ + "svc", "127.0.0.1:1");
    ASSERT_TRUE(wait_until([&] { return d.snapshot().size() == 1; }, seconds(5)));
  }
  EXPECT_TRUE(wait_until([&] { return d.snapshot().empty(); }, seconds(2)));
}

TEST(ServiceRegistryDownTest, CloseReturnsPromptlyWithTheServerDown) {
  etcdtest::EtcdCluster cluster(1);
  std::atomic<int> calls(0);
  std::unique_ptr<etcd::ServiceRegistry> reg(
      new etcd::ServiceRegistry(cluster.endpoint(), 5, [&](int64_t, int64_t) { ++calls; }));
  ASSERT_TRUE(reg->add("/down/a", "1").is_ok());
  etcd::ServiceDiscovery::Handlers h;
  h.added = [&](etcd::Value const&) { ++calls; };
  std::unique_ptr<etcd::ServiceDiscovery> d(
      new etcd::ServiceDiscovery(cluster.endpoint(), "/down/", h));
  ASSERT_TRUE(d->wait_ready(seconds(5)));
  cluster.kill(0);
  long long ms = etcdtest::elapsed_ms([&] {
    d.reset();
    reg.reset();
  });
  EXPECT_LT(ms, 3000);
  int after = calls.load();
  ASSERT_TRUE(cluster.restart(0));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(calls.load(), after);
}

TEST(ServiceRegistryDownTest, DiscoveryOfAnUnreachableClusterIsNotReady) {
  etcd::ServiceDiscovery d("http://127.0.0.1:" + std::to_string(etcdtest::detail::unused_port()),
                           "/none/");
  EXPECT_FALSE(d.wait_ready(milliseconds(300)));
  long long ms = etcdtest::elapsed_ms([&] { d.close(); });
  EXPECT_LT(ms, 1000);
}

}  // namespace
