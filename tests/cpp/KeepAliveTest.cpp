// etcd::KeepAlive: constructors, lease selection, keeping a lease alive well past its TTL, the
// errors a revoked lease produces (handler and Check()), Cancel() and the timeout setting.
#include <atomic>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"

namespace {

using etcdtest::holds_for;
using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kExpired = "Failed to refresh lease due to expiration: the new TTL is 0.";

// Collects the errors a keep-alive handler receives.
class ErrorLog {
 public:
  std::function<void(std::exception_ptr)> handler() {
    return [this](std::exception_ptr e) { errors_.add(e); };
  }
  size_t size() const { return errors_.size(); }
  bool wait(milliseconds timeout) const { return errors_.wait_size(1, timeout); }
  std::exception_ptr first() const {
    std::vector<std::exception_ptr> all = errors_.snapshot();
    return all.empty() ? nullptr : all[0];
  }

 private:
  etcdtest::Collector<std::exception_ptr> errors_;
};

class KeepAliveTest : public ::testing::Test {
 protected:
  KeepAliveTest()
      : etcd_(etcdtest::shared_etcd()),
        client_(etcd_.endpoint()),
        sync_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  int remaining_ttl(int64_t lease) { return sync_.leasetimetolive(lease).value().ttl(); }

  bool key_exists(const std::string& key) { return sync_.get(key).is_ok(); }

  // Checks the lease is alive and usable right after construction, then cancels.
  void expect_working(etcd::KeepAlive& ka, int ttl) {
    ASSERT_NE(0, ka.Lease());
    int remaining = remaining_ttl(ka.Lease());
    EXPECT_GT(remaining, 0);
    EXPECT_LE(remaining, ttl);
    EXPECT_NO_THROW(ka.Check());
    EXPECT_TRUE(sync_.put(p_ + std::to_string(ka.Lease()), "v", ka.Lease()).is_ok());
    ka.Cancel();
  }

