// Clients inside a namespace (etcd::SyncClient::WithNamespace, etcd::Client::WithNamespace): keys
// get the prefix in requests and lose it in responses, transactions, watch events, locks,
// elections, registries and discovery views; two namespaces do not see each other.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/ServiceDiscovery.hpp"
#include "etcd/ServiceRegistry.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"
#include "etcd/v3/Transaction.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::seconds;

class NamespaceTest : public ::testing::Test {
 protected:
  NamespaceTest()
      : etcd_(etcdtest::shared_etcd()),
        sync_(etcd_.endpoint()),
        client_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  // The keys stored in etcd under `prefix`, as the plain client sees them.
  std::vector<std::string> stored(std::string const& prefix) {
    etcd::Response r = sync_.keys(prefix);
    EXPECT_TRUE(r.is_ok()) << r.error_message();
    return std::vector<std::string>(r.keys().begin(), r.keys().end());
  }

  static std::vector<std::string> keys_of(etcd::Response const& r) {
    std::vector<std::string> out;
    for (auto const& v : r.values()) out.push_back(v.key());
    return out;
  }

  etcdtest::EtcdCluster& etcd_;
  etcd::SyncClient sync_;
  etcd::Client client_;
  std::string p_;
};

TEST_F(NamespaceTest, KeysAreStoredUnderThePrefixAndSeenWithoutIt) {
  std::unique_ptr<etcd::SyncClient> ns = etcd::SyncClient::WithNamespace(sync_, p_ + "a");
  EXPECT_EQ(ns->namespace_prefix(), p_ + "a");
  EXPECT_EQ(sync_.namespace_prefix(), "");

  etcd::Response r = ns->put("/k1", "v0");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  r = ns->put("/k1", "v1");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(r.prev_value().key(), "/k1");
  EXPECT_EQ(r.prev_value().as_string(), "v0");
  r = ns->add("/k2", "v2");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(r.value().key(), "/k2");
  r = ns->get("/k1");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().key(), "/k1");
  EXPECT_EQ(r.value().as_string(), "v1");
  EXPECT_EQ(stored(p_), (std::vector<std::string>{p_ + "a/k1", p_ + "a/k2"}));
  EXPECT_EQ(sync_.get(p_ + "a/k1").value().as_string(), "v1");

  r = ns->ls("/");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"/k1", "/k2"}));
  // The whole keyspace of the namespace.
  EXPECT_EQ(keys_of(ns->ls("")), (std::vector<std::string>{"/k1", "/k2"}));
  r = ns->modify_if("/k1", "v1b", "v1");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(r.value().key(), "/k1");
  EXPECT_EQ(r.value().as_string(), "v1b");
  EXPECT_EQ(ns->modify_if("/k1", "x", "v1").error_code(), etcd::ERROR_COMPARE_FAILED);

  // An empty key would name the prefix itself: refused, as etcd refuses it outside one.
  r = ns->get("");
  EXPECT_EQ(r.error_code(), 3);
  EXPECT_NE(r.error_message().find("get"), std::string::npos) << r.error_message();

  // Namespaces nest.
  std::unique_ptr<etcd::SyncClient> sub = etcd::SyncClient::WithNamespace(*ns, "/k");
  EXPECT_EQ(sub->namespace_prefix(), p_ + "a/k");
  r = sub->get("2");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(r.value().key(), "2");

  r = ns->rmdir("/", true);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"/k1", "/k2"}));
  EXPECT_TRUE(stored(p_).empty());
}

TEST_F(NamespaceTest, TwoNamespacesDoNotSeeEachOther) {
  std::unique_ptr<etcd::Client> a = etcd::Client::WithNamespace(client_, p_ + "a");
  std::unique_ptr<etcd::Client> b = etcd::Client::WithNamespace(client_, p_ + "b");
  EXPECT_EQ(a->namespace_prefix(), p_ + "a");
  ASSERT_TRUE(a->put("/same", "from-a").get().is_ok());
  ASSERT_TRUE(b->put("/same", "from-b").get().is_ok());
  ASSERT_TRUE(a->put("/only-a", "1").get().is_ok());
  EXPECT_EQ(a->get("/same").get().value().as_string(), "from-a");
  EXPECT_EQ(b->get("/same").get().value().as_string(), "from-b");
  EXPECT_EQ(b->get("/only-a").get().error_code(), etcd::ERROR_KEY_NOT_FOUND);
  EXPECT_EQ(keys_of(a->ls("/").get()), (std::vector<std::string>{"/only-a", "/same"}));
  EXPECT_EQ(keys_of(b->ls("/").get()), (std::vector<std::string>{"/same"}));
  ASSERT_TRUE(b->rmdir("/", true).get().is_ok());
  EXPECT_EQ(stored(p_), (std::vector<std::string>{p_ + "a/only-a", p_ + "a/same"}));
  // The client it was made from may go first: the namespaced one keeps the connection.
  std::unique_ptr<etcd::Client> parent(new etcd::Client(etcd_.endpoint()));
  std::unique_ptr<etcd::Client> c = etcd::Client::WithNamespace(*parent, p_ + "a");
  parent.reset();
  EXPECT_EQ(c->get("/same").get().value().as_string(), "from-a");
}

