// Elections: campaign, proclaim, leader, resign and observe through SyncClient and Client, the
// peer's action strings ("preclaim", "obverse"), a campaign that waits for the leader to resign,
// campaign timeouts, observers outliving their client, and a three-member cluster.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

class ElectionTest : public ::testing::Test {
 protected:
  ElectionTest()
      : etcd_(etcdtest::shared_etcd()),
        sync_(etcd_.endpoint()),
        client_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  int64_t lease(int ttl = 30) { return sync_.leasegrant(ttl).value().lease(); }

  etcdtest::EtcdCluster& etcd_;
  etcd::SyncClient sync_;
  etcd::Client client_;
  const std::string p_;
};

TEST_F(ElectionTest, CampaignProclaimLeaderResign) {
  const std::string name = p_ + "election";
  const int64_t id = lease();
  ASSERT_NE(0, id);
  std::unique_ptr<etcd::SyncClient::Observer> observer = sync_.observe(name);
  ASSERT_NE(nullptr, observer);

  etcd::Response won = sync_.campaign(name, id, "first");
  ASSERT_TRUE(won.is_ok()) << won.error_message();
  EXPECT_EQ(etcdv3::CAMPAIGN_ACTION, won.action());
  EXPECT_EQ(name, won.name());
  EXPECT_TRUE(etcdtest::starts_with(won.value().key(), name + "/")) << won.value().key();
  EXPECT_GT(won.value().created_index(), 0);
  EXPECT_EQ(id, won.value().lease());
  EXPECT_GT(won.index(), 0);

  etcd::Response seen = observer->WaitOnce();
  ASSERT_TRUE(seen.is_ok()) << seen.error_message();
  EXPECT_EQ("obverse", seen.action());
  EXPECT_EQ(etcdv3::OBSERVE_ACTION, seen.action());
  EXPECT_EQ("first", seen.value().as_string());
  EXPECT_EQ(won.value().key(), seen.value().key());

  etcd::Response leader = sync_.leader(name);
  ASSERT_TRUE(leader.is_ok());
  EXPECT_EQ(etcdv3::LEADER_ACTION, leader.action());
  EXPECT_EQ("first", leader.value().as_string());
  EXPECT_EQ(won.value().key(), leader.value().key());
  EXPECT_EQ(id, leader.value().lease());

  etcd::Response proclaimed =
      sync_.proclaim(name, id, won.value().key(), won.value().created_index(), "second");
  ASSERT_TRUE(proclaimed.is_ok()) << proclaimed.error_message();
  EXPECT_EQ("preclaim", proclaimed.action());
  EXPECT_EQ(etcdv3::PROCLAIM_ACTION, proclaimed.action());
  seen = observer->WaitOnce();
  EXPECT_EQ("second", seen.value().as_string());
  EXPECT_EQ("second", sync_.leader(name).value().as_string());

  // Proclaiming with a key that is not the leader's fails.
  etcd::Response wrong =
      sync_.proclaim(name, id, name + "/not-the-leader", won.value().created_index(), "third");
  EXPECT_FALSE(wrong.is_ok());

  etcd::Response resigned = sync_.resign(name, id, won.value().key(), won.value().created_index());
  ASSERT_TRUE(resigned.is_ok()) << resigned.error_message();
  EXPECT_EQ(etcdv3::RESIGN_ACTION, resigned.action());
  etcd::Response none = sync_.leader(name);
  EXPECT_FALSE(none.is_ok());
  EXPECT_NE(std::string::npos, none.error_message().find("no leader")) << none.error_message();
  sync_.leaserevoke(id);
}

TEST_F(ElectionTest, AsyncClient) {
  const std::string name = p_ + "election";
  const int64_t first_lease = client_.leasegrant(30).get().value().lease();
  const int64_t second_lease = client_.leasegrant(30).get().value().lease();
  std::unique_ptr<etcd::Client::Observer> observer = client_.observe(name);

  etcd::Response first = client_.campaign(name, first_lease, "a").get();
  ASSERT_TRUE(first.is_ok()) << first.error_message();
  EXPECT_EQ(etcdv3::CAMPAIGN_ACTION, first.action());
  EXPECT_EQ("a", observer->WaitOnce().value().as_string());

  // The second campaign waits, without holding a thread, until the first leader resigns.
  pplx::task<etcd::Response> second = client_.campaign(name, second_lease, "b");
  EXPECT_FALSE(second.is_done());

  etcd::Response proclaimed =
      client_.proclaim(name, first_lease, first.value().key(), first.value().created_index(), "a2")
          .get();
  EXPECT_EQ("preclaim", proclaimed.action());
  EXPECT_EQ("a2", observer->WaitOnce().value().as_string());
  EXPECT_EQ("a2", client_.leader(name).get().value().as_string());
  EXPECT_FALSE(second.is_done());

  etcd::Response resigned =
      client_.resign(name, first_lease, first.value().key(), first.value().created_index()).get();
  ASSERT_TRUE(resigned.is_ok()) << resigned.error_message();
  EXPECT_EQ(etcdv3::RESIGN_ACTION, resigned.action());
  ASSERT_TRUE(wait_until([&] { return second.is_done(); }, seconds(10)));
  etcd::Response won = second.get();
  ASSERT_TRUE(won.is_ok()) << won.error_message();
  EXPECT_EQ(second_lease, won.value().lease());
  EXPECT_EQ("b", observer->WaitOnce().value().as_string());
  EXPECT_EQ("b", client_.leader(name).get().value().as_string());

  // Revoking the leader's lease ends its leadership too.
  client_.leaserevoke(second_lease).wait();
  EXPECT_FALSE(client_.leader(name).get().is_ok());
  client_.leaserevoke(first_lease).wait();
}