  etcdtest::EtcdCluster& etcd_;
  etcd::Client client_;
  etcd::SyncClient sync_;
  const std::string p_;
};

TEST_F(KeepAliveTest, Constructors) {
  const std::string address = etcd_.endpoint();
  ErrorLog log;
  {
    etcd::KeepAlive ka(client_, 10);
    expect_working(ka, 10);
  }
  {
    etcd::KeepAlive ka(sync_, 10);
    expect_working(ka, 10);
  }
  {
    etcd::KeepAlive ka(address, 10);
    expect_working(ka, 10);
  }
  {
    etcd::KeepAlive ka(client_, log.handler(), 10);
    expect_working(ka, 10);
  }
  {
    etcd::KeepAlive ka(sync_, log.handler(), 10);
    expect_working(ka, 10);
  }
  {
    etcd::KeepAlive ka(address, log.handler(), 10);
    expect_working(ka, 10);
  }
  EXPECT_EQ(0u, log.size());
}

TEST_F(KeepAliveTest, UsesGivenLease) {
  const std::string address = etcd_.endpoint();
  ErrorLog log;
  for (int variant = 0; variant < 6; ++variant) {
    etcd::Response grant = sync_.leasegrant(20);
    ASSERT_TRUE(grant.is_ok());
    const int64_t lease = grant.value().lease();
    std::unique_ptr<etcd::KeepAlive> ka;
    switch (variant) {
      case 0:
        ka.reset(new etcd::KeepAlive(client_, 20, lease));
        break;
      case 1:
        ka.reset(new etcd::KeepAlive(sync_, 20, lease));
        break;
      case 2:
        ka.reset(new etcd::KeepAlive(address, 20, lease));
        break;
      case 3:
        ka.reset(new etcd::KeepAlive(client_, log.handler(), 20, lease));
        break;
      case 4:
        ka.reset(new etcd::KeepAlive(sync_, log.handler(), 20, lease));
        break;
      default:
        ka.reset(new etcd::KeepAlive(address, log.handler(), 20, lease));
        break;
    }
    EXPECT_EQ(lease, ka->Lease()) << variant;
    EXPECT_NO_THROW(ka->Check()) << variant;
  }
  EXPECT_EQ(0u, log.size());
}

TEST_F(KeepAliveTest, LeaseSurvivesWellPastItsTtl) {
  const int ttl = 2;
  ErrorLog log;
  etcd::KeepAlive ka(client_, log.handler(), ttl);
  ASSERT_NE(0, ka.Lease());
  const std::string key = p_ + "key";
  ASSERT_TRUE(sync_.put(key, "v", ka.Lease()).is_ok());
  // Waiting for time to pass is the point here: 3 x TTL.
  EXPECT_TRUE(holds_for([&] { return key_exists(key); }, seconds(3 * ttl)));
  EXPECT_GT(remaining_ttl(ka.Lease()), 0);
  EXPECT_NO_THROW(ka.Check());
  EXPECT_EQ(0u, log.size());
}

TEST_F(KeepAliveTest, LeaseSurvivesAfterClientIsDestroyed) {
  const int ttl = 2;
  std::unique_ptr<etcd::KeepAlive> from_client, from_sync;
  {
    etcd::Client temp(etcd_.endpoint());
    from_client.reset(new etcd::KeepAlive(temp, ttl));
  }
  {
    etcd::SyncClient temp(etcd_.endpoint());
    from_sync.reset(new etcd::KeepAlive(temp, ttl));
  }
  ASSERT_TRUE(sync_.put(p_ + "a", "v", from_client->Lease()).is_ok());
  ASSERT_TRUE(sync_.put(p_ + "b", "v", from_sync->Lease()).is_ok());
  EXPECT_TRUE(
      holds_for([&] { return key_exists(p_ + "a") && key_exists(p_ + "b"); }, seconds(3 * ttl)));
  EXPECT_NO_THROW(from_client->Check());
  EXPECT_NO_THROW(from_sync->Check());
}

TEST_F(KeepAliveTest, RevokedLeaseReachesHandlerAsOutOfRange) {
  ErrorLog log;
  etcd::KeepAlive ka(client_, log.handler(), 2);
  ASSERT_NE(0, ka.Lease());
  ASSERT_TRUE(sync_.leaserevoke(ka.Lease()).is_ok());
  ASSERT_TRUE(log.wait(seconds(10))) << "handler not called after the lease was revoked";
  std::exception_ptr e = log.first();
  ASSERT_TRUE(e != nullptr);
  try {
    std::rethrow_exception(e);
  } catch (const std::out_of_range& ex) {
    EXPECT_EQ(kExpired, ex.what());
  } catch (const std::exception& ex) {
    ADD_FAILURE() << "expected std::out_of_range, got: " << ex.what();
  }
  // Check() rethrows the stored error without calling the handler again.
  EXPECT_THROW(ka.Check(), std::out_of_range);
  EXPECT_THROW(ka.Check(), std::out_of_range);
  EXPECT_EQ(1u, log.size());
}

TEST_F(KeepAliveTest, RevokedLeaseMakesCheckThrow) {
  etcd::KeepAlive ka(client_, 5);
  ASSERT_NE(0, ka.Lease());
  ASSERT_TRUE(sync_.leaserevoke(ka.Lease()).is_ok());
  try {
    ka.Check();
    ADD_FAILURE() << "Check() did not throw for a revoked lease";
  } catch (const std::out_of_range& ex) {
    EXPECT_EQ(kExpired, ex.what());
  }
  EXPECT_THROW(ka.Check(), std::out_of_range);
}

TEST_F(KeepAliveTest, CheckOnRevokedLeaseCallsHandlerOnce) {
  ErrorLog log;
  etcd::KeepAlive ka(sync_, log.handler(), 5);
  ASSERT_TRUE(sync_.leaserevoke(ka.Lease()).is_ok());
  EXPECT_THROW(ka.Check(), std::out_of_range);
  ASSERT_TRUE(log.wait(seconds(10)));
  EXPECT_THROW(ka.Check(), std::out_of_range);
  EXPECT_EQ(1u, log.size());
}

TEST_F(KeepAliveTest, CancelLetsTheLeaseExpire) {
  const int ttl = 2;
  ErrorLog log;
  etcd::KeepAlive ka(client_, log.handler(), ttl);
  const std::string key = p_ + "key";
  ASSERT_TRUE(sync_.put(key, "v", ka.Lease()).is_ok());
  ka.Cancel();
  // Cancel() does not revoke: the lease is still there right after.
  EXPECT_GT(remaining_ttl(ka.Lease()), 0);
  EXPECT_TRUE(key_exists(key));
  EXPECT_TRUE(wait_until([&] { return !key_exists(key); }, seconds(4 * ttl)));
  EXPECT_EQ(-1, remaining_ttl(ka.Lease()));
  // After an explicit Cancel(), Check() never throws.
  EXPECT_NO_THROW(ka.Check());
  ka.Cancel();  // idempotent
  EXPECT_EQ(0u, log.size());
}

TEST_F(KeepAliveTest, DestructionDoesNotRevoke) {
  int64_t lease = 0;
  {
    etcd::KeepAlive ka(client_, 10);
    lease = ka.Lease();
  }
  EXPECT_GT(remaining_ttl(lease), 0);
  sync_.leaserevoke(lease);
}

TEST_F(KeepAliveTest, CheckOnHealthyKeepAliveDoesNotThrow) {
  etcd::KeepAlive ka(client_, 3);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NO_THROW(ka.Check());
  }
  EXPECT_GE(remaining_ttl(ka.Lease()), 2);
}

