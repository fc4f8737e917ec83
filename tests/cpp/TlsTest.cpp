// TLS with client certificates (certificates made with openssl for the test: the server's only
// name is DNS:etcd-server.test, so connecting to 127.0.0.1 needs target_name_override): the TLS
// constructors and WithSSL factories of SyncClient and Client, ClientOptions, Watcher and
// KeepAlive over TLS, unreadable files, missing client certificates, and TLS together with a
// user and password.
#include <atomic>
#include <chrono>
#include <exception>
#include <fstream>
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

const std::string kServerName = etcdtest::TlsFiles::server_name;

etcdtest::ClusterOptions tls_cluster() {
  etcdtest::ClusterOptions options;
  options.tls = true;
  return options;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new etcdtest::EtcdCluster(tls_cluster()); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  static std::string url() { return cluster_->endpoint(); }
  static const etcdtest::TlsFiles& files() { return cluster_->tls_files(); }

  static etcd::ClientOptions options() {
    etcd::ClientOptions o;
    o.with_tls(files().ca, files().client_cert, files().client_key, kServerName);
    o.request_timeout = seconds(20);
    return o;
  }

  // put, get and list_member work through `client`.
  template <class C>
  static void expect_working(C& client, const std::string& key) {
    etcd::Response r = client.put(key, "v");
    ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
    EXPECT_EQ("v", client.get(key).value().as_string());
    EXPECT_EQ(1u, client.list_member().members().size());
  }
  static void expect_working(etcd::Client& client, const std::string& key) {
    etcd::Response r = client.put(key, "v").get();
    ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
    EXPECT_EQ("v", client.get(key).get().value().as_string());
    EXPECT_EQ(1u, client.list_member().get().members().size());
  }

  static etcdtest::EtcdCluster* cluster_;
};

etcdtest::EtcdCluster* TlsTest::cluster_ = nullptr;

TEST_F(TlsTest, ConstructorsAndFactories) {
  const etcdtest::TlsFiles& f = files();
  etcd::SyncClient sync(url(), f.ca, f.client_cert, f.client_key, kServerName);
  expect_working(sync, "/tls/sync");
  etcd::SyncClient sync_lb(url(), f.ca, f.client_cert, f.client_key, kServerName, "pick_first");
  expect_working(sync_lb, "/tls/sync-lb");
  etcd::SyncClient sync_options(url(), options());
  expect_working(sync_options, "/tls/sync-options");
  etcd::ClientOptions timeouts;
  timeouts.connect_timeout = seconds(5);
  etcd::SyncClient sync_tls_options(url(), f.ca, f.client_cert, f.client_key, kServerName,
                                    timeouts);
  expect_working(sync_tls_options, "/tls/sync-tls-options");

  std::unique_ptr<etcd::SyncClient> with_ssl(
      etcd::SyncClient::WithSSL(url(), f.ca, f.client_cert, f.client_key, kServerName));
  expect_working(*with_ssl, "/tls/with-ssl");
  std::unique_ptr<etcd::SyncClient> with_ssl_options(
      etcd::SyncClient::WithSSL(url(), timeouts, f.ca, f.client_cert, f.client_key, kServerName));
  expect_working(*with_ssl_options, "/tls/with-ssl-options");
  std::unique_ptr<etcd::SyncClient> with_url(etcd::SyncClient::WithUrl(url(), options()));
  expect_working(*with_url, "/tls/with-url");

  etcd::Client client(url(), f.ca, f.client_cert, f.client_key, kServerName);
  expect_working(client, "/tls/client");
  etcd::Client client_lb(url(), f.ca, f.client_cert, f.client_key, kServerName, "round_robin");
  expect_working(client_lb, "/tls/client-lb");
  etcd::Client client_options(url(), options());
  expect_working(client_options, "/tls/client-options");
  etcd::Client client_tls_options(url(), f.ca, f.client_cert, f.client_key, kServerName, timeouts);
  expect_working(client_tls_options, "/tls/client-tls-options");
  std::unique_ptr<etcd::Client> client_ssl(
      etcd::Client::WithSSL(url(), f.ca, f.client_cert, f.client_key, kServerName));
  expect_working(*client_ssl, "/tls/client-ssl");
  std::unique_ptr<etcd::Client> client_ssl_options(
      etcd::Client::WithSSL(url(), timeouts, f.ca, f.client_cert, f.client_key, kServerName));
  expect_working(*client_ssl_options, "/tls/client-ssl-options");

  // Locks, elections and transactions over TLS.
  etcd::Response lock = sync.lock("/tls/lock");
  ASSERT_TRUE(lock.is_ok()) << lock.error_message();
  EXPECT_TRUE(sync.unlock(lock.lock_key()).is_ok());
  const int64_t lease = sync.leasegrant(30).value().lease();
  std::unique_ptr<etcd::SyncClient::Observer> observer = sync.observe("/tls/election");
  ASSERT_TRUE(sync.campaign("/tls/election", lease, "tls").is_ok());
  EXPECT_EQ("tls", observer->WaitOnce().value().as_string());
  etcdv3::Transaction txn;
  txn.setup_compare_and_swap("/tls/sync", "v", "w");
  EXPECT_TRUE(client.txn(txn).get().is_ok());
  sync.leaserevoke(lease);
}

