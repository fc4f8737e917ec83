// Timeouts: the request timeout (set_grpc_timeout or ClientOptions::request_timeout) and its
// code 4 "gRPC timeout" (Response::is_grpc_timeout), against a server that accepts connections
// but never answers; ClientOptions::connect_timeout against a server whose connection queue is
// full; which operations the timeout applies to.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A loopback TCP listener that never accepts. With `fill_queue`, its accept queue is filled by
// connections of its own, so that the kernel drops further connection attempts and a client's
// connect() hangs until its own timeout.
class SilentServer {
 public:
  explicit SilentServer(bool fill_queue) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        listen(fd_, fill_queue ? 0 : 64) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    if (fill_queue) {
      // The accept queue of a backlog-0 listener holds one connection; a second one may be
      // needed on some kernels. Non-blocking connects: those that cannot complete are fine.
      for (int i = 0; i < 2; ++i) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        fillers_.push_back(c);
      }
    }
  }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  ~SilentServer() {
    for (int c : fillers_) close(c);
    close(fd_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

TEST(TimeoutTest, RequestTimeoutGivesCode4) {
  SilentServer server(false);
  etcd::SyncClient sync(server.endpoint());
  sync.set_grpc_timeout(milliseconds(300));
  etcd::Response r;
  long long took = etcdtest::elapsed_ms([&] { r = sync.get("/k"); });
  EXPECT_EQ(etcdv3::ERROR_GRPC_DEADLINE_EXCEEDED, r.error_code()) << r.error_message();
  EXPECT_EQ("gRPC timeout", r.error_message());
  EXPECT_TRUE(r.is_grpc_timeout());
  EXPECT_FALSE(r.is_network_unavailable());
  EXPECT_LT(took, 5000);

  // From ClientOptions, for the asynchronous client.
  etcd::ClientOptions options;
  options.request_timeout = milliseconds(300);
  etcd::Client client(server.endpoint(), options);
  EXPECT_EQ(std::chrono::microseconds(milliseconds(300)), client.get_grpc_timeout());
  r = client.put("/k", "v").get();
  EXPECT_TRUE(r.is_grpc_timeout()) << r.error_code() << " " << r.error_message();
  // set_grpc_timeout replaces the initial value; sub-millisecond values disable it.
  client.set_grpc_timeout(seconds(2));
  EXPECT_EQ(std::chrono::microseconds(seconds(2)), client.get_grpc_timeout());
  client.set_grpc_timeout(std::chrono::microseconds(999));
  EXPECT_EQ(std::chrono::microseconds(0), client.get_grpc_timeout());
  options.request_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(std::chrono::microseconds(0),
            etcd::SyncClient(server.endpoint(), options).get_grpc_timeout());

  // Locks, elections, members and transactions time out the same way.
  EXPECT_TRUE(sync.lock("/lock").is_grpc_timeout());
  EXPECT_TRUE(sync.campaign("/election", 1, "v").is_grpc_timeout());
  EXPECT_TRUE(sync.leader("/election").is_grpc_timeout());
  EXPECT_TRUE(sync.list_member().is_grpc_timeout());
  etcdv3::Transaction txn;
  txn.setup_put("/k", "v");
  EXPECT_TRUE(sync.txn(txn).is_grpc_timeout());

  // A KeepAlive starts with its client's timeout.
  etcd::KeepAlive keepalive(sync, 10, 42);
  EXPECT_EQ(std::chrono::microseconds(milliseconds(300)), keepalive.get_grpc_timeout());
}

TEST(TimeoutTest, ConnectTimeout) {
  SilentServer server(true);
  etcd::ClientOptions options;
  options.connect_timeout = milliseconds(300);
  // Only a safety net, should the connection succeed after all.
  options.request_timeout = seconds(10);
  etcd::SyncClient sync(server.endpoint(), options);
  etcd::Response r;
  long long took = etcdtest::elapsed_ms([&] { r = sync.get("/k"); });
  EXPECT_FALSE(r.is_ok());
  EXPECT_NE(0, r.error_code());
  // Well before the 3-second default.
  EXPECT_LT(took, 2500) << r.error_code() << " " << r.error_message();
}

// The timeout does not apply to one-shot watches or to leaserevoke, as in etcd-cpp-apiv3.
TEST(TimeoutTest, NotForWatches) {
  etcdtest::EtcdCluster& etcd = etcdtest::shared_etcd();
  etcd::SyncClient sync(etcd.endpoint());
  etcd::Client client(etcd.endpoint());
  client.set_grpc_timeout(milliseconds(200));
  const std::string key = etcdtest::test_prefix() + "watched";
  pplx::task<etcd::Response> watch = client.watch(key);
  // Longer than the timeout: the watch is still waiting for a change.
  EXPECT_FALSE(etcdtest::wait_until([&] { return watch.is_done(); }, milliseconds(600)));
  etcdtest::Repeater writer([&] { sync.put(key, "v"); });
  ASSERT_TRUE(etcdtest::wait_until([&] { return watch.is_done(); }, seconds(10)));
  etcd::Response r = watch.get();
  EXPECT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(1u, r.events().size());
}

}  // namespace
