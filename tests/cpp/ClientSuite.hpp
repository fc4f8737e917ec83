// The typed suite that runs each behaviour shared by etcd::SyncClient and etcd::Client through
// both APIs (tests/cpp/ClientSuiteTest.cpp). An API is described by a small traits struct: the
// client class and `wait`, which turns what a call returns into its result (the value itself for
// SyncClient, `.get()` on the pplx::task for Client). Blocking<Api> then offers the client's
// operations under their own names, each returning the result, so one test body reads the same
// for both APIs. What only one API has is tested in ClientTest.cpp (tasks, continuations, copies)
// and SyncClientTest.cpp.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/SyncClient.hpp"

namespace etcdtest {

// etcd::SyncClient: every call already returns its result.
struct SyncApi {
  using Client = etcd::SyncClient;
  template <class T>
  static T wait(T value) {
    return value;
  }
};

// etcd::Client: every call returns a pplx::task; the result is what get() returns.
struct AsyncApi {
  using Client = etcd::Client;
  template <class T>
  static T wait(pplx::task<T> task) {
    return task.get();
  }
};

// Owns an Api::Client and offers its operations under the same names, each waiting for the
// result through Api::wait.
template <class Api>
class Blocking {
 public:
  template <class... A>
  explicit Blocking(A&&... a) : client(std::forward<A>(a)...) {}

  typename Api::Client client;

#define ETCD_TEST_BLOCKING(name)                                                 \
  template <class... A>                                                          \
  auto name(A&&... a)->decltype(Api::wait(client.name(std::forward<A>(a)...))) { \
    return Api::wait(client.name(std::forward<A>(a)...));                        \
  }
  ETCD_TEST_BLOCKING(head)
  ETCD_TEST_BLOCKING(get)
  ETCD_TEST_BLOCKING(set)
  ETCD_TEST_BLOCKING(add)
  ETCD_TEST_BLOCKING(put)
  ETCD_TEST_BLOCKING(modify)
  ETCD_TEST_BLOCKING(modify_if)
  ETCD_TEST_BLOCKING(rm)
  ETCD_TEST_BLOCKING(rm_if)
  ETCD_TEST_BLOCKING(rmdir)
  ETCD_TEST_BLOCKING(ls)
  ETCD_TEST_BLOCKING(keys)
  ETCD_TEST_BLOCKING(watch)
  ETCD_TEST_BLOCKING(leasegrant)
  ETCD_TEST_BLOCKING(leaserevoke)
  ETCD_TEST_BLOCKING(leasetimetolive)
  ETCD_TEST_BLOCKING(leases)
  ETCD_TEST_BLOCKING(leasekeepalive)
#undef ETCD_TEST_BLOCKING

  template <class D>
  void set_grpc_timeout(D const& d) {
    client.set_grpc_timeout(d);
  }
  std::chrono::microseconds get_grpc_timeout() const { return client.get_grpc_timeout(); }
  const std::string& current_auth_token() const { return client.current_auth_token(); }
};

// Fixture of the typed suite: the shared etcd server, a client of the API under test and a key
// prefix of the test's own.
template <class Api>
class ClientApi : public ::testing::Test {
 protected:
  using Client = Blocking<Api>;

  ClientApi() : etcd_(shared_etcd()), client_(etcd_.endpoint()), p_(test_prefix()) {}

  // Puts `key`=`value` and returns the revision of that write.
  int64_t put(const std::string& key, const std::string& value) {
    etcd::Response r = client_.put(key, value);
    EXPECT_TRUE(r.is_ok()) << r.error_message();
    return r.index();
  }

  EtcdCluster& etcd_;
  Client client_;
  const std::string p_;
};

// The two instances of each test: ClientApi/0.<Test> (SyncApi) and ClientApi/1.<Test> (AsyncApi);
// CTest names them ClientSuiteTest.ClientApi.<Test><etcdtest::SyncApi> and ...<etcdtest::AsyncApi>.
// (A name generator giving "Sync"/"Async" would be nicer in gtest's output, but CMake's test
// discovery only understands numbered instances.)
using Apis = ::testing::Types<SyncApi, AsyncApi>;

}  // namespace etcdtest