TEST_F(TlsTest, RefusedConnections) {
  const etcdtest::TlsFiles& f = files();
  etcd::ClientOptions quick;
  quick.request_timeout = seconds(10);

  // No client certificate: the server requires one (WithSSL's defaults leave it out).
  std::unique_ptr<etcd::SyncClient> no_cert(etcd::SyncClient::WithSSL(url(), f.ca));
  no_cert->set_grpc_timeout(seconds(10));
  EXPECT_FALSE(no_cert->get("/tls/x").is_ok());
  std::unique_ptr<etcd::Client> no_cert_async(
      etcd::Client::WithSSL(url(), f.ca, "", "", kServerName));
  no_cert_async->set_grpc_timeout(seconds(10));
  EXPECT_FALSE(no_cert_async->get("/tls/x").get().is_ok());

  // The server certificate does not name 127.0.0.1.
  etcd::SyncClient no_override(url(), f.ca, f.client_cert, f.client_key, "", quick);
  EXPECT_FALSE(no_override.get("/tls/x").is_ok());

  // A CA that did not sign the server certificate.
  etcd::SyncClient wrong_ca(url(), f.client_cert, f.client_cert, f.client_key, kServerName, quick);
  EXPECT_FALSE(wrong_ca.get("/tls/x").is_ok());

  // Plain HTTP/2 to the TLS port.
  etcd::SyncClient plain(url(), quick);
  EXPECT_FALSE(plain.get("/tls/x").is_ok());
}