TEST_F(ElectionTest, CampaignTimeout) {
  const std::string name = p_ + "election";
  const int64_t holder = lease();
  ASSERT_TRUE(sync_.campaign(name, holder, "holder").is_ok());

  etcd::SyncClient impatient(etcd_.endpoint());
  impatient.set_grpc_timeout(milliseconds(300));
  const int64_t other = lease();
  etcd::Response r;
  long long took = etcdtest::elapsed_ms([&] { r = impatient.campaign(name, other, "other"); });
  EXPECT_EQ(etcdv3::ERROR_GRPC_DEADLINE_EXCEEDED, r.error_code());
  EXPECT_EQ("gRPC timeout", r.error_message());
  EXPECT_TRUE(r.is_grpc_timeout());
  EXPECT_LT(took, 5000);

  etcd::Client async(etcd_.endpoint());
  async.set_grpc_timeout(milliseconds(300));
  r = async.campaign(name, other, "other").get();
  EXPECT_EQ(4, r.error_code());
  EXPECT_EQ("holder", sync_.leader(name).value().as_string());
  sync_.leaserevoke(holder);
  sync_.leaserevoke(other);
}

TEST_F(ElectionTest, ObserverOutlivesItsClient) {
  const std::string name = p_ + "election";
  std::unique_ptr<etcd::SyncClient::Observer> observer;
  {
    etcd::SyncClient temporary(etcd_.endpoint());
    observer = temporary.observe(name);
  }
  const int64_t id = lease();
  ASSERT_TRUE(sync_.campaign(name, id, "later").is_ok());
  etcd::Response seen = observer->WaitOnce();
  EXPECT_TRUE(seen.is_ok()) << seen.error_message();
  EXPECT_EQ("later", seen.value().as_string());
  // Destroying an observer while nobody waits is fine; so is destroying one with nothing seen.
  observer.reset();
  std::unique_ptr<etcd::Client::Observer> unused = client_.observe(p_ + "other");
  unused.reset();
  sync_.leaserevoke(id);
}

TEST_F(ElectionTest, LeaseKeptAliveByKeepAlive) {
  // The usual pattern: a KeepAlive owns the campaign's lease.
  const std::string name = p_ + "election";
  etcd::KeepAlive keepalive(sync_, 2);
  etcd::Response won = sync_.campaign(name, keepalive.Lease(), "kept");
  ASSERT_TRUE(won.is_ok());
  EXPECT_TRUE(etcdtest::holds_for([&] { return sync_.leader(name).is_ok(); }, seconds(4),
                                  milliseconds(250)));
  keepalive.Cancel();
  sync_.leaserevoke(keepalive.Lease());
  EXPECT_FALSE(sync_.leader(name).is_ok());
}

TEST(ElectionClusterTest, ThreeMembers) {
  etcdtest::EtcdCluster cluster(3);
  const std::string name = "/election/three";
  // Each client talks to a different member.
  etcd::SyncClient c0(cluster.endpoint(0));
  etcd::Client c1(cluster.endpoint(1));
  etcd::SyncClient c2(cluster.endpoint(2));
  etcd::SyncClient all(cluster.endpoints());

  std::unique_ptr<etcd::SyncClient::Observer> observer = c2.observe(name);
  const int64_t l0 = c0.leasegrant(30).value().lease();
  const int64_t l1 = c1.leasegrant(30).get().value().lease();
  ASSERT_NE(0, l0);
  ASSERT_NE(0, l1);

  etcd::Response won = c0.campaign(name, l0, "m0");
  ASSERT_TRUE(won.is_ok()) << won.error_message();
  EXPECT_EQ("m0", observer->WaitOnce().value().as_string());
  EXPECT_EQ("m0", all.leader(name).value().as_string());

  pplx::task<etcd::Response> waiting = c1.campaign(name, l1, "m1");
  EXPECT_FALSE(waiting.is_done());
  ASSERT_TRUE(all.resign(name, l0, won.value().key(), won.value().created_index()).is_ok());
  ASSERT_TRUE(wait_until([&] { return waiting.is_done(); }, seconds(15)));
  etcd::Response second = waiting.get();
  ASSERT_TRUE(second.is_ok()) << second.error_message();
  EXPECT_EQ("m1", observer->WaitOnce().value().as_string());
  EXPECT_EQ("m1", c2.leader(name).value().as_string());

  etcd::Response proclaimed =
      c2.proclaim(name, l1, second.value().key(), second.value().created_index(), "m1-again");
  EXPECT_TRUE(proclaimed.is_ok()) << proclaimed.error_message();
  EXPECT_EQ("m1-again", observer->WaitOnce().value().as_string());

  // With a timeout a campaign that cannot win returns 4 on a cluster as well.
  all.set_grpc_timeout(milliseconds(500));
  const int64_t l2 = c2.leasegrant(30).value().lease();
  etcd::Response timed_out = all.campaign(name, l2, "never");
  EXPECT_EQ(4, timed_out.error_code());
  EXPECT_TRUE(timed_out.is_grpc_timeout());
}

}  // namespace