TEST_F(KeepAliveTest, GrpcTimeoutSetting) {
  client_.set_grpc_timeout(std::chrono::seconds(3));
  etcd::KeepAlive ka(client_, 10);
  EXPECT_EQ(std::chrono::microseconds(3000000), ka.get_grpc_timeout());
  ka.set_grpc_timeout(std::chrono::seconds(2));
  EXPECT_EQ(std::chrono::microseconds(2000000), ka.get_grpc_timeout());
  EXPECT_NO_THROW(ka.Check());
  etcd::KeepAlive plain(sync_, 10);
  EXPECT_EQ(std::chrono::microseconds(0), plain.get_grpc_timeout());
}

TEST_F(KeepAliveTest, FromLeaseKeepAliveCall) {
  std::shared_ptr<etcd::KeepAlive> a = client_.leasekeepalive(2).get();
  std::shared_ptr<etcd::KeepAlive> b = sync_.leasekeepalive(2);
  ASSERT_NE(nullptr, a);
  ASSERT_NE(nullptr, b);
  ASSERT_TRUE(sync_.put(p_ + "a", "v", a->Lease()).is_ok());
  ASSERT_TRUE(sync_.put(p_ + "b", "v", b->Lease()).is_ok());
  EXPECT_TRUE(holds_for([&] { return key_exists(p_ + "a") && key_exists(p_ + "b"); }, seconds(6)));
}

TEST_F(KeepAliveTest, UnknownLeaseIdReportsExpiration) {
  ErrorLog log;
  etcd::KeepAlive ka(client_, log.handler(), 2, 0x5eadbeef4321);
  EXPECT_EQ(0x5eadbeef4321, ka.Lease());
  ASSERT_TRUE(log.wait(seconds(10))) << "handler not called for a lease the server does not know";
  try {
    std::rethrow_exception(log.first());
  } catch (const std::out_of_range& ex) {
    EXPECT_EQ(kExpired, ex.what());
  } catch (const std::exception& ex) {
    ADD_FAILURE() << "expected std::out_of_range, got: " << ex.what();
  }
  EXPECT_THROW(ka.Check(), std::out_of_range);
}

}  // namespace