TEST_F(NamespaceTest, TransactionsAreInsideTheNamespace) {
  std::unique_ptr<etcd::SyncClient> ns = etcd::SyncClient::WithNamespace(sync_, p_ + "t");
  ASSERT_TRUE(ns->put("/counter", "1").is_ok());
  ASSERT_TRUE(ns->put("/list/x", "x").is_ok());
  sync_.put(p_ + "counter", "outside");

  etcdv3::Transaction txn;
  txn.add_compare_value("/counter", "1");
  txn.add_success_put("/counter", "2");
  auto nested = std::make_shared<etcdv3::Transaction>();
  nested->add_success_range("/list/", etcdv3::detail::string_plus_one("/list/"));
  txn.add_success_txn(nested);
  txn.add_success_range("/counter");
  etcd::Response r = ns->txn(txn);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"/counter"}));
  EXPECT_EQ(r.value().as_string(), "2");
  EXPECT_EQ(sync_.get(p_ + "t/counter").value().as_string(), "2");
  EXPECT_EQ(sync_.get(p_ + "counter").value().as_string(), "outside");

  // The comparison looks at the namespace's key, not the one outside with the same name.
  etcdv3::Transaction stale;
  stale.add_compare_value("/counter", "outside");
  stale.add_success_put("/counter", "3");
  stale.add_failure_range("/counter");
  std::unique_ptr<etcd::Client> async_ns = etcd::Client::WithNamespace(client_, p_ + "t");
  r = async_ns->txn(stale).get();
  EXPECT_EQ(r.error_code(), etcd::ERROR_COMPARE_FAILED);
  ASSERT_EQ(r.values().size(), 1u);
  EXPECT_EQ(r.value().key(), "/counter");
  EXPECT_EQ(r.value().as_string(), "2");
}

TEST_F(NamespaceTest, WatcherSeesOnlyItsNamespaceWithoutThePrefix) {
  std::unique_ptr<etcd::Client> ns = etcd::Client::WithNamespace(client_, p_ + "w");
  etcdtest::Collector<std::string> log;
  etcd::Watcher w(
      *ns, "/",
      [&](etcd::Response r) {
        for (auto const& e : r.events()) {
          log.add((e.event_type() == etcd::Event::EventType::PUT ? "put " : "delete ") +
                  e.kv().key());
        }
      },
      true);
  ASSERT_TRUE(sync_.put(p_ + "outside", "1").is_ok());
  ASSERT_TRUE(ns->put("/x", "1").get().is_ok());
  ASSERT_TRUE(ns->rm("/x").get().is_ok());
  ASSERT_TRUE(log.wait_size(2, seconds(5)));
  EXPECT_EQ(log.snapshot(), (std::vector<std::string>{"put /x", "delete /x"}));
  w.Cancel();
}

TEST_F(NamespaceTest, LocksAndElectionsAreNamedInsideTheNamespace) {
  std::unique_ptr<etcd::SyncClient> ns = etcd::SyncClient::WithNamespace(sync_, p_ + "l");
  etcd::Response r = ns->lock("/lock");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(r.lock_key().rfind("/lock/", 0), 0u) << r.lock_key();
  EXPECT_EQ(stored(p_), (std::vector<std::string>{p_ + "l" + r.lock_key()}));
  ASSERT_TRUE(ns->unlock(r.lock_key()).is_ok());
  EXPECT_TRUE(stored(p_).empty());

  int64_t lease = ns->leasegrant(10).value().lease();
  ASSERT_NE(lease, 0);
  r = ns->campaign("/election", lease, "me");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(r.name(), "/election");
  std::string key = r.value().key();
  EXPECT_EQ(key.rfind("/election/", 0), 0u) << key;
  r = ns->leader("/election");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(r.value().key(), key);
  EXPECT_EQ(r.value().as_string(), "me");
  EXPECT_EQ(sync_.leader(p_ + "l/election").value().key(), p_ + "l" + key);
  ASSERT_TRUE(ns->resign("/election", lease, key, r.value().created_index()).is_ok());
  ns->leaserevoke(lease);
}

TEST_F(NamespaceTest, RegistryAndDiscoverySeeOnlyTheirNamespace) {
  std::unique_ptr<etcd::Client> a = etcd::Client::WithNamespace(client_, p_ + "a");
  std::unique_ptr<etcd::SyncClient> b = etcd::SyncClient::WithNamespace(sync_, p_ + "b");
  etcd::ServiceDiscovery da(*a, "/svc/");
  etcd::ServiceDiscovery db(*b, "/svc/");
  ASSERT_TRUE(da.wait_ready(seconds(5)));
  ASSERT_TRUE(db.wait_ready(seconds(5)));
  {
    etcd::ServiceRegistry ra(*a, 30);
    etcd::ServiceRegistry rb(*b, 30);
    etcd::Response r = ra.add("/svc/1", "10.0.0.1:80");
    ASSERT_TRUE(r.is_ok()) << r.error_message();
    ASSERT_TRUE(rb.add("/svc/2", "10.0.0.2:80").is_ok());
    std::map<std::string, std::string> want_a{{"/svc/1", "10.0.0.1:80"}};
    std::map<std::string, std::string> want_b{{"/svc/2", "10.0.0.2:80"}};
    ASSERT_TRUE(wait_until([&] { return da.snapshot() == want_a; }, seconds(5)));
    ASSERT_TRUE(wait_until([&] { return db.snapshot() == want_b; }, seconds(5)));
    EXPECT_EQ(sync_.get(p_ + "a/svc/1").value().lease(), ra.lease());
    EXPECT_EQ(sync_.get(p_ + "b/svc/2").value().lease(), rb.lease());
    EXPECT_EQ(stored(p_), (std::vector<std::string>{p_ + "a/svc/1", p_ + "b/svc/2"}));
  }
  // Revoked when the registries go: both views empty again.
  EXPECT_TRUE(
      wait_until([&] { return da.snapshot().empty() && db.snapshot().empty(); }, seconds(5)));
}

}  // namespace
