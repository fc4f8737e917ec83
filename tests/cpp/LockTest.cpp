// Locks: lock/unlock through SyncClient and Client (all overloads, sync and async), lock keys and
// leases, keeping a lock's lease alive past its TTL, lock_with_lease, timeouts, the end of a
// client's locks when it is destroyed, and 200 threads taking turns on one client.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"

namespace {

using etcdtest::holds_for;
using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

class LockTest : public ::testing::Test {
 protected:
  LockTest()
      : etcd_(etcdtest::shared_etcd()),
        sync_(etcd_.endpoint()),
        client_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  int remaining_ttl(int64_t lease) { return sync_.leasetimetolive(lease).value().ttl(); }

  // A lock response as etcd-cpp-apiv3 makes it: action "lock", a lock key under the name, the
  // lease in value().lease().
  void expect_locked(const etcd::Response& r, const std::string& name) {
    ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
    EXPECT_EQ(etcdv3::LOCK_ACTION, r.action());
    EXPECT_TRUE(etcdtest::starts_with(r.lock_key(), name + "/")) << r.lock_key();
    EXPECT_NE(0, r.value().lease());
    EXPECT_GT(r.index(), 0);
    EXPECT_TRUE(sync_.get(r.lock_key()).is_ok()) << "the lock key exists while held";
  }

  etcdtest::EtcdCluster& etcd_;
  etcd::SyncClient sync_;
  etcd::Client client_;
  const std::string p_;
};

TEST_F(LockTest, LockAndUnlock) {
  const std::string name = p_ + "lock";
  etcd::Response held = sync_.lock(name);
  expect_locked(held, name);
  const int64_t lease = held.value().lease();
  // The default lease lasts 10 seconds.
  int ttl = remaining_ttl(lease);
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 10);

  // A second locker waits; with a timeout it gives up with code 4.
  etcd::SyncClient other(etcd_.endpoint());
  other.set_grpc_timeout(milliseconds(300));
  etcd::Response waited = other.lock(name);
  EXPECT_EQ(etcdv3::ERROR_GRPC_DEADLINE_EXCEEDED, waited.error_code());
  EXPECT_EQ("gRPC timeout", waited.error_message());
  EXPECT_TRUE(waited.is_grpc_timeout());

  etcd::Response unlocked = sync_.unlock(held.lock_key());
  ASSERT_TRUE(unlocked.is_ok()) << unlocked.error_message();
  EXPECT_EQ(etcdv3::UNLOCK_ACTION, unlocked.action());
  EXPECT_FALSE(sync_.get(held.lock_key()).is_ok());
  // unlock() revokes the lease lock() made.
  EXPECT_EQ(-1, remaining_ttl(lease));

  // Now the other client gets it.
  other.set_grpc_timeout(seconds(10));
  etcd::Response second = other.lock(name, 5);
  expect_locked(second, name);
  EXPECT_NE(held.lock_key(), second.lock_key());
  EXPECT_TRUE(other.unlock(second.lock_key()).is_ok());
}

TEST_F(LockTest, LockLeaseIsKeptAlive) {
  const std::string name = p_ + "lock";
  etcd::Response held = sync_.lock(name, 2);
  expect_locked(held, name);
  EXPECT_LE(remaining_ttl(held.value().lease()), 2);
  // Time passing is what is checked: the 2-second lease outlives its TTL.
  EXPECT_TRUE(
      holds_for([&] { return sync_.get(held.lock_key()).is_ok(); }, seconds(4), milliseconds(250)));
  EXPECT_TRUE(sync_.unlock(held.lock_key()).is_ok());
}

TEST_F(LockTest, LockWithLease) {
  const std::string name = p_ + "lock";
  const int64_t lease = sync_.leasegrant(30).value().lease();
  ASSERT_NE(0, lease);
  etcd::Response held = sync_.lock_with_lease(name, lease);
  expect_locked(held, name);
  EXPECT_EQ(lease, held.value().lease());
  EXPECT_EQ(lease, sync_.get(held.lock_key()).value().lease());
  ASSERT_TRUE(sync_.unlock(held.lock_key()).is_ok());
  // The caller's lease is left alone.
  EXPECT_GT(remaining_ttl(lease), 0);

  // Revoking the lease releases the lock.
  held = sync_.lock_with_lease(name, lease);
  expect_locked(held, name);
  ASSERT_TRUE(sync_.leaserevoke(lease).is_ok());
  EXPECT_FALSE(sync_.get(held.lock_key()).is_ok());
  etcd::Response next = sync_.lock(name);
  expect_locked(next, name);
  EXPECT_TRUE(sync_.unlock(next.lock_key()).is_ok());

  // An unknown lease is refused by etcd.
  etcd::Response bad = sync_.lock_with_lease(name, 0x7abcdef0123);
  EXPECT_FALSE(bad.is_ok());
  EXPECT_EQ(etcdv3::LOCK_ACTION, bad.action());
}

