// etcd::Client: what only the asynchronous facade has (tasks, continuations, many calls in
// flight, copies, wrapping a SyncClient). The operations it shares with etcd::SyncClient are
// tested through both APIs in ClientSuiteTest.cpp.
#include <atomic>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "ClientSuite.hpp"
#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kKeyNotFound = "etcd-cpp-apiv3: key not found";

class ClientTest : public ::testing::Test {
 protected:
  ClientTest()
      : etcd_(etcdtest::shared_etcd()),
        client_(etcd_.endpoint()),
        async_(client_.client),
        p_(etcdtest::test_prefix()) {}

  // Puts `key`=`value` and returns the revision of that write.
  int64_t put(const std::string& key, const std::string& value) {
    etcd::Response r = client_.put(key, value);
    EXPECT_TRUE(r.is_ok()) << r.error_message();
    return r.index();
  }

  etcdtest::EtcdCluster& etcd_;
  etcdtest::Blocking<etcdtest::AsyncApi> client_;
  etcd::Client& async_;
  const std::string p_;
};

TEST_F(ClientTest, TaskGetWaitIsDone) {
  pplx::task<etcd::Response> t = async_.put(p_ + "k", "v");
  EXPECT_EQ(pplx::completed, t.wait());
  EXPECT_TRUE(t.is_done());
  etcd::Response r = t.get();
  EXPECT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("set", r.action());
  // get() may be called again on a completed task.
  EXPECT_EQ(r.index(), t.get().index());
}

TEST_F(ClientTest, ThenTakingResponse) {
  put(p_ + "k", "v");
  pplx::task<std::string> t =
      async_.get(p_ + "k").then([](etcd::Response r) { return r.value().as_string(); });
  EXPECT_EQ("v", t.get());

  pplx::task<void> v = async_.get(p_ + "missing").then([](etcd::Response r) {
    EXPECT_EQ(100, r.error_code());
    EXPECT_EQ(kKeyNotFound, r.error_message());
  });
  v.get();
}

TEST_F(ClientTest, ThenTakingTask) {
  put(p_ + "k", "v");
  pplx::task<int> t = async_.get(p_ + "missing").then([](pplx::task<etcd::Response> done) {
    return done.get().error_code();
  });
  EXPECT_EQ(100, t.get());
  pplx::task<std::string> s = async_.get(p_ + "k").then(
      [](pplx::task<etcd::Response> done) { return done.get().value().as_string(); });
  EXPECT_EQ("v", s.get());
}

TEST_F(ClientTest, ThenChainsAndUnwraps) {
  etcd::Client& c = async_;
  const std::string key = p_ + "k";
  pplx::task<etcd::Response> chained = c.put(key, "first")
                                           .then([&c, key](etcd::Response r) {
                                             EXPECT_TRUE(r.is_ok());
                                             return c.modify(key, "second");
                                           })
                                           .then([&c, key](etcd::Response r) {
                                             EXPECT_EQ("update", r.action());
                                             EXPECT_EQ("first", r.prev_value().as_string());
                                             return c.get(key);
                                           });
  etcd::Response last = chained.get();
  ASSERT_TRUE(last.is_ok());
  EXPECT_EQ("second", last.value().as_string());
}

TEST_F(ClientTest, ContinuationOnCompletedTask) {
  pplx::task<etcd::Response> t = async_.put(p_ + "k", "v");
  t.wait();
  std::atomic<bool> ran{false};
  t.then([&ran](etcd::Response r) {
     EXPECT_TRUE(r.is_ok());
     ran = true;
   }).wait();
  EXPECT_TRUE(ran.load());
}

TEST_F(ClientTest, ExceptionInContinuationReachesTask) {
  pplx::task<int> t =
      async_.head().then([](etcd::Response) -> int { throw std::runtime_error("boom"); });
  EXPECT_THROW(t.get(), std::runtime_error);
}

