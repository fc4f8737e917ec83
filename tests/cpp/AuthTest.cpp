// Password authentication against a member with authentication enabled: the user/password
// constructors and factories of SyncClient and Client, ClientOptions credentials, Watcher and
// KeepAlive with credentials, a restricted user, wrong or missing credentials,
// current_auth_token(), and short-lived tokens being renewed.
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

const char* const kRootPassword = "rootpw";
const char* const kAppPassword = "apppw";

// Users: root (everything) and app (read/write below "/app/" only).
bool set_up_users(const etcdtest::EtcdCluster& cluster) {
  return cluster.add_user("app", kAppPassword) && cluster.add_role("app") &&
         cluster.grant_prefix("app", "/app/") && cluster.grant_role("app", "app") &&
         cluster.enable_auth(kRootPassword);
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new etcdtest::EtcdCluster(1);
    ASSERT_TRUE(set_up_users(*cluster_));
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(nullptr, cluster_); }

  static std::string url() { return cluster_->endpoint(); }

  static etcdtest::EtcdCluster* cluster_;
};

etcdtest::EtcdCluster* AuthTest::cluster_ = nullptr;

TEST_F(AuthTest, RootCanDoEverything) {
  etcd::SyncClient root(url(), "root", kRootPassword);
  etcd::Response r = root.put("/auth/root", "v");
  ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_EQ("v", root.get("/auth/root").value().as_string());
  EXPECT_FALSE(root.current_auth_token().empty());
  EXPECT_EQ(1u, root.list_member().members().size());

  // Locks, elections and transactions with credentials.
  etcd::Response lock = root.lock("/auth/lock");
  ASSERT_TRUE(lock.is_ok()) << lock.error_message();
  EXPECT_TRUE(root.unlock(lock.lock_key()).is_ok());
  const int64_t lease = root.leasegrant(30).value().lease();
  etcd::Response won = root.campaign("/auth/election", lease, "me");
  ASSERT_TRUE(won.is_ok()) << won.error_message();
  std::unique_ptr<etcd::SyncClient::Observer> observer = root.observe("/auth/election");
  EXPECT_EQ("me", observer->WaitOnce().value().as_string());
  etcdv3::Transaction txn;
  txn.setup_compare_and_swap("/auth/root", "v", "w");
  EXPECT_TRUE(root.txn(txn).is_ok());
  EXPECT_TRUE(root.leaserevoke(lease).is_ok());

  // The asynchronous client, with the default token TTL and a load balancer name.
  etcd::Client client(url(), "root", kRootPassword, 300, "pick_first");
  EXPECT_EQ("w", client.get("/auth/root").get().value().as_string());
  EXPECT_FALSE(client.current_auth_token().empty());
  etcd::Client short_form(url(), "root", kRootPassword);
  EXPECT_TRUE(short_form.put("/auth/client", "c").get().is_ok());
}

TEST_F(AuthTest, FactoriesAndOptions) {
  std::unique_ptr<etcd::SyncClient> sync(etcd::SyncClient::WithUser(url(), "root", kRootPassword));
  EXPECT_TRUE(sync->put("/auth/factory", "1").is_ok());
  std::unique_ptr<etcd::SyncClient> sync_lb(
      etcd::SyncClient::WithUser(url(), "root", kRootPassword, 300, "round_robin"));
  EXPECT_TRUE(sync_lb->get("/auth/factory").is_ok());
  std::unique_ptr<etcd::Client> client(etcd::Client::WithUser(url(), "root", kRootPassword));
  EXPECT_TRUE(client->get("/auth/factory").get().is_ok());
  std::unique_ptr<etcd::Client> client_lb(
      etcd::Client::WithUser(url(), "root", kRootPassword, 120, "pick_first"));
  EXPECT_TRUE(client_lb->get("/auth/factory").get().is_ok());

  etcd::ClientOptions options;
  options.with_user("root", kRootPassword);
  options.request_timeout = seconds(10);
  etcd::SyncClient from_options(url(), options);
  EXPECT_TRUE(from_options.get("/auth/factory").is_ok());
  EXPECT_EQ(std::chrono::microseconds(seconds(10)), from_options.get_grpc_timeout());
  etcd::Client client_from_options(url(), options);
  EXPECT_TRUE(client_from_options.get("/auth/factory").get().is_ok());
  std::unique_ptr<etcd::SyncClient> url_options(etcd::SyncClient::WithUrl(url(), options));
  EXPECT_TRUE(url_options->get("/auth/factory").is_ok());
  std::unique_ptr<etcd::Client> client_url_options(etcd::Client::WithUrl(url(), options));
  EXPECT_TRUE(client_url_options->get("/auth/factory").get().is_ok());

  // The user/password + options forms: the arguments win over the options' credentials.
  etcd::ClientOptions wrong;
  wrong.with_user("root", "wrong");
  etcd::SyncClient user_over_options(url(), "root", kRootPassword, 300, wrong);
  EXPECT_TRUE(user_over_options.get("/auth/factory").is_ok());
  etcd::Client client_user_over_options(url(), "root", kRootPassword, 300, wrong);
  EXPECT_TRUE(client_user_over_options.get("/auth/factory").get().is_ok());
  std::unique_ptr<etcd::SyncClient> with_user_options(
      etcd::SyncClient::WithUser(url(), "root", kRootPassword, 300, wrong));
  EXPECT_TRUE(with_user_options->get("/auth/factory").is_ok());
  std::unique_ptr<etcd::Client> client_with_user_options(
      etcd::Client::WithUser(url(), "root", kRootPassword, 300, wrong));
  EXPECT_TRUE(client_with_user_options->get("/auth/factory").get().is_ok());
}

