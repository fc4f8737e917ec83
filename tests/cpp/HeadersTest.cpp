// The public headers, all included together, and the shape of the API they declare: the
// constructor and method overloads of etcd-cpp-apiv3 that existing code calls (checked at compile
// time, including the overloads that must NOT exist), return types, ClientOptions defaults,
// Transaction value semantics and the action/error constants. Needs no etcd server.
//
// Each header also compiles on its own as C++11 and C++17, and all of them together in a C++11
// program, with -Wall -Wextra -Wpedantic -Werror: see tests/CMakeLists.txt (etcd-header-check).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "etcd/Client.hpp"
#include "etcd/ClientOptions.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Value.hpp"
#include "etcd/Watcher.hpp"
#include "etcd/v3/Member.hpp"
#include "etcd/v3/Transaction.hpp"
#include "etcd/v3/action_constants.hpp"
#include "pplx/pplxtasks.h"

namespace {

using std::declval;
using std::is_constructible;
using std::is_same;
using std::string;

using Callback = std::function<void(etcd::Response)>;
using WaitCallback = std::function<void(bool)>;
using Handler = std::function<void(std::exception_ptr)>;
using Task = pplx::task<etcd::Response>;

// ------------------------------------------------------------------------------------------------
// Constructors and factories.
// ------------------------------------------------------------------------------------------------

template <class C>
constexpr bool has_client_constructors() {
  return is_constructible<C, string>::value &&                               // url
         is_constructible<C, string, string>::value &&                       // url, lb
         is_constructible<C, string, etcd::ClientOptions>::value &&          // url, options
         is_constructible<C, string, string, string>::value &&               // user, password
         is_constructible<C, string, string, string, int>::value &&          // + token ttl
         is_constructible<C, string, string, string, int, string>::value &&  // + lb
         is_constructible<C, string, string, string, int, etcd::ClientOptions>::value &&
         is_constructible<C, string, string, string, string, string>::value &&  // TLS
         is_constructible<C, string, string, string, string, string, string>::value &&
         is_constructible<C, string, string, string, string, string, etcd::ClientOptions>::value &&
         // etcd-cpp-apiv3 has no 4-string constructor: Client(url, ca, cert, key) must not compile.
         !is_constructible<C, string, string, string, string>::value &&
         // String literals bind the user/password constructor.
         is_constructible<C, const char*, const char*, const char*>::value;
}
static_assert(has_client_constructors<etcd::SyncClient>(), "SyncClient constructors");
static_assert(has_client_constructors<etcd::Client>(), "Client constructors");
static_assert(is_constructible<etcd::Client, etcd::SyncClient*>::value, "Client(SyncClient*)");
static_assert(!std::is_copy_constructible<etcd::SyncClient>::value, "SyncClient is not copyable");
static_assert(std::is_copy_constructible<etcd::Client>::value, "Client copies share a connection");

// The factories return owning raw pointers, as in etcd-cpp-apiv3.
static_assert(is_same<decltype(etcd::SyncClient::WithUrl(string())), etcd::SyncClient*>::value,
              "SyncClient::WithUrl");
static_assert(is_same<decltype(etcd::SyncClient::WithUrl(string(), etcd::ClientOptions())),
                      etcd::SyncClient*>::value,
              "SyncClient::WithUrl(options)");
static_assert(is_same<decltype(etcd::SyncClient::WithUser(string(), string(), string())),
                      etcd::SyncClient*>::value,
              "SyncClient::WithUser");
static_assert(is_same<decltype(etcd::SyncClient::WithUser(string(), string(), string(), 300,
                                                          etcd::ClientOptions())),
                      etcd::SyncClient*>::value,
              "SyncClient::WithUser(options)");
static_assert(
    is_same<decltype(etcd::SyncClient::WithSSL(string(), string())), etcd::SyncClient*>::value,
    "SyncClient::WithSSL with defaults");
static_assert(
    is_same<decltype(etcd::SyncClient::WithSSL(string(), etcd::ClientOptions(), string())),
            etcd::SyncClient*>::value,
    "SyncClient::WithSSL(options)");
static_assert(is_same<decltype(etcd::Client::WithUrl(string())), etcd::Client*>::value,
              "Client::WithUrl");
static_assert(is_same<decltype(etcd::Client::WithUser(string(), string(), string(), 60)),
                      etcd::Client*>::value,
              "Client::WithUser");
static_assert(is_same<decltype(etcd::Client::WithSSL(string(), string(), string(), string(),
                                                     string(), string())),
                      etcd::Client*>::value,
              "Client::WithSSL");
static_assert(is_same<decltype(etcd::Client::WithClient(nullptr)), etcd::Client*>::value,
              "Client::WithClient");
// Extensions: a client inside a namespace.
static_assert(is_same<decltype(etcd::SyncClient::WithNamespace(
                          std::declval<etcd::SyncClient const&>(), string())),
                      std::unique_ptr<etcd::SyncClient>>::value,
              "SyncClient::WithNamespace");
static_assert(
    is_same<decltype(etcd::Client::WithNamespace(std::declval<etcd::Client const&>(), string())),
            std::unique_ptr<etcd::Client>>::value,
    "Client::WithNamespace");
static_assert(
    is_same<decltype(std::declval<etcd::SyncClient const&>().namespace_prefix()), string>::value,
    "SyncClient::namespace_prefix");
static_assert(
    is_same<decltype(std::declval<etcd::Client const&>().namespace_prefix()), string>::value,
    "Client::namespace_prefix");

// Watcher: the user/password and TLS constructors (with and without wait callback), and options.
static_assert(
    is_constructible<etcd::Watcher, string, string, string, string, Callback>::value &&
        is_constructible<etcd::Watcher, string, string, string, string, Callback, bool,
                         int>::value &&
        is_constructible<etcd::Watcher, string, string, string, string, string, Callback>::value &&
        is_constructible<etcd::Watcher, string, string, string, string, int64_t, Callback, bool,
                         int>::value &&
        is_constructible<etcd::Watcher, string, string, string, string, string, int64_t, Callback,
                         int>::value,
    "Watcher user/password constructors");
static_assert(is_constructible<etcd::Watcher, string, string, string, string, Callback,
                               WaitCallback>::value &&
                  is_constructible<etcd::Watcher, string, string, string, string, string, Callback,
                                   WaitCallback>::value &&
                  is_constructible<etcd::Watcher, string, string, string, string, int64_t, Callback,
                                   WaitCallback, bool, int>::value &&
                  is_constructible<etcd::Watcher, string, string, string, string, string, int64_t,
                                   Callback, WaitCallback, int>::value,
              "Watcher user/password constructors with wait callback");
static_assert(is_constructible<etcd::Watcher, string, string, string, string, string, int64_t,
                               Callback, bool, string>::value &&
                  is_constructible<etcd::Watcher, string, string, string, string, string, string,
                                   int64_t, Callback, string>::value &&
                  is_constructible<etcd::Watcher, string, string, string, string, string, int64_t,
                                   Callback, WaitCallback, bool, string>::value &&
                  is_constructible<etcd::Watcher, string, string, string, string, string, string,
                                   int64_t, Callback, WaitCallback, string>::value,
              "Watcher TLS constructors");
static_assert(is_constructible<etcd::Watcher, string, etcd::ClientOptions, string, int64_t,
                               Callback>::value &&
                  is_constructible<etcd::Watcher, string, etcd::ClientOptions, string, string,
                                   int64_t, Callback, WaitCallback>::value,
              "Watcher with options");
static_assert(!std::is_copy_constructible<etcd::Watcher>::value, "Watcher is not copyable");

// KeepAlive: the user/password and TLS constructors, and options.
static_assert(
    is_constructible<etcd::KeepAlive, string, string, string, int>::value &&
        is_constructible<etcd::KeepAlive, string, string, string, int, int64_t, int>::value &&
        is_constructible<etcd::KeepAlive, string, string, string, Handler, int>::value &&
        is_constructible<etcd::KeepAlive, string, string, string, Handler, int, int64_t,
                         int>::value &&
        is_constructible<etcd::KeepAlive, string, string, string, string, Handler, int>::value &&
        is_constructible<etcd::KeepAlive, string, string, string, string, Handler, int, int64_t,
                         string>::value &&
        is_constructible<etcd::KeepAlive, string, etcd::ClientOptions, int>::value &&
        is_constructible<etcd::KeepAlive, string, etcd::ClientOptions, Handler, int>::value,
    "KeepAlive constructors");
// etcd-cpp-apiv3 has no TLS keep-alive without a handler.
static_assert(!is_constructible<etcd::KeepAlive, string, string, string, string, int>::value,
              "no TLS KeepAlive without handler");

// ------------------------------------------------------------------------------------------------
// Methods: exact signatures (a member pointer of the peer's type must bind) and return types.
// ------------------------------------------------------------------------------------------------

using etcd::Response;
using etcd::SyncClient;

constexpr Response (SyncClient::*sync_lock)(string const&) = &SyncClient::lock;
constexpr Response (SyncClient::*sync_lock_ttl)(string const&, int) = &SyncClient::lock;
constexpr Response (SyncClient::*sync_lock_with_lease)(string const&,
                                                       int64_t) = &SyncClient::lock_with_lease;
constexpr Response (SyncClient::*sync_unlock)(string const&) = &SyncClient::unlock;
constexpr Response (SyncClient::*sync_txn)(etcdv3::Transaction const&) = &SyncClient::txn;
constexpr Response (SyncClient::*sync_campaign)(string const&, int64_t,
                                                string const&) = &SyncClient::campaign;
constexpr Response (SyncClient::*sync_proclaim)(string const&, int64_t, string const&, int64_t,
                                                string const&) = &SyncClient::proclaim;
constexpr Response (SyncClient::*sync_leader)(string const&) = &SyncClient::leader;
constexpr Response (SyncClient::*sync_resign)(string const&, int64_t, string const&,
                                              int64_t) = &SyncClient::resign;
constexpr std::unique_ptr<SyncClient::Observer> (SyncClient::*sync_observe)(string const&) =
    &SyncClient::observe;
constexpr Response (SyncClient::*sync_add_member)(string const&, bool) = &SyncClient::add_member;
constexpr Response (SyncClient::*sync_list_member)() = &SyncClient::list_member;
constexpr Response (SyncClient::*sync_remove_member)(const uint64_t) = &SyncClient::remove_member;
constexpr Response (SyncClient::*sync_sync_endpoints)() = &SyncClient::sync_endpoints;
constexpr std::vector<string> (SyncClient::*sync_endpoints)() const = &SyncClient::endpoints;
constexpr const string& (SyncClient::*sync_token)() const = &SyncClient::current_auth_token;
constexpr Response (SyncClient::Observer::*observer_wait_once)() = &SyncClient::Observer::WaitOnce;

using etcd::Client;
constexpr Task (Client::*client_lock)(string const&) = &Client::lock;
constexpr Task (Client::*client_lock_sync)(string const&, const bool) = &Client::lock;
constexpr Task (Client::*client_lock_ttl)(string const&, int) = &Client::lock;
constexpr Task (Client::*client_lock_ttl_sync)(string const&, int, const bool) = &Client::lock;
constexpr Task (Client::*client_lock_with_lease)(string const&, int64_t) = &Client::lock_with_lease;
constexpr Task (Client::*client_lock_with_lease_sync)(string const&, int64_t,
                                                      const bool) = &Client::lock_with_lease;
constexpr Task (Client::*client_unlock)(string const&) = &Client::unlock;
constexpr Task (Client::*client_txn)(etcdv3::Transaction const&) = &Client::txn;
constexpr Task (Client::*client_campaign)(string const&, int64_t,
                                          string const&) = &Client::campaign;
constexpr Task (Client::*client_proclaim)(string const&, int64_t, string const&, int64_t,
                                          string const&) = &Client::proclaim;
constexpr Task (Client::*client_leader)(string const&) = &Client::leader;
constexpr Task (Client::*client_resign)(string const&, int64_t, string const&,
                                        int64_t) = &Client::resign;
constexpr std::unique_ptr<Client::Observer> (Client::*client_observe)(string const&) =
    &Client::observe;
constexpr Task (Client::*client_add_member)(string const&, bool) = &Client::add_member;
constexpr Task (Client::*client_list_member)() = &Client::list_member;
constexpr Task (Client::*client_remove_member)(const uint64_t) = &Client::remove_member;
constexpr Task (Client::*client_sync_endpoints)() = &Client::sync_endpoints;
constexpr std::vector<string> (Client::*client_endpoints)() const = &Client::endpoints;
constexpr SyncClient* (Client::*client_sync_client)() const = &Client::sync_client;
constexpr const string& (Client::*client_token)() const = &Client::current_auth_token;
constexpr const string& (Response::*response_lock_key)() const = &Response::lock_key;
constexpr const std::vector<etcdv3::Member>& (Response::*response_members)() const =
    &Response::members;

static_assert(is_same<Client::Observer, SyncClient::Observer>::value, "Client::Observer alias");
static_assert(
    is_same<decltype(declval<SyncClient&>().get_grpc_timeout()), std::chrono::microseconds>::value,
    "get_grpc_timeout");

}  // namespace

