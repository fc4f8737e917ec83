// Cluster membership on a three-member cluster: list_member, add_member (learner and voter,
// several peer URLs separated by ','), remove_member, through SyncClient and Client made by
// every kind of constructor.
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/SyncClient.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::seconds;

class MemberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new etcdtest::EtcdCluster(3); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  static etcdtest::EtcdCluster& cluster() { return *cluster_; }

  static std::string peer_url(size_t i) {
    return "http://127.0.0.1:" + std::to_string(cluster().member(i).peer_port);
  }

  static bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  // Checks a member list against the cluster.
  static void expect_cluster_members(const etcd::Response& r) {
    ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
    EXPECT_EQ(etcdv3::LISTMEMBER, r.action());
    ASSERT_EQ(3u, r.members().size());
    for (size_t i = 0; i < 3; ++i) {
      const std::string name = cluster().member(i).name;
      auto it = std::find_if(r.members().begin(), r.members().end(),
                             [&](const etcdv3::Member& m) { return m.get_name() == name; });
      ASSERT_NE(r.members().end(), it) << name;
      EXPECT_NE(0u, it->get_id());
      EXPECT_FALSE(it->get_learner());
      EXPECT_TRUE(contains(it->get_peerURLs(), peer_url(i)));
      EXPECT_TRUE(contains(it->get_clientURLs(), cluster().endpoint(i)));
    }
  }

  // add_member, retried while etcd refuses reconfiguration because the cluster has not been
  // fully connected for long enough ("unhealthy cluster").
  template <class Add>
  static etcd::Response add_when_healthy(Add add) {
    etcd::Response r = add();
    wait_until(
        [&] {
          if (r.error_message().find("unhealthy cluster") == std::string::npos) return true;
          r = add();
          return false;
        },
        std::chrono::seconds(30), std::chrono::milliseconds(500));
    return r;
  }

  // The member list as `list` returns it once it has `n` members (within 10 s, else the last
  // one): etcd 3.4 answers MemberList from the contacted member's own view, which can lag a
  // membership change committed through another member.
  template <class List>
  static etcd::Response list_with(size_t n, List list) {
    etcd::Response r = list();
    wait_until(
        [&] {
          if (r.is_ok() && r.members().size() == n) return true;
          r = list();
          return false;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(50));
    return r;
  }

  static etcdtest::EtcdCluster* cluster_;
};

etcdtest::EtcdCluster* MemberTest::cluster_ = nullptr;

TEST_F(MemberTest, ListMembers) {
  etcd::SyncClient sync(cluster().endpoints());
  expect_cluster_members(sync.list_member());
  etcd::Client client(cluster().endpoints());
  expect_cluster_members(client.list_member().get());
  // Through a single member as well.
  etcd::SyncClient one(cluster().endpoint(2));
  expect_cluster_members(one.list_member());
}

TEST_F(MemberTest, WorksWithEveryConstructor) {
  etcd::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(2);
  options.request_timeout = std::chrono::seconds(10);
  options.load_balancer = "pick_first";
  etcd::SyncClient with_options(cluster().endpoints(), options);
  expect_cluster_members(with_options.list_member());
  std::unique_ptr<etcd::SyncClient> with_url(
      etcd::SyncClient::WithUrl(cluster().endpoints(), "pick_first"));
  expect_cluster_members(with_url->list_member());
  std::unique_ptr<etcd::SyncClient> with_url_options(
      etcd::SyncClient::WithUrl(cluster().endpoints(), options));
  expect_cluster_members(with_url_options->list_member());
  // Credentials are ignored by a cluster without authentication.
  etcd::SyncClient with_user(cluster().endpoints(), "", "");
  expect_cluster_members(with_user.list_member());

  etcd::Client client_options(cluster().endpoints(), options);
  expect_cluster_members(client_options.list_member().get());
  std::unique_ptr<etcd::Client> client_url(etcd::Client::WithUrl(cluster().endpoints()));
  expect_cluster_members(client_url->list_member().get());
  etcd::Client wrapping(&with_options);
  expect_cluster_members(wrapping.list_member().get());
  std::unique_ptr<etcd::Client> wrapped(etcd::Client::WithClient(&with_options));
  expect_cluster_members(wrapped->list_member().get());
  EXPECT_EQ(&with_options, wrapped->sync_client());
}