TEST_F(AuthTest, RestrictedUser) {
  etcd::SyncClient app(url(), "app", kAppPassword);
  EXPECT_TRUE(app.put("/app/key", "v").is_ok());
  EXPECT_EQ("v", app.get("/app/key").value().as_string());
  etcd::Response denied = app.put("/other/key", "v");
  EXPECT_EQ(etcdv3::ERROR_GRPC_PERMISSION_DENIED, denied.error_code());
  EXPECT_NE(std::string::npos, denied.error_message().find("permission denied"))
      << denied.error_message();
  EXPECT_EQ(etcdv3::ERROR_GRPC_PERMISSION_DENIED, app.get("/other/key").error_code());
  // Transactions are checked key by key.
  etcdv3::Transaction txn;
  txn.add_success_put("/app/txn", "ok");
  EXPECT_TRUE(app.txn(txn).is_ok());
  txn.add_success_put("/other/txn", "no");
  EXPECT_EQ(etcdv3::ERROR_GRPC_PERMISSION_DENIED, app.txn(txn).error_code());
}

TEST_F(AuthTest, WrongOrMissingCredentials) {
  etcd::SyncClient wrong(url(), "root", "not-the-password");
  etcd::Response r = wrong.get("/auth/root");
  EXPECT_EQ(etcdv3::ERROR_GRPC_INVALID_ARGUMENT, r.error_code());
  EXPECT_NE(std::string::npos, r.error_message().find("authentication failed"))
      << r.error_message();
  EXPECT_EQ("", wrong.current_auth_token());
  etcd::Client wrong_async(url(), "nobody", "x");
  EXPECT_FALSE(wrong_async.get("/auth/root").get().is_ok());

  etcd::SyncClient anonymous(url());
  r = anonymous.get("/auth/root");
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ("", anonymous.current_auth_token());
  // A user without a password means no authentication at all.
  etcd::SyncClient half(url(), "root", "");
  EXPECT_FALSE(half.get("/auth/root").is_ok());
}