TEST_F(TlsTest, UnreadableFilesAreReported) {
  const etcdtest::TlsFiles& f = files();
  const std::string missing = cluster_->dir() + "/no-such-ca.pem";
  etcd::SyncClient sync(url(), missing, f.client_cert, f.client_key, kServerName);
  etcd::Response r = sync.get("/tls/x");
  EXPECT_EQ(etcdv3::ERROR_GRPC_INVALID_ARGUMENT, r.error_code());
  EXPECT_NE(std::string::npos, r.error_message().find(missing)) << r.error_message();
  // Every operation reports it, the asynchronous ones too.
  EXPECT_EQ(etcdv3::ERROR_GRPC_INVALID_ARGUMENT, sync.put("/tls/x", "v").error_code());
  etcd::Client client(url(), f.ca, missing, f.client_key, kServerName);
  r = client.get("/tls/x").get();
  EXPECT_EQ(etcdv3::ERROR_GRPC_INVALID_ARGUMENT, r.error_code());
  EXPECT_NE(std::string::npos, r.error_message().find(missing)) << r.error_message();

  // An empty file.
  const std::string empty = cluster_->dir() + "/empty.pem";
  std::ofstream(empty).close();
  etcd::SyncClient empty_key(url(), f.ca, f.client_cert, empty, kServerName);
  r = empty_key.get("/tls/x");
  EXPECT_EQ(etcdv3::ERROR_GRPC_INVALID_ARGUMENT, r.error_code());
  EXPECT_NE(std::string::npos, r.error_message().find(empty)) << r.error_message();

  // A certificate without its key.
  etcd::SyncClient half(url(), f.ca, f.client_cert, "", kServerName);
  EXPECT_EQ(etcdv3::ERROR_GRPC_INVALID_ARGUMENT, half.get("/tls/x").error_code());

  // Watchers and keep-alives made with such files report the error too.
  etcdtest::Collector<etcd::Response> errors;
  etcd::Watcher watcher(
      url(), missing, f.client_cert, f.client_key, "/tls/w", 0,
      [&errors](etcd::Response resp) { errors.add(resp); }, false, kServerName);
  ASSERT_TRUE(errors.wait_size(1, seconds(10)));
  EXPECT_EQ(etcdv3::ERROR_GRPC_INVALID_ARGUMENT, errors.snapshot()[0].error_code());
  std::atomic<bool> handled{false};
  etcd::KeepAlive keepalive(
      url(), missing, f.client_cert, f.client_key,
      [&handled](std::exception_ptr) { handled = true; }, 10, 0, kServerName);
  EXPECT_EQ(0, keepalive.Lease());
}

TEST_F(TlsTest, WatcherAndKeepAlive) {
  const etcdtest::TlsFiles& f = files();
  etcd::SyncClient sync(url(), options());
  std::vector<std::unique_ptr<etcdtest::Collector<etcd::Response>>> seen;
  auto collect = [&seen]() -> std::function<void(etcd::Response)> {
    seen.emplace_back(new etcdtest::Collector<etcd::Response>());
    etcdtest::Collector<etcd::Response>* c = seen.back().get();
    return [c](etcd::Response r) { c->add(r); };
  };
  std::atomic<int> ended{0};
  auto on_end = [&ended](bool) { ++ended; };
  {
    std::vector<std::unique_ptr<etcd::Watcher>> watchers;
    // The TLS constructors: a key (or prefix) from an index, a range from an index.
    watchers.emplace_back(new etcd::Watcher(url(), f.ca, f.client_cert, f.client_key, "/tls/w/a", 0,
                                            collect(), false, kServerName));
    watchers.emplace_back(new etcd::Watcher(url(), f.ca, f.client_cert, f.client_key, "/tls/w/",
                                            "/tls/w0", 0, collect(), kServerName));
    watchers.emplace_back(new etcd::Watcher(url(), f.ca, f.client_cert, f.client_key, "/tls/w/", 0,
                                            collect(), on_end, true, kServerName));
    watchers.emplace_back(new etcd::Watcher(url(), f.ca, f.client_cert, f.client_key, "/tls/w/",
                                            "/tls/w0", 0, collect(), on_end, kServerName));
    // From options and from a TLS client.
    watchers.emplace_back(new etcd::Watcher(url(), options(), "/tls/w/a", 0, collect()));
    watchers.emplace_back(new etcd::Watcher(sync, "/tls/w/a", collect()));

    etcdtest::Repeater writer([&] { sync.put("/tls/w/a", "v"); });
    for (size_t i = 0; i < seen.size(); ++i) {
      EXPECT_TRUE(seen[i]->wait_size(1, seconds(20))) << "watcher " << i;
      for (const etcd::Response& r : seen[i]->snapshot()) {
        EXPECT_TRUE(r.is_ok()) << r.error_message();
        EXPECT_FALSE(r.events().empty());
      }
    }
    writer.stop();
  }
  EXPECT_TRUE(wait_until([&] { return ended.load() == 2; }, seconds(10)));

  auto alive = [&](int64_t lease) { return sync.leasetimetolive(lease).value().ttl() > 0; };
  std::atomic<bool> failed{false};
  auto handler = [&failed](std::exception_ptr) { failed = true; };
  {
    etcd::KeepAlive tls(url(), f.ca, f.client_cert, f.client_key, handler, 2, 0, kServerName);
    ASSERT_NE(0, tls.Lease());
    etcd::KeepAlive from_options(url(), options(), 2);
    ASSERT_NE(0, from_options.Lease());
    etcd::KeepAlive from_options_handled(url(), options(), handler, 2);
    ASSERT_NE(0, from_options_handled.Lease());
    etcd::KeepAlive from_client(sync, 2);
    ASSERT_NE(0, from_client.Lease());
    // The passing of time is what is checked: 2-second leases outlive their TTL.
    EXPECT_TRUE(etcdtest::holds_for(
        [&] {
          return alive(tls.Lease()) && alive(from_options.Lease()) &&
                 alive(from_options_handled.Lease()) && alive(from_client.Lease());
        },
        seconds(4), milliseconds(250)));
    EXPECT_NO_THROW(tls.Check());
  }
  EXPECT_FALSE(failed.load());
}