TEST_F(MemberTest, AddAndRemoveLearner) {
  etcd::SyncClient sync(cluster().endpoints());
  const std::string url1 = "http://127.0.0.1:" + std::to_string(etcdtest::detail::unused_port());
  const std::string url2 = "http://127.0.0.1:" + std::to_string(etcdtest::detail::unused_port());
  etcd::Response added = add_when_healthy([&] { return sync.add_member(url1 + "," + url2, true); });
  ASSERT_TRUE(added.is_ok()) << added.error_code() << " " << added.error_message();
  EXPECT_EQ(etcdv3::ADDMEMBER, added.action());
  ASSERT_EQ(1u, added.members().size());
  const etcdv3::Member& member = added.members()[0];
  EXPECT_NE(0u, member.get_id());
  EXPECT_TRUE(member.get_learner());
  EXPECT_EQ(2u, member.get_peerURLs().size());
  EXPECT_TRUE(contains(member.get_peerURLs(), url1));
  EXPECT_TRUE(contains(member.get_peerURLs(), url2));

  etcd::Response listed = list_with(4, [&] { return sync.list_member(); });
  ASSERT_TRUE(listed.is_ok());
  ASSERT_EQ(4u, listed.members().size());
  auto it = std::find_if(listed.members().begin(), listed.members().end(),
                         [&](const etcdv3::Member& m) { return m.get_id() == member.get_id(); });
  ASSERT_NE(listed.members().end(), it);
  EXPECT_TRUE(it->get_learner());
  EXPECT_EQ("", it->get_name());  // it never started

  etcd::Response removed = sync.remove_member(member.get_id());
  ASSERT_TRUE(removed.is_ok()) << removed.error_message();
  EXPECT_EQ(etcdv3::REMOVEMEMBER, removed.action());
  expect_cluster_members(list_with(3, [&] { return sync.list_member(); }));
}

TEST_F(MemberTest, AddAndRemoveVoterAsync) {
  etcd::Client client(cluster().endpoints());
  const std::string url = "http://127.0.0.1:" + std::to_string(etcdtest::detail::unused_port());
  etcd::Response added = add_when_healthy([&] { return client.add_member(url, false).get(); });
  ASSERT_TRUE(added.is_ok()) << added.error_code() << " " << added.error_message();
  EXPECT_EQ(etcdv3::ADDMEMBER, added.action());
  ASSERT_EQ(1u, added.members().size());
  EXPECT_FALSE(added.members()[0].get_learner());
  ASSERT_EQ(1u, added.members()[0].get_peerURLs().size());
  EXPECT_EQ(url, added.members()[0].get_peerURLs()[0]);
  EXPECT_EQ(4u, list_with(4, [&] { return client.list_member().get(); }).members().size());

  etcd::Response removed = client.remove_member(added.members()[0].get_id()).get();
  ASSERT_TRUE(removed.is_ok()) << removed.error_message();
  EXPECT_EQ(etcdv3::REMOVEMEMBER, removed.action());
  expect_cluster_members(list_with(3, [&] { return client.list_member().get(); }));
}

TEST_F(MemberTest, Errors) {
  etcd::SyncClient sync(cluster().endpoints());
  etcd::Response unknown = sync.remove_member(0x1234567890abcdefULL);
  EXPECT_FALSE(unknown.is_ok());
  EXPECT_EQ(etcdv3::ERROR_GRPC_NOT_FOUND, unknown.error_code()) << unknown.error_message();
  // A peer URL already in use by a member.
  etcd::Response taken = add_when_healthy([&] { return sync.add_member(peer_url(0), true); });
  EXPECT_FALSE(taken.is_ok());
  EXPECT_NE(std::string::npos, taken.error_message().find("Peer URLs already exists"))
      << taken.error_message();
  // No endpoint at all: the library's own error.
  etcd::SyncClient nowhere("no-port-here");
  etcd::Response r = nowhere.list_member();
  EXPECT_EQ(etcdv3::ERROR_GRPC_INTERNAL, r.error_code());
  EXPECT_EQ("the target uri is not valid", r.error_message());
}

}  // namespace