TEST_F(ClientTest, ManyConcurrentCalls) {
  std::vector<pplx::task<etcd::Response>> puts;
  for (int i = 0; i < 200; ++i) {
    puts.push_back(async_.put(p_ + "k" + std::to_string(i), std::to_string(i)));
  }
  std::set<int64_t> revisions;
  for (auto& t : puts) {
    etcd::Response r = t.get();
    EXPECT_TRUE(r.is_ok()) << r.error_message();
    revisions.insert(r.index());
  }
  EXPECT_EQ(200u, revisions.size());
  std::vector<pplx::task<etcd::Response>> gets;
  for (int i = 0; i < 200; ++i) {
    gets.push_back(async_.get(p_ + "k" + std::to_string(i)));
  }
  std::vector<etcd::Response> all = pplx::when_all(gets.begin(), gets.end()).get();
  ASSERT_EQ(200u, all.size());
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(std::to_string(i), all[i].value().as_string());
  }
  EXPECT_EQ(200u, client_.ls(p_).keys().size());
}

TEST_F(ClientTest, AsyncWatchFromNow) {
  const std::string key = p_ + "key";
  pplx::task<etcd::Response> w = async_.watch(key);
  etcd::SyncClient writer(etcd_.endpoint());
  int n = 0;
  bool done = wait_until(
      [&] {
        if (w.is_done()) {
          return true;
        }
        writer.put(key, "v" + std::to_string(n++));
        return false;
      },
      seconds(30), milliseconds(20));
  ASSERT_TRUE(done);
  etcd::Response r = w.get();
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(key, r.value().key());
  EXPECT_TRUE(r.action() == "create" || r.action() == "set") << r.action();
}

TEST_F(ClientTest, LeaseKeepAliveTask) {
  pplx::task<std::shared_ptr<etcd::KeepAlive>> t = async_.leasekeepalive(5);
  std::shared_ptr<etcd::KeepAlive> ka = t.get();
  ASSERT_NE(nullptr, ka);
  EXPECT_NE(0, ka->Lease());
  etcd::Response ttl = client_.leasetimetolive(ka->Lease());
  EXPECT_GT(ttl.value().ttl(), 0);
}

TEST_F(ClientTest, CopySharesTheConnection) {
  std::unique_ptr<etcd::Client> original(new etcd::Client(etcd_.endpoint()));
  ASSERT_TRUE(original->put(p_ + "k", "v").get().is_ok());
  etcd::Client copy(*original);
  EXPECT_EQ("v", copy.get(p_ + "k").get().value().as_string());
  pplx::task<etcd::Response> pending = original->get(p_ + "k");
  original.reset();  // the copy stays usable after the original is gone
  EXPECT_EQ("v", pending.get().value().as_string());
  EXPECT_EQ("v", copy.get(p_ + "k").get().value().as_string());
  ASSERT_TRUE(copy.put(p_ + "k", "w").get().is_ok());

  etcd::Client assigned("not-an-endpoint");
  EXPECT_EQ(13, assigned.head().get().error_code());
  assigned = copy;
  EXPECT_EQ("w", assigned.get(p_ + "k").get().value().as_string());
  {
    etcd::Client temp(copy);
    EXPECT_TRUE(temp.head().get().is_ok());
  }
  EXPECT_TRUE(copy.head().get().is_ok());
  EXPECT_TRUE(assigned.head().get().is_ok());
}

TEST_F(ClientTest, WrapsSyncClientWithoutOwningIt) {
  etcd::SyncClient sync(etcd_.endpoint());
  {
    etcd::Client wrapper(&sync);
    ASSERT_TRUE(wrapper.put(p_ + "k", "v").get().is_ok());
    EXPECT_EQ(&sync, wrapper.sync_client());
  }
  EXPECT_EQ("v", sync.get(p_ + "k").value().as_string());
  {
    std::unique_ptr<etcd::Client> with(etcd::Client::WithClient(&sync));
    ASSERT_NE(nullptr, with);
    EXPECT_EQ("v", with->get(p_ + "k").get().value().as_string());
  }
  EXPECT_TRUE(sync.head().is_ok());
}

TEST_F(ClientTest, SyncClientAccessor) {
  etcd::SyncClient* sync = async_.sync_client();
  ASSERT_NE(nullptr, sync);
  ASSERT_TRUE(sync->put(p_ + "k", "v").is_ok());
  EXPECT_EQ("v", async_.get(p_ + "k").get().value().as_string());
}

}  // namespace