TEST_F(AuthTest, WatcherWithCredentials) {
  etcd::SyncClient root(url(), "root", kRootPassword);
  // One collector per watcher.
  std::vector<std::unique_ptr<etcdtest::Collector<etcd::Response>>> seen;
  auto collect = [&seen]() -> std::function<void(etcd::Response)> {
    seen.emplace_back(new etcdtest::Collector<etcd::Response>());
    etcdtest::Collector<etcd::Response>* c = seen.back().get();
    return [c](etcd::Response r) { c->add(r); };
  };
  std::atomic<int> ended{0};
  auto on_end = [&ended](bool) { ++ended; };
  etcd::ClientOptions options;
  options.with_user("root", kRootPassword);
  {
    std::vector<std::unique_ptr<etcd::Watcher>> watchers;
    // The user/password forms (key, range, key from an index, range from an index). With a range
    // and an index the token TTL must be given: without it etcd-cpp-apiv3's overload set is
    // ambiguous with the TLS constructor, here as there.
    watchers.emplace_back(
        new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/key", collect()));
    watchers.emplace_back(
        new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/r", "/auth/w/s", collect()));
    watchers.emplace_back(
        new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/from", 0, collect(), false, 300));
    watchers.emplace_back(new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/rf",
                                            "/auth/w/rg", 0, collect(), 300));
    // The same with a wait callback.
    watchers.emplace_back(
        new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/key", collect(), on_end));
    watchers.emplace_back(new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/r", "/auth/w/s",
                                            collect(), on_end));
    watchers.emplace_back(new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/from", 0,
                                            collect(), on_end, true));
    watchers.emplace_back(new etcd::Watcher(url(), "root", kRootPassword, "/auth/w/rf",
                                            "/auth/w/rg", 0, collect(), on_end, 300));
    // Made from an authenticated client, and from options.
    watchers.emplace_back(new etcd::Watcher(root, "/auth/w/key", collect()));
    watchers.emplace_back(new etcd::Watcher(url(), options, "/auth/w/key", 0, collect()));
    watchers.emplace_back(
        new etcd::Watcher(url(), options, "/auth/w/r", "/auth/w/s", 0, collect(), on_end));

    // Watches start asynchronously: write until each watcher has reported an event.
    etcdtest::Repeater writer([&] {
      root.put("/auth/w/key", "v");
      root.put("/auth/w/r1", "v");
      root.put("/auth/w/from", "v");
      root.put("/auth/w/rf1", "v");
    });
    for (size_t i = 0; i < seen.size(); ++i) {
      EXPECT_TRUE(seen[i]->wait_size(1, seconds(20))) << "watcher " << i;
      for (const etcd::Response& r : seen[i]->snapshot()) {
        EXPECT_TRUE(r.is_ok()) << r.error_message();
        EXPECT_FALSE(r.events().empty());
      }
    }
    writer.stop();
  }
  EXPECT_TRUE(wait_until([&] { return ended.load() == 5; }, seconds(10)));
}

TEST_F(AuthTest, KeepAliveWithCredentials) {
  etcd::SyncClient root(url(), "root", kRootPassword);
  auto alive = [&](int64_t lease) { return root.leasetimetolive(lease).value().ttl() > 0; };
  std::exception_ptr failure;
  auto handler = [&failure](std::exception_ptr e) { failure = e; };
  {
    etcd::KeepAlive plain(url(), "root", kRootPassword, 10);
    ASSERT_NE(0, plain.Lease());
    EXPECT_TRUE(alive(plain.Lease()));
    EXPECT_NO_THROW(plain.Check());
    etcd::KeepAlive with_ttl(url(), "root", kRootPassword, 10, 0, 120);
    EXPECT_TRUE(alive(with_ttl.Lease()));
    etcd::KeepAlive handled(url(), "root", kRootPassword, handler, 10);
    EXPECT_TRUE(alive(handled.Lease()));
    EXPECT_NO_THROW(handled.Check());
    etcd::ClientOptions options;
    options.with_user("root", kRootPassword);
    etcd::KeepAlive from_options(url(), options, 10);
    EXPECT_TRUE(alive(from_options.Lease()));
    etcd::KeepAlive from_options_handled(url(), options, handler, 10);
    EXPECT_TRUE(alive(from_options_handled.Lease()));
    etcd::KeepAlive from_client(root, 10);
    EXPECT_TRUE(alive(from_client.Lease()));
    std::shared_ptr<etcd::KeepAlive> granted = root.leasekeepalive(10);
    EXPECT_TRUE(alive(granted->Lease()));
    // A lease of 2 seconds stays alive past its TTL.
    etcd::KeepAlive short_lived(url(), "root", kRootPassword, 2);
    EXPECT_TRUE(etcdtest::holds_for([&] { return alive(short_lived.Lease()); }, seconds(4),
                                    milliseconds(250)));
  }
  EXPECT_FALSE(failure);

  // With wrong credentials no lease can be granted: Lease() is 0 and Check() reports it.
  etcd::KeepAlive wrong(url(), "root", "wrong", handler, 10);
  EXPECT_EQ(0, wrong.Lease());
}

// Tokens that live two seconds on the server: the client renews them and keeps working, and the
// references current_auth_token() handed out stay valid.
TEST(AuthTokenTest, ShortLivedTokensAreRenewed) {
  etcdtest::ClusterOptions options;
  options.extra_flags = {"--auth-token=simple", "--auth-token-ttl=2"};
  etcdtest::EtcdCluster cluster(options);
  ASSERT_TRUE(set_up_users(cluster));

  etcd::SyncClient app(cluster.endpoint(), "app", kAppPassword, 2);
  ASSERT_TRUE(app.put("/app/renew", "0").is_ok());
  const std::string& first_ref = app.current_auth_token();
  const std::string first = first_ref;
  EXPECT_FALSE(first.empty());
  ASSERT_TRUE(wait_until([&] { return app.current_auth_token() != first; }, seconds(10)));
  EXPECT_EQ(first, first_ref);

  // The passing of time is what is checked: several token lifetimes go by.
  int n = 0;
  EXPECT_TRUE(etcdtest::holds_for(
      [&] {
        ++n;
        etcd::Response r = app.put("/app/renew", std::to_string(n));
        return r.is_ok() && app.get("/app/renew").value().as_string() == std::to_string(n);
      },
      seconds(6), milliseconds(300)));

  // A client that believes tokens last 300 s still recovers when the server forgets them.
  etcd::Client optimistic(cluster.endpoint(), "app", kAppPassword);
  ASSERT_TRUE(optimistic.put("/app/renew", "x").get().is_ok());
  EXPECT_TRUE(etcdtest::holds_for([&] { return optimistic.get("/app/renew").get().is_ok(); },
                                  seconds(4), milliseconds(500)));

  // A watcher with credentials keeps delivering across token expiry.
  etcdtest::Collector<std::string> seen;
  etcd::Watcher watcher(
      cluster.endpoint(), "app", kAppPassword, "/app/w", 0,
      [&seen](etcd::Response r) { seen.add(r.value().as_string()); }, false, 2);
  etcdtest::Repeater writer([&] { app.put("/app/w", "early"); });
  ASSERT_TRUE(seen.wait_size(1, seconds(10)));
  writer.stop();
  // Outlive the token the watcher started with.
  std::this_thread::sleep_for(seconds(3));
  seen.clear();
  etcdtest::Repeater late([&] { app.put("/app/w", "late"); });
  EXPECT_TRUE(seen.wait_size(1, seconds(10)));
}

}  // namespace
