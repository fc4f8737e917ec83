// etcd/Maintenance.hpp (an extension): status of a member, compaction and defragmentation,
// through SyncClient and Client, on a server of this suite's own (compaction changes history
// for every client of a server), and against a server that is down.
#include <chrono>
#include <string>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/Maintenance.hpp"
#include "etcd/SyncClient.hpp"

namespace {

namespace maint = etcd::maintenance;

class MaintenanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new etcdtest::EtcdCluster(1); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  MaintenanceTest()
      : sync_(cluster_->endpoint(0)), client_(cluster_->endpoint(0)), p_(etcdtest::test_prefix()) {}

  // host:port of the server.
  static std::string authority() {
    std::string e = cluster_->endpoint(0);
    std::string::size_type at = e.find("://");
    return at == std::string::npos ? e : e.substr(at + 3);
  }

  static etcdtest::EtcdCluster* cluster_;
  etcd::SyncClient sync_;
  etcd::Client client_;
  std::string p_;
};

etcdtest::EtcdCluster* MaintenanceTest::cluster_ = nullptr;

TEST_F(MaintenanceTest, StatusOfTheMember) {
  maint::MemberStatus s = maint::status(sync_);
  ASSERT_TRUE(s.is_ok()) << s.error_code << " " << s.error_message;
  EXPECT_EQ(0u, s.version.find("3."));
  EXPECT_GT(s.db_size, 0);
  EXPECT_GT(s.db_size_in_use, 0);
  EXPECT_NE(0u, s.leader);
  EXPECT_EQ(s.leader, s.member_id);  // a single member leads
  EXPECT_NE(0u, s.cluster_id);
  EXPECT_GT(s.raft_index, 0u);
  EXPECT_GT(s.raft_term, 0u);
  EXPECT_FALSE(s.is_learner);
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(authority(), s.endpoint);

  // The member id is the one head() reports.
  etcd::Response head = sync_.head();
  ASSERT_TRUE(head.is_ok());
  EXPECT_EQ(head.member_id(), s.member_id);

  // A named endpoint, with and without scheme, and through Client.
  EXPECT_TRUE(maint::status(sync_, authority()).is_ok());
  maint::MemberStatus async = maint::status(client_, cluster_->endpoint(0)).get();
  EXPECT_TRUE(async.is_ok()) << async.error_message;
  EXPECT_EQ(s.member_id, async.member_id);
}

TEST_F(MaintenanceTest, StatusOfAnEndpointTheClientDoesNotHave) {
  maint::MemberStatus s = maint::status(sync_, "127.0.0.1:1");
  EXPECT_EQ(3, s.error_code);
  EXPECT_NE(std::string::npos, s.error_message.find("not an endpoint of this client"))
      << s.error_message;
  EXPECT_EQ(3, maint::status(sync_, "not an endpoint").error_code);
}

TEST_F(MaintenanceTest, CompactForgetsOldRevisions) {
  const std::string key = p_ + "k";
  etcd::Response first = sync_.put(key, "1");
  ASSERT_TRUE(first.is_ok());
  sync_.put(key, "2");
  etcd::Response last = sync_.put(key, "3");
  ASSERT_TRUE(last.is_ok());

  EXPECT_TRUE(sync_.get(key, first.index()).is_ok());
  etcd::Response r = maint::compact(sync_, last.index() - 1);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("compact", r.action());
  EXPECT_EQ(last.index() - 1, r.compact_revision());
  etcd::Response old = sync_.get(key, first.index());
  EXPECT_EQ(11, old.error_code()) << old.error_message();
  EXPECT_TRUE(sync_.get(key).is_ok());

  // Again, or past the current revision: error 11.
  EXPECT_EQ(11, maint::compact(sync_, last.index() - 1).error_code());
  EXPECT_EQ(11, maint::compact(client_, last.index() + 1000, true).get().error_code());
  // Physical, through Client.
  etcd::Response physical = maint::compact(client_, last.index(), true).get();
  EXPECT_TRUE(physical.is_ok()) << physical.error_message();
}

TEST_F(MaintenanceTest, Defragment) {
  etcd::Response r = maint::defragment(sync_);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("defragment", r.action());
  etcd::Response named = maint::defragment(client_, cluster_->endpoint(0)).get();
  EXPECT_TRUE(named.is_ok()) << named.error_message();
  EXPECT_EQ(3, maint::defragment(sync_, "127.0.0.1:1").error_code());
}

TEST(MaintenanceDownTest, ServerDownIsAnErrorInTheResult) {
  etcd::ClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(300);
  etcd::SyncClient sync("http://127.0.0.1:1", options);
  EXPECT_EQ(14, maint::status(sync).error_code);
  EXPECT_EQ(14, maint::defragment(sync).error_code());
  EXPECT_EQ(14, maint::compact(sync, 1).error_code());
}

}  // namespace