TEST_F(LockTest, AsyncClientOverloads) {
  const std::string name = p_ + "lock";
  etcd::Response r = client_.lock(name).get();
  expect_locked(r, name);
  ASSERT_TRUE(client_.unlock(r.lock_key()).get().is_ok());

  // sync = true: done on the calling thread; the task is complete on return.
  pplx::task<etcd::Response> t = client_.lock(name, true);
  EXPECT_TRUE(t.is_done());
  expect_locked(t.get(), name);
  ASSERT_TRUE(client_.unlock(t.get().lock_key()).get().is_ok());

  t = client_.lock(name, false);
  expect_locked(t.get(), name);
  ASSERT_TRUE(client_.unlock(t.get().lock_key()).get().is_ok());

  r = client_.lock(name, 3).get();
  expect_locked(r, name);
  EXPECT_LE(remaining_ttl(r.value().lease()), 3);
  ASSERT_TRUE(client_.unlock(r.lock_key()).get().is_ok());

  t = client_.lock(name, 3, true);
  EXPECT_TRUE(t.is_done());
  expect_locked(t.get(), name);
  ASSERT_TRUE(client_.unlock(t.get().lock_key()).get().is_ok());

  t = client_.lock(name, 3, false);
  expect_locked(t.get(), name);
  ASSERT_TRUE(client_.unlock(t.get().lock_key()).get().is_ok());

  const int64_t lease = client_.leasegrant(30).get().value().lease();
  r = client_.lock_with_lease(name, lease).get();
  expect_locked(r, name);
  EXPECT_EQ(lease, r.value().lease());
  ASSERT_TRUE(client_.unlock(r.lock_key()).get().is_ok());
  t = client_.lock_with_lease(name, lease, true);
  EXPECT_TRUE(t.is_done());
  expect_locked(t.get(), name);
  ASSERT_TRUE(client_.unlock(t.get().lock_key()).get().is_ok());
  t = client_.lock_with_lease(name, lease, false);
  expect_locked(t.get(), name);
  ASSERT_TRUE(client_.unlock(t.get().lock_key()).get().is_ok());
  client_.leaserevoke(lease).wait();

  // An async lock waits without holding a thread; it completes once the holder unlocks.
  etcd::Response holder = sync_.lock(name);
  expect_locked(holder, name);
  pplx::task<etcd::Response> waiting = client_.lock(name);
  EXPECT_FALSE(waiting.is_done());
  ASSERT_TRUE(sync_.unlock(holder.lock_key()).is_ok());
  ASSERT_TRUE(wait_until([&] { return waiting.is_done(); }, seconds(10)));
  expect_locked(waiting.get(), name);
  ASSERT_TRUE(client_.unlock(waiting.get().lock_key()).get().is_ok());

  // A timeout on the client applies to async locks too.
  holder = sync_.lock(name);
  etcd::Client impatient(etcd_.endpoint());
  impatient.set_grpc_timeout(milliseconds(300));
  r = impatient.lock(name).get();
  EXPECT_TRUE(r.is_grpc_timeout());
  EXPECT_EQ("gRPC timeout", r.error_message());
  r = impatient.lock(name, true).get();
  EXPECT_TRUE(r.is_grpc_timeout());
  ASSERT_TRUE(sync_.unlock(holder.lock_key()).is_ok());
}

// The keep-alives of a client's locks stop with it: the lock is free again once its lease has
// expired, as when an etcd-cpp-apiv3 SyncClient holding locks is destroyed.
TEST_F(LockTest, LocksEndWithTheirClient) {
  const std::string name = p_ + "lock";
  std::string lock_key;
  int64_t lease = 0;
  // A watcher made from the client keeps the connection open after the client is gone; the
  // locks end anyway.
  std::unique_ptr<etcd::Watcher> watcher;
  {
    etcd::SyncClient owner(etcd_.endpoint());
    etcd::Response held = owner.lock(name, 2);
    expect_locked(held, name);
    lock_key = held.lock_key();
    lease = held.value().lease();
    watcher.reset(new etcd::Watcher(owner, p_ + "watched", [](etcd::Response) {}));
  }
  ASSERT_TRUE(wait_until([&] { return remaining_ttl(lease) == -1; }, seconds(10)));
  watcher->Cancel();
  EXPECT_FALSE(sync_.get(lock_key).is_ok());
  sync_.set_grpc_timeout(seconds(10));
  etcd::Response next = sync_.lock(name);
  expect_locked(next, name);
  EXPECT_TRUE(sync_.unlock(next.lock_key()).is_ok());

  // Same through a Client: the locks end when the last copy of it is destroyed.
  {
    etcd::Client owner(etcd_.endpoint());
    etcd::Client copy = owner;
    etcd::Response held = owner.lock(name, 2).get();
    expect_locked(held, name);
    lease = held.value().lease();
  }
  ASSERT_TRUE(wait_until([&] { return remaining_ttl(lease) == -1; }, seconds(10)));
}

// 200 threads take turns on one lock through one client: every one of them gets it, one at a
// time, and none waits forever.
TEST_F(LockTest, TwoHundredThreadsTakeTurns) {
  const std::string name = p_ + "lock";
  const std::string counter = p_ + "counter";
  ASSERT_TRUE(sync_.put(counter, "0").is_ok());
  const int threads = 200;
  std::atomic<int> holders{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> done{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  const auto start = etcdtest::Clock::now();
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      // Half the threads use the asynchronous interface, half the synchronous flag.
      etcd::Response held =
          (i % 2 == 0) ? client_.lock(name).get() : client_.lock(name, true).get();
      if (!held.is_ok()) {
        ++failures;
        return;
      }
      if (holders.fetch_add(1) != 0) ++overlaps;
      // A read-modify-write that is only correct under the lock.
      int value = std::stoi(client_.get(counter).get().value().as_string());
      if (!client_.put(counter, std::to_string(value + 1)).get().is_ok()) ++failures;
      holders.fetch_sub(1);
      if (!client_.unlock(held.lock_key()).get().is_ok()) ++failures;
      ++done;
    });
  }
  for (std::thread& w : workers) w.join();
  const auto took = etcdtest::Clock::now() - start;
  EXPECT_EQ(threads, done.load());
  EXPECT_EQ(0, failures.load());
  EXPECT_EQ(0, overlaps.load());
  EXPECT_EQ(std::to_string(threads), sync_.get(counter).value().as_string());
  EXPECT_LT(took, seconds(120));
  // Every lock's lease was revoked by its unlock.
  EXPECT_TRUE(sync_.ls(name).values().empty());
}

}  // namespace