// Calls that existing code writes, with literal arguments (overload resolution as in the peer).
// Explicitly instantiated (so compiled) but never called; outside the unnamed namespace so that
// an unused instantiation is no warning.
namespace headers_test {

using etcd::Client;
using etcd::SyncClient;
using Task = pplx::task<etcd::Response>;

template <class C>
auto literal_calls(C& c)
    -> decltype(c.lock("name"), c.lock("name", 5), c.lock_with_lease("n", 7),
                c.campaign("e", 7, "v"), c.proclaim("e", 7, "k", 9, "v"), c.resign("e", 7, "k", 9),
                c.add_member("http://a:1", true), c.remove_member(5), void()) {}
template void literal_calls<SyncClient>(SyncClient&);
template void literal_calls<Client>(Client&);
static_assert(std::is_same<decltype(std::declval<Client&>().lock("name", true)), Task>::value,
              "lock(name, sync)");

}  // namespace headers_test

namespace {

// ------------------------------------------------------------------------------------------------
// Transaction.
// ------------------------------------------------------------------------------------------------

static_assert(std::is_copy_constructible<etcdv3::Transaction>::value &&
                  std::is_copy_assignable<etcdv3::Transaction>::value &&
                  std::is_nothrow_move_constructible<etcdv3::Transaction>::value &&
                  std::is_nothrow_move_assignable<etcdv3::Transaction>::value,
              "Transaction is a value");
static_assert(static_cast<int>(etcdv3::CompareResult::EQUAL) == 0 &&
                  static_cast<int>(etcdv3::CompareResult::GREATER) == 1 &&
                  static_cast<int>(etcdv3::CompareResult::LESS) == 2 &&
                  static_cast<int>(etcdv3::CompareResult::NOT_EQUAL) == 3,
              "CompareResult values");
static_assert(static_cast<int>(etcdv3::CompareTarget::VERSION) == 0 &&
                  static_cast<int>(etcdv3::CompareTarget::CREATE) == 1 &&
                  static_cast<int>(etcdv3::CompareTarget::MOD) == 2 &&
                  static_cast<int>(etcdv3::CompareTarget::VALUE) == 3 &&
                  static_cast<int>(etcdv3::CompareTarget::LEASE) == 4,
              "CompareTarget values");

}  // namespace