// TLS and a user/password together (etcd-cpp-apiv3 cannot do both).
TEST(TlsAuthTest, TlsWithPassword) {
  etcdtest::EtcdCluster cluster(tls_cluster());
  ASSERT_TRUE(cluster.enable_auth("rootpw"));
  const etcdtest::TlsFiles& f = cluster.tls_files();
  const std::string url = cluster.endpoint();

  etcd::ClientOptions tls;
  tls.with_tls(f.ca, f.client_cert, f.client_key, kServerName);
  tls.request_timeout = seconds(20);
  etcd::ClientOptions both = tls;
  both.with_user("root", "rootpw");

  etcd::SyncClient sync(url, both);
  etcd::Response r = sync.put("/tls-auth/k", "v");
  ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_EQ("v", sync.get("/tls-auth/k").value().as_string());
  EXPECT_FALSE(sync.current_auth_token().empty());
  EXPECT_EQ(1u, sync.list_member().members().size());

  etcd::Client client(url, both);
  EXPECT_EQ("v", client.get("/tls-auth/k").get().value().as_string());
  // The TLS constructor with options carrying the credentials, and the user constructor with
  // options carrying TLS.
  etcd::ClientOptions user_only;
  user_only.with_user("root", "rootpw");
  etcd::SyncClient tls_ctor(url, f.ca, f.client_cert, f.client_key, kServerName, user_only);
  EXPECT_TRUE(tls_ctor.get("/tls-auth/k").is_ok());
  etcd::SyncClient user_ctor(url, "root", "rootpw", 300, tls);
  EXPECT_TRUE(user_ctor.get("/tls-auth/k").is_ok());
  std::unique_ptr<etcd::Client> factory(etcd::Client::WithUser(url, "root", "rootpw", 300, tls));
  EXPECT_TRUE(factory->get("/tls-auth/k").get().is_ok());

  // TLS alone is not enough once authentication is on; a wrong password is refused.
  etcd::SyncClient cert_only(url, tls);
  EXPECT_FALSE(cert_only.get("/tls-auth/k").is_ok());
  etcd::ClientOptions wrong = tls;
  wrong.with_user("root", "wrong");
  etcd::SyncClient wrong_password(url, wrong);
  EXPECT_FALSE(wrong_password.get("/tls-auth/k").is_ok());

  // Watcher and KeepAlive with both.
  etcdtest::Collector<etcd::Response> seen;
  etcd::Watcher watcher(url, both, "/tls-auth/w", 0,
                        [&seen](etcd::Response resp) { seen.add(resp); });
  etcdtest::Repeater writer([&] { sync.put("/tls-auth/w", "x"); });
  ASSERT_TRUE(seen.wait_size(1, seconds(20)));
  EXPECT_TRUE(seen.snapshot()[0].is_ok());
  writer.stop();
  etcd::KeepAlive keepalive(url, both, 10);
  EXPECT_NE(0, keepalive.Lease());
  EXPECT_GT(sync.leasetimetolive(keepalive.Lease()).value().ttl(), 0);
}

}  // namespace