namespace headers_test {

template <class T>
auto txn_calls(T& t)
    -> decltype(t.setup_compare_and_swap("k", "old", "new"),
                t.setup_compare_and_swap("k", int64_t(5), "new", 7),
                t.setup_compare_and_create("k", "old", "c", "v"),
                t.setup_compare_or_create("k", int64_t(5), "c", "v", 7),
                t.setup_compare_or_swap("k", "old", "new"),
                t.setup_compare_and_delete("k", "old", "d"),
                t.setup_compare_or_delete("k", int64_t(5), "d", "e", true), t.setup_put("k", "v"),
                t.setup_delete("k"), t.setup_delete("k", "e", true), t.add_compare_version("k", 1),
                t.add_compare_mod("k", etcdv3::CompareResult::LESS, 3, "e"),
                t.add_success_range("k", "", true, 10), t.add_failure_delete("k", "e", false, true),
                t.add_success_txn(std::make_shared<T>()), void()) {}
template void txn_calls<etcdv3::Transaction>(etcdv3::Transaction&);

}  // namespace headers_test

namespace {

// ------------------------------------------------------------------------------------------------
// Runtime checks.
// ------------------------------------------------------------------------------------------------

TEST(HeadersTest, ClientOptionsDefaults) {
  etcd::ClientOptions o;
  EXPECT_EQ(0, o.keepalive_time.count());
  EXPECT_EQ(0, o.keepalive_timeout.count());
  EXPECT_EQ(0, o.connect_timeout.count());
  EXPECT_EQ(0, o.request_timeout.count());
  EXPECT_EQ(0, o.max_send_message_size);
  EXPECT_EQ(0, o.max_receive_message_size);
  EXPECT_EQ("round_robin", o.load_balancer);
  EXPECT_EQ(300, o.auth_token_ttl);
  EXPECT_EQ(0, o.auto_sync_interval.count());
  EXPECT_FALSE(o.uses_tls());
  EXPECT_TRUE(o.user.empty() && o.password.empty());
  o.ca = "ca.pem";
  EXPECT_TRUE(o.uses_tls());
  etcd::ClientOptions t;
  t.with_tls("").with_user("u", "p", 60);
  EXPECT_TRUE(t.uses_tls());
  EXPECT_EQ("u", t.user);
  EXPECT_EQ(60, t.auth_token_ttl);
}

TEST(HeadersTest, Constants) {
  EXPECT_STREQ("preclaim", etcdv3::PROCLAIM_ACTION);
  EXPECT_STREQ("obverse", etcdv3::OBSERVE_ACTION);
  EXPECT_STREQ("campaign", etcdv3::CAMPAIGN_ACTION);
  EXPECT_STREQ("leader", etcdv3::LEADER_ACTION);
  EXPECT_STREQ("resign", etcdv3::RESIGN_ACTION);
  EXPECT_STREQ("lock", etcdv3::LOCK_ACTION);
  EXPECT_STREQ("unlock", etcdv3::UNLOCK_ACTION);
  EXPECT_STREQ("txn", etcdv3::TXN_ACTION);
  EXPECT_STREQ("addmember", etcdv3::ADDMEMBER);
  EXPECT_STREQ("listmember", etcdv3::LISTMEMBER);
  EXPECT_STREQ("removemember", etcdv3::REMOVEMEMBER);
  EXPECT_EQ(4, etcdv3::ERROR_GRPC_DEADLINE_EXCEEDED);
  EXPECT_EQ(101, etcd::ERROR_COMPARE_FAILED);
}

TEST(HeadersTest, ClientWrapsSyncClient) {
  // Construction does not connect; nothing listens on port 1.
  etcd::SyncClient sync("http://127.0.0.1:1");
  etcd::Client wrapping(&sync);
  EXPECT_EQ(&sync, wrapping.sync_client());
  std::unique_ptr<etcd::Client> factory(etcd::Client::WithClient(&sync));
  EXPECT_EQ(&sync, factory->sync_client());
  etcd::Client copy = wrapping;
  EXPECT_EQ(&sync, copy.sync_client());
  etcd::Client owning("http://127.0.0.1:1");
  EXPECT_NE(nullptr, owning.sync_client());
  EXPECT_EQ("", owning.current_auth_token());
}

TEST(HeadersTest, TransactionCopiesAndNoObserverNeeded) {
  etcdv3::Transaction a;
  a.add_success_put("k", "v");
  etcdv3::Transaction b(a);
  etcdv3::Transaction c(std::move(b));
  b = c;
  etcdv3::Transaction::Value value;
  value.value = "x";
  a.add_compare("k", etcdv3::CompareTarget::VALUE, etcdv3::CompareResult::EQUAL, value);
  SUCCEED();
}

TEST(HeadersTest, MemberAccessors) {
  etcdv3::Member m;
  EXPECT_EQ(0u, m.get_id());
  EXPECT_FALSE(m.get_learner());
  m.set_id(7);
  m.set_name("n");
  m.set_peerURLs({"http://a:1"});
  m.set_clientURLs({"http://a:2"});
  m.set_learner(true);
  EXPECT_EQ(7u, m.get_id());
  EXPECT_EQ("n", m.get_name());
  EXPECT_EQ(1u, m.get_peerURLs().size());
  EXPECT_EQ("http://a:2", m.get_clientURLs()[0]);
  EXPECT_TRUE(m.get_learner());
  etcd::Response empty;
  EXPECT_TRUE(empty.members().empty());
  EXPECT_EQ("", empty.lock_key());
  EXPECT_FALSE(empty.is_grpc_timeout());
}

// The member pointers above are only for their types; using them keeps -Wunused quiet.
TEST(HeadersTest, SignaturesBind) {
  EXPECT_NE(nullptr, sync_lock);
  EXPECT_NE(nullptr, sync_lock_ttl);
  EXPECT_NE(nullptr, sync_lock_with_lease);
  EXPECT_NE(nullptr, sync_unlock);
  EXPECT_NE(nullptr, sync_txn);
  EXPECT_NE(nullptr, sync_campaign);
  EXPECT_NE(nullptr, sync_proclaim);
  EXPECT_NE(nullptr, sync_leader);
  EXPECT_NE(nullptr, sync_resign);
  EXPECT_NE(nullptr, sync_observe);
  EXPECT_NE(nullptr, sync_add_member);
  EXPECT_NE(nullptr, sync_list_member);
  EXPECT_NE(nullptr, sync_remove_member);
  EXPECT_NE(nullptr, sync_sync_endpoints);
  EXPECT_NE(nullptr, sync_endpoints);
  EXPECT_NE(nullptr, sync_token);
  EXPECT_NE(nullptr, observer_wait_once);
  EXPECT_NE(nullptr, client_lock);
  EXPECT_NE(nullptr, client_lock_sync);
  EXPECT_NE(nullptr, client_lock_ttl);
  EXPECT_NE(nullptr, client_lock_ttl_sync);
  EXPECT_NE(nullptr, client_lock_with_lease);
  EXPECT_NE(nullptr, client_lock_with_lease_sync);
  EXPECT_NE(nullptr, client_unlock);
  EXPECT_NE(nullptr, client_txn);
  EXPECT_NE(nullptr, client_campaign);
  EXPECT_NE(nullptr, client_proclaim);
  EXPECT_NE(nullptr, client_leader);
  EXPECT_NE(nullptr, client_resign);
  EXPECT_NE(nullptr, client_observe);
  EXPECT_NE(nullptr, client_add_member);
  EXPECT_NE(nullptr, client_list_member);
  EXPECT_NE(nullptr, client_remove_member);
  EXPECT_NE(nullptr, client_sync_endpoints);
  EXPECT_NE(nullptr, client_endpoints);
  EXPECT_NE(nullptr, client_sync_client);
  EXPECT_NE(nullptr, client_token);
  EXPECT_NE(nullptr, response_lock_key);
  EXPECT_NE(nullptr, response_members);
}

}  // namespace
