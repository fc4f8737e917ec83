// etcd::SyncClient and etcd::Client: every operation the two share, run against a real etcd
// through both APIs (tests/cpp/ClientSuite.hpp), checking the response fields, action names and
// error codes/messages of etcd-cpp-apiv3. Each test runs as ClientApi/0.<Test> (SyncApi) and
// ClientApi/1.<Test> (AsyncApi).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ClientSuite.hpp"
#include "EtcdHarness.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/v3/action_constants.hpp"

namespace etcdtest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kKeyNotFound = "etcd-cpp-apiv3: key not found";
const std::string kCompareFailed = "etcd-cpp-apiv3: compare failed";
const std::string kKeyExists = "etcd-cpp-apiv3: key already exists";
const std::string kLeaseNotFound = "etcdserver: requested lease not found";
const std::string kInvalidTarget = "the target uri is not valid";
const std::string kFutureRevision = "etcdserver: mvcc: required revision is a future revision";
const std::string kCompactedRevision = "etcdserver: mvcc: required revision has been compacted";
const std::string kWatchCompacted = "required revision has been compacted";

// A lease id that the server has never granted.
const int64_t kUnknownLease = 0x5eadbeef1234;

TYPED_TEST_SUITE(ClientApi, Apis);

void expect_empty_value(const etcd::Value& v) {
  EXPECT_EQ("", v.key());
  EXPECT_EQ("", v.as_string());
  EXPECT_EQ(0, v.created_index());
  EXPECT_EQ(0, v.modified_index());
  EXPECT_EQ(0, v.version());
  EXPECT_EQ(0, v.lease());
}

TYPED_TEST(ClientApi, Head) {
  etcd::Response r = this->client_.head();
  ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_EQ(0, r.error_code());
  EXPECT_EQ("", r.error_message());
  EXPECT_EQ("get", r.action());
  EXPECT_GT(r.index(), 0);
  EXPECT_NE(0u, r.cluster_id());
  EXPECT_NE(0u, r.member_id());
  EXPECT_GE(r.raft_term(), 1u);

  int64_t rev = this->put(this->p_ + "k", "v");
  etcd::Response after = this->client_.head();
  ASSERT_TRUE(after.is_ok());
  EXPECT_GE(after.index(), rev);
  EXPECT_EQ(r.cluster_id(), after.cluster_id());
}

TYPED_TEST(ClientApi, GetExisting) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "value");
  etcd::Response r = this->client_.get(key);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("get", r.action());
  EXPECT_EQ("", r.error_message());
  EXPECT_GE(r.index(), rev);
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("value", r.value().as_string());
  EXPECT_FALSE(r.value().is_dir());
  EXPECT_EQ(rev, r.value().created_index());
  EXPECT_EQ(rev, r.value().modified_index());
  EXPECT_EQ(1, r.value().version());
  EXPECT_EQ(0, r.value().lease());
  EXPECT_EQ(0, r.value().ttl());
  EXPECT_TRUE(r.values().empty());
  EXPECT_TRUE(r.keys().empty());
  EXPECT_EQ(-1, r.compact_revision());
  EXPECT_EQ(-1, r.watch_id());
  EXPECT_FALSE(r.is_network_unavailable());
  EXPECT_FALSE(r.is_grpc_timeout());

  this->put(key, "value2");
  etcd::Response r2 = this->client_.get(key);
  ASSERT_TRUE(r2.is_ok());
  EXPECT_EQ("value2", r2.value().as_string());
  EXPECT_EQ(rev, r2.value().created_index());
  EXPECT_GT(r2.value().modified_index(), rev);
  EXPECT_EQ(2, r2.value().version());
}

TYPED_TEST(ClientApi, GetMissing) {
  etcd::Response r = this->client_.get(this->p_ + "missing");
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ(100, r.error_code());
  EXPECT_EQ(etcd::ERROR_KEY_NOT_FOUND, r.error_code());
  EXPECT_EQ(kKeyNotFound, r.error_message());
  EXPECT_EQ("get", r.action());
  EXPECT_GT(r.index(), 0);
  expect_empty_value(r.value());
  EXPECT_TRUE(r.values().empty());
}

TYPED_TEST(ClientApi, GetAtRevision) {
  const std::string key = this->p_ + "key";
  int64_t r1 = this->put(key, "v1");
  int64_t r2 = this->put(key, "v2");
  etcd::Response a = this->client_.get(key, r1);
  ASSERT_TRUE(a.is_ok()) << a.error_message();
  EXPECT_EQ("get", a.action());
  EXPECT_EQ("v1", a.value().as_string());
  EXPECT_EQ(r1, a.value().modified_index());
  etcd::Response b = this->client_.get(key, r2);
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ("v2", b.value().as_string());
  // Before the key existed.
  etcd::Response c = this->client_.get(key, r1 - 1);
  EXPECT_EQ(100, c.error_code());
  EXPECT_EQ(kKeyNotFound, c.error_message());
}

TYPED_TEST(ClientApi, GetFutureRevision) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "v");
  etcd::Response r = this->client_.get(key, rev + 1000);
  EXPECT_EQ(11, r.error_code());
  EXPECT_EQ(etcdv3::ERROR_GRPC_OUT_OF_RANGE, r.error_code());
  EXPECT_EQ(kFutureRevision, r.error_message());
}

TYPED_TEST(ClientApi, GetCompactedRevision) {
  const std::string key = this->p_ + "key";
  int64_t r1 = this->put(key, "v1");
  this->put(key, "v2");
  int64_t r3 = this->put(key, "v3");
  ASSERT_TRUE(this->etcd_.compact(r3));
  etcd::Response r = this->client_.get(key, r1);
  EXPECT_EQ(11, r.error_code());
  EXPECT_EQ(kCompactedRevision, r.error_message());
  etcd::Response now = this->client_.get(key, r3);
  ASSERT_TRUE(now.is_ok()) << now.error_message();
  EXPECT_EQ("v3", now.value().as_string());
}

TYPED_TEST(ClientApi, SetNewAndOverwrite) {
  const std::string key = this->p_ + "key";
  etcd::Response r1 = this->client_.set(key, "a");
  ASSERT_TRUE(r1.is_ok()) << r1.error_message();
  EXPECT_EQ("set", r1.action());
  EXPECT_EQ("", r1.error_message());
  EXPECT_GT(r1.index(), 0);
  expect_empty_value(r1.prev_value());

  etcd::Response r2 = this->client_.set(key, "b");
  ASSERT_TRUE(r2.is_ok());
  EXPECT_EQ("set", r2.action());
  EXPECT_EQ(r1.index() + 1, r2.index());
  EXPECT_EQ(key, r2.prev_value().key());
  EXPECT_EQ("a", r2.prev_value().as_string());
  EXPECT_EQ(r1.index(), r2.prev_value().modified_index());
  EXPECT_EQ(1, r2.prev_value().version());

  etcd::Response g = this->client_.get(key);
  ASSERT_TRUE(g.is_ok());
  EXPECT_EQ("b", g.value().as_string());
  EXPECT_EQ(r2.index(), g.value().modified_index());
}

// etcd-cpp-apiv3 reports the previous pair only; value() of a set/put is an empty Value.
TYPED_TEST(ClientApi, SetValueIsEmpty) {
  const std::string key = this->p_ + "key";
  etcd::Response r = this->client_.set(key, "a");
  ASSERT_TRUE(r.is_ok());
  expect_empty_value(r.value());
  etcd::Response r2 = this->client_.put(key, "b");
  ASSERT_TRUE(r2.is_ok());
  expect_empty_value(r2.value());
}

TYPED_TEST(ClientApi, PutActsAsSet) {
  const std::string key = this->p_ + "key";
  etcd::Response r1 = this->client_.put(key, "x");
  ASSERT_TRUE(r1.is_ok()) << r1.error_message();
  EXPECT_EQ("set", r1.action());
  EXPECT_EQ(std::string(etcdv3::PUT_ACTION), r1.action());
  expect_empty_value(r1.prev_value());
  etcd::Response r2 = this->client_.put(key, "y");
  ASSERT_TRUE(r2.is_ok());
  EXPECT_EQ("x", r2.prev_value().as_string());
  EXPECT_EQ("y", this->client_.get(key).value().as_string());
}

TYPED_TEST(ClientApi, SetAndPutWithLease) {
  etcd::Response grant = this->client_.leasegrant(60);
  ASSERT_TRUE(grant.is_ok()) << grant.error_message();
  const int64_t lease = grant.value().lease();
  ASSERT_NE(0, lease);

  etcd::Response s = this->client_.set(this->p_ + "set", "v", lease);
  ASSERT_TRUE(s.is_ok()) << s.error_message();
  etcd::Response p = this->client_.put(this->p_ + "put", "v", lease);
  ASSERT_TRUE(p.is_ok()) << p.error_message();
  etcd::Response a = this->client_.add(this->p_ + "add", "v", lease);
  ASSERT_TRUE(a.is_ok()) << a.error_message();
  EXPECT_EQ(lease, a.value().lease());
  this->client_.put(this->p_ + "mod", "v");
  etcd::Response m = this->client_.modify(this->p_ + "mod", "w", lease);
  ASSERT_TRUE(m.is_ok()) << m.error_message();
  EXPECT_EQ(lease, m.value().lease());
  etcd::Response mi = this->client_.modify_if(this->p_ + "mod", "x", "w", lease);
  ASSERT_TRUE(mi.is_ok()) << mi.error_message();
  EXPECT_EQ(lease, mi.value().lease());

  for (const char* k : {"set", "put", "add", "mod"}) {
    etcd::Response g = this->client_.get(this->p_ + k);
    ASSERT_TRUE(g.is_ok()) << k;
    EXPECT_EQ(lease, g.value().lease()) << k;
  }

  // Revoking the lease deletes every key attached to it.
  etcd::Response rv = this->client_.leaserevoke(lease);
  ASSERT_TRUE(rv.is_ok()) << rv.error_message();
  for (const char* k : {"set", "put", "add", "mod"}) {
    EXPECT_EQ(100, this->client_.get(this->p_ + k).error_code()) << k;
  }
}

TYPED_TEST(ClientApi, UnknownLeaseIsRejected) {
  etcd::Response s = this->client_.set(this->p_ + "k", "v", kUnknownLease);
  EXPECT_EQ(5, s.error_code());
  EXPECT_EQ(etcdv3::ERROR_GRPC_NOT_FOUND, s.error_code());
  EXPECT_EQ(kLeaseNotFound, s.error_message());
  etcd::Response p = this->client_.put(this->p_ + "k", "v", kUnknownLease);
  EXPECT_EQ(5, p.error_code());
  EXPECT_EQ(kLeaseNotFound, p.error_message());
  etcd::Response a = this->client_.add(this->p_ + "k", "v", kUnknownLease);
  EXPECT_EQ(5, a.error_code());
  EXPECT_EQ(kLeaseNotFound, a.error_message());
  this->put(this->p_ + "existing", "v");
  etcd::Response m = this->client_.modify(this->p_ + "existing", "w", kUnknownLease);
  EXPECT_EQ(5, m.error_code());
  EXPECT_EQ(kLeaseNotFound, m.error_message());
  EXPECT_EQ(100, this->client_.get(this->p_ + "k").error_code());
  EXPECT_EQ("v", this->client_.get(this->p_ + "existing").value().as_string());
}

TYPED_TEST(ClientApi, AddNew) {
  const std::string key = this->p_ + "key";
  etcd::Response r = this->client_.add(key, "v");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("create", r.action());
  EXPECT_EQ("", r.error_message());
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("v", r.value().as_string());
  EXPECT_EQ(1, r.value().version());
  EXPECT_EQ(r.index(), r.value().created_index());
  EXPECT_EQ(r.index(), r.value().modified_index());
  expect_empty_value(r.prev_value());
  EXPECT_EQ("v", this->client_.get(key).value().as_string());
}

TYPED_TEST(ClientApi, AddExisting) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "old");
  etcd::Response r = this->client_.add(key, "new");
  EXPECT_EQ(105, r.error_code());
  EXPECT_EQ(etcd::ERROR_KEY_ALREADY_EXISTS, r.error_code());
  EXPECT_EQ(kKeyExists, r.error_message());
  // value() holds the existing pair.
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("old", r.value().as_string());
  EXPECT_EQ(rev, r.value().modified_index());
  EXPECT_EQ("old", this->client_.get(key).value().as_string());
}

TYPED_TEST(ClientApi, Modify) {
  const std::string key = this->p_ + "key";
  this->put(key, "a");
  etcd::Response r = this->client_.modify(key, "b");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("update", r.action());
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("b", r.value().as_string());
  EXPECT_EQ(2, r.value().version());
  EXPECT_EQ(r.index(), r.value().modified_index());
  EXPECT_EQ(key, r.prev_value().key());
  EXPECT_EQ("a", r.prev_value().as_string());
  EXPECT_EQ(1, r.prev_value().version());
  EXPECT_EQ("b", this->client_.get(key).value().as_string());
}

TYPED_TEST(ClientApi, ModifyMissing) {
  etcd::Response r = this->client_.modify(this->p_ + "missing", "b");
  EXPECT_EQ(100, r.error_code());
  EXPECT_EQ(kKeyNotFound, r.error_message());
  EXPECT_EQ("update", r.action());  // the peer leaves it "" (README, Differences)
  EXPECT_EQ(0, r.index());
  EXPECT_EQ(100, this->client_.get(this->p_ + "missing").error_code());
}

TYPED_TEST(ClientApi, ModifyIfValue) {
  const std::string key = this->p_ + "key";
  this->put(key, "a");
  etcd::Response ok = this->client_.modify_if(key, "b", "a");
  ASSERT_TRUE(ok.is_ok()) << ok.error_message();
  EXPECT_EQ("compareAndSwap", ok.action());
  EXPECT_EQ(key, ok.value().key());
  EXPECT_EQ("b", ok.value().as_string());
  EXPECT_EQ(ok.index(), ok.value().modified_index());
  expect_empty_value(ok.prev_value());

  etcd::Response bad = this->client_.modify_if(key, "c", "a");
  EXPECT_EQ(101, bad.error_code());
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, bad.error_code());
  EXPECT_EQ(kCompareFailed, bad.error_message());
  EXPECT_EQ(key, bad.value().key());
  EXPECT_EQ("b", bad.value().as_string());
  EXPECT_EQ("b", this->client_.get(key).value().as_string());

  etcd::Response missing = this->client_.modify_if(this->p_ + "missing", "x", "y");
  EXPECT_EQ(101, missing.error_code());
  EXPECT_EQ(kCompareFailed, missing.error_message());
  EXPECT_EQ("", missing.value().key());
  EXPECT_EQ(100, this->client_.get(this->p_ + "missing").error_code());
}

TYPED_TEST(ClientApi, ModifyIfIndex) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "a");
  etcd::Response ok = this->client_.modify_if(key, "b", rev);
  ASSERT_TRUE(ok.is_ok()) << ok.error_message();
  EXPECT_EQ("compareAndSwap", ok.action());
  EXPECT_EQ("b", ok.value().as_string());
  EXPECT_GT(ok.value().modified_index(), rev);

  etcd::Response bad = this->client_.modify_if(key, "c", rev);
  EXPECT_EQ(101, bad.error_code());
  EXPECT_EQ(kCompareFailed, bad.error_message());
  EXPECT_EQ("b", bad.value().as_string());
  EXPECT_EQ(ok.value().modified_index(), bad.value().modified_index());
  EXPECT_EQ("b", this->client_.get(key).value().as_string());
}

TYPED_TEST(ClientApi, Rm) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "v");
  etcd::Response r = this->client_.rm(key);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("delete", r.action());
  EXPECT_GT(r.index(), rev);
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("v", r.value().as_string());
  EXPECT_EQ(rev, r.value().modified_index());
  EXPECT_EQ(key, r.prev_value().key());
  EXPECT_EQ("v", r.prev_value().as_string());
  ASSERT_EQ(1u, r.values().size());
  EXPECT_EQ("v", r.values()[0].as_string());
  ASSERT_EQ(1u, r.keys().size());
  EXPECT_EQ(key, r.keys()[0]);
  EXPECT_EQ(100, this->client_.get(key).error_code());
}

TYPED_TEST(ClientApi, RmMissing) {
  etcd::Response r = this->client_.rm(this->p_ + "missing");
  EXPECT_EQ(100, r.error_code());
  EXPECT_EQ(kKeyNotFound, r.error_message());
  EXPECT_GT(r.index(), 0);
}

TYPED_TEST(ClientApi, RmIfValue) {
  const std::string key = this->p_ + "key";
  this->put(key, "v");
  etcd::Response bad = this->client_.rm_if(key, "other");
  EXPECT_EQ(101, bad.error_code());
  EXPECT_EQ(kCompareFailed, bad.error_message());
  EXPECT_EQ("v", bad.value().as_string());
  EXPECT_TRUE(this->client_.get(key).is_ok());

  etcd::Response ok = this->client_.rm_if(key, "v");
  ASSERT_TRUE(ok.is_ok()) << ok.error_message();
  EXPECT_EQ("compareAndDelete", ok.action());
  EXPECT_EQ(key, ok.value().key());
  EXPECT_EQ("v", ok.value().as_string());
  EXPECT_EQ("v", ok.prev_value().as_string());
  EXPECT_EQ(100, this->client_.get(key).error_code());

  etcd::Response missing = this->client_.rm_if(key, "v");
  EXPECT_EQ(101, missing.error_code());
  EXPECT_EQ(kCompareFailed, missing.error_message());
}

TYPED_TEST(ClientApi, RmIfIndex) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "v");
  etcd::Response bad = this->client_.rm_if(key, rev - 1);
  EXPECT_EQ(101, bad.error_code());
  EXPECT_EQ(kCompareFailed, bad.error_message());
  EXPECT_EQ("v", bad.value().as_string());

  etcd::Response ok = this->client_.rm_if(key, rev);
  ASSERT_TRUE(ok.is_ok()) << ok.error_message();
  EXPECT_EQ("compareAndDelete", ok.action());
  EXPECT_EQ("v", ok.value().as_string());
  EXPECT_EQ("v", ok.prev_value().as_string());
  EXPECT_EQ(100, this->client_.get(key).error_code());

  // A missing key has mod revision 0: comparing against 0 succeeds and deletes nothing.
  etcd::Response zero = this->client_.rm_if(this->p_ + "missing", int64_t(0));
  EXPECT_TRUE(zero.is_ok()) << zero.error_code() << " " << zero.error_message();
  EXPECT_EQ(0, zero.error_code());
  etcd::Response nonzero = this->client_.rm_if(this->p_ + "missing", int64_t(5));
  EXPECT_EQ(101, nonzero.error_code());
}

TYPED_TEST(ClientApi, RmdirExactKeyOnly) {
  this->put(this->p_ + "dir", "self");
  this->put(this->p_ + "dir/a", "a");
  etcd::Response r = this->client_.rmdir(this->p_ + "dir");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("delete", r.action());
  ASSERT_EQ(1u, r.values().size());
  EXPECT_EQ(this->p_ + "dir", r.keys()[0]);
  EXPECT_EQ("self", r.value().as_string());
  EXPECT_EQ(100, this->client_.get(this->p_ + "dir").error_code());
  EXPECT_TRUE(this->client_.get(this->p_ + "dir/a").is_ok());

  etcd::Response again = this->client_.rmdir(this->p_ + "dir", false);
  EXPECT_EQ(100, again.error_code());
  EXPECT_EQ(kKeyNotFound, again.error_message());
}

TYPED_TEST(ClientApi, RmdirRecursive) {
  const std::string dir = this->p_ + "dir/";
  this->put(dir + "b", "2");
  this->put(dir + "a", "1");
  this->put(dir + "c/d", "3");
  this->put(this->p_ + "dir-sibling", "x");
  etcd::Response r = this->client_.rmdir(dir, true);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("delete", r.action());
  ASSERT_EQ(3u, r.values().size());
  ASSERT_EQ(3u, r.keys().size());
  EXPECT_EQ(dir + "a", r.keys()[0]);
  EXPECT_EQ(dir + "b", r.keys()[1]);
  EXPECT_EQ(dir + "c/d", r.keys()[2]);
  EXPECT_EQ(dir + "b", r.key(1));
  EXPECT_EQ("1", r.values()[0].as_string());
  EXPECT_EQ("2", r.value(1).as_string());
  EXPECT_EQ("3", r.values()[2].as_string());
  EXPECT_EQ(dir + "a", r.value().key());
  EXPECT_EQ("1", r.value().as_string());
  EXPECT_TRUE(this->client_.ls(dir).values().empty());
  EXPECT_TRUE(this->client_.get(this->p_ + "dir-sibling").is_ok());

  etcd::Response again = this->client_.rmdir(dir, true);
  EXPECT_EQ(100, again.error_code());
  EXPECT_EQ(kKeyNotFound, again.error_message());
}

TYPED_TEST(ClientApi, RmdirRange) {
  for (const char* k : {"a", "b", "c", "d", "e", "f"}) {
    this->put(this->p_ + k, k);
  }
  const std::string end_d = this->p_ + "d";
  // const char* range end (must not bind to the bool overload).
  etcd::Response r = this->client_.rmdir(this->p_ + "b", end_d.c_str());
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("delete", r.action());
  ASSERT_EQ(2u, r.keys().size());
  EXPECT_EQ(this->p_ + "b", r.keys()[0]);
  EXPECT_EQ(this->p_ + "c", r.keys()[1]);
  EXPECT_EQ("b", r.value().as_string());

  // std::string range end.
  etcd::Response r2 = this->client_.rmdir(this->p_ + "d", std::string(this->p_ + "f"));
  ASSERT_TRUE(r2.is_ok()) << r2.error_message();
  ASSERT_EQ(2u, r2.keys().size());
  EXPECT_EQ(this->p_ + "d", r2.keys()[0]);
  EXPECT_EQ(this->p_ + "e", r2.keys()[1]);

  etcd::Response left = this->client_.ls(this->p_);
  ASSERT_EQ(2u, left.keys().size());
  EXPECT_EQ(this->p_ + "a", left.keys()[0]);
  EXPECT_EQ(this->p_ + "f", left.keys()[1]);

  etcd::Response none = this->client_.rmdir(this->p_ + "b", std::string(this->p_ + "d"));
  EXPECT_EQ(100, none.error_code());
  EXPECT_EQ(kKeyNotFound, none.error_message());
}

TYPED_TEST(ClientApi, LsPrefix) {
  const std::string dir = this->p_ + "dir/";
  int64_t ra = this->put(dir + "a", "1");
  int64_t rb = this->put(dir + "b", "2");
  this->put(dir + "c", "3");
  this->put(this->p_ + "dir-sibling", "x");

  etcd::Response r = this->client_.ls(dir);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("get", r.action());
  ASSERT_EQ(3u, r.values().size());
  ASSERT_EQ(3u, r.keys().size());
  EXPECT_EQ(dir + "a", r.keys()[0]);
  EXPECT_EQ(dir + "b", r.keys()[1]);
  EXPECT_EQ(dir + "c", r.keys()[2]);
  EXPECT_EQ(dir + "c", r.key(2));
  EXPECT_EQ("1", r.values()[0].as_string());
  EXPECT_EQ("2", r.values()[1].as_string());
  EXPECT_EQ("3", r.value(2).as_string());
  EXPECT_EQ(dir + "b", r.values()[1].key());
  EXPECT_EQ(ra, r.values()[0].modified_index());
  EXPECT_EQ(dir + "a", r.value().key());
  EXPECT_EQ("1", r.value().as_string());

  etcd::Response limited = this->client_.ls(dir, size_t(2));
  ASSERT_TRUE(limited.is_ok());
  ASSERT_EQ(2u, limited.keys().size());
  EXPECT_EQ(dir + "a", limited.keys()[0]);
  EXPECT_EQ(dir + "b", limited.keys()[1]);

  etcd::Response unlimited = this->client_.ls(dir, size_t(0));
  EXPECT_EQ(3u, unlimited.keys().size());

  etcd::Response past = this->client_.ls(dir, size_t(0), rb);
  ASSERT_TRUE(past.is_ok()) << past.error_message();
  ASSERT_EQ(2u, past.keys().size());
  EXPECT_EQ(dir + "b", past.keys()[1]);

  etcd::Response past_limited = this->client_.ls(dir, size_t(1), rb);
  ASSERT_EQ(1u, past_limited.keys().size());
  EXPECT_EQ(dir + "a", past_limited.keys()[0]);

  // Raw byte prefix: "<p>dir" also matches "<p>dir-sibling".
  etcd::Response raw = this->client_.ls(this->p_ + "dir");
  EXPECT_EQ(4u, raw.keys().size());
}

TYPED_TEST(ClientApi, LsMissingPrefixIsOkAndEmpty) {
  etcd::Response r = this->client_.ls(this->p_ + "nothing/");
  EXPECT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_EQ(0, r.error_code());
  EXPECT_EQ("get", r.action());
  EXPECT_TRUE(r.values().empty());
  EXPECT_TRUE(r.keys().empty());
  etcd::Response k = this->client_.keys(this->p_ + "nothing/");
  EXPECT_TRUE(k.is_ok());
  EXPECT_TRUE(k.keys().empty());
}

TYPED_TEST(ClientApi, LsRange) {
  this->put(this->p_ + "a", "1");
  int64_t rb = this->put(this->p_ + "b", "2");
  this->put(this->p_ + "c", "3");
  this->put(this->p_ + "d", "4");

  etcd::Response r = this->client_.ls(this->p_ + "a", this->p_ + "c");
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("get", r.action());
  ASSERT_EQ(2u, r.keys().size());
  EXPECT_EQ(this->p_ + "a", r.keys()[0]);
  EXPECT_EQ(this->p_ + "b", r.keys()[1]);
  EXPECT_EQ("2", r.values()[1].as_string());

  etcd::Response limited = this->client_.ls(this->p_ + "a", this->p_ + "d", size_t(1));
  ASSERT_EQ(1u, limited.keys().size());
  EXPECT_EQ(this->p_ + "a", limited.keys()[0]);

  etcd::Response past = this->client_.ls(this->p_ + "a", this->p_ + "z", size_t(0), rb);
  ASSERT_TRUE(past.is_ok()) << past.error_message();
  ASSERT_EQ(2u, past.keys().size());
  EXPECT_EQ(this->p_ + "b", past.keys()[1]);

  etcd::Response empty = this->client_.ls(this->p_ + "x", this->p_ + "y");
  EXPECT_TRUE(empty.is_ok());
  EXPECT_TRUE(empty.keys().empty());
}

TYPED_TEST(ClientApi, KeysOnly) {
  const std::string dir = this->p_ + "dir/";
  int64_t ra = this->put(dir + "a", "1");
  int64_t rb = this->put(dir + "b", "2");
  this->put(dir + "c", "3");

  etcd::Response r = this->client_.keys(dir);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("get", r.action());
  ASSERT_EQ(3u, r.keys().size());
  ASSERT_EQ(3u, r.values().size());
  EXPECT_EQ(dir + "a", r.keys()[0]);
  EXPECT_EQ(dir + "c", r.keys()[2]);
  for (size_t i = 0; i < r.values().size(); ++i) {
    EXPECT_EQ(r.keys()[i], r.values()[i].key());
    EXPECT_EQ("", r.values()[i].as_string());
    EXPECT_GT(r.values()[i].modified_index(), 0);
  }
  EXPECT_EQ(ra, r.values()[0].created_index());

  EXPECT_EQ(2u, this->client_.keys(dir, size_t(2)).keys().size());
  etcd::Response past = this->client_.keys(dir, size_t(0), rb);
  ASSERT_EQ(2u, past.keys().size());
  EXPECT_EQ(dir + "b", past.keys()[1]);

  etcd::Response range = this->client_.keys(dir + "b", dir + "d");
  ASSERT_EQ(2u, range.keys().size());
  EXPECT_EQ(dir + "b", range.keys()[0]);
  EXPECT_EQ("", range.values()[0].as_string());
  EXPECT_EQ(1u, this->client_.keys(dir + "a", dir + "d", size_t(1)).keys().size());
  etcd::Response range_past = this->client_.keys(dir + "a", dir + "d", size_t(0), rb);
  EXPECT_EQ(2u, range_past.keys().size());
}

TYPED_TEST(ClientApi, LeaseGrant) {
  etcd::Response r = this->client_.leasegrant(30);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("leasegrant", r.action());
  EXPECT_EQ("", r.error_message());
  EXPECT_NE(0, r.value().lease());
  EXPECT_EQ(30, r.value().ttl());
  EXPECT_GT(r.index(), 0);
  this->client_.leaserevoke(r.value().lease());
}

TYPED_TEST(ClientApi, LeaseRevoke) {
  const int64_t lease = this->client_.leasegrant(30).value().lease();
  ASSERT_NE(0, lease);
  etcd::Response r = this->client_.leaserevoke(lease);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("leaserevoke", r.action());
  etcd::Response again = this->client_.leaserevoke(lease);
  EXPECT_EQ(5, again.error_code());
  EXPECT_EQ(kLeaseNotFound, again.error_message());
  etcd::Response unknown = this->client_.leaserevoke(kUnknownLease);
  EXPECT_EQ(5, unknown.error_code());
  EXPECT_EQ(kLeaseNotFound, unknown.error_message());
}

TYPED_TEST(ClientApi, LeaseTimeToLive) {
  const int64_t lease = this->client_.leasegrant(30).value().lease();
  ASSERT_NE(0, lease);
  etcd::Response r = this->client_.leasetimetolive(lease);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("leasetimetolive", r.action());
  EXPECT_EQ(lease, r.value().lease());
  EXPECT_GE(r.value().ttl(), 25);
  EXPECT_LE(r.value().ttl(), 30);

  ASSERT_TRUE(this->client_.leaserevoke(lease).is_ok());
  etcd::Response revoked = this->client_.leasetimetolive(lease);
  EXPECT_TRUE(revoked.is_ok()) << revoked.error_message();
  EXPECT_EQ(-1, revoked.value().ttl());

  etcd::Response unknown = this->client_.leasetimetolive(kUnknownLease);
  EXPECT_TRUE(unknown.is_ok()) << unknown.error_message();
  EXPECT_EQ(-1, unknown.value().ttl());
}

TYPED_TEST(ClientApi, Leases) {
  const int64_t a = this->client_.leasegrant(30).value().lease();
  const int64_t b = this->client_.leasegrant(30).value().lease();
  etcd::Response r = this->client_.leases();
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("leaseleases", r.action());
  std::set<int64_t> ids(r.leases().begin(), r.leases().end());
  EXPECT_TRUE(ids.count(a));
  EXPECT_TRUE(ids.count(b));
  this->client_.leaserevoke(a);
  etcd::Response after = this->client_.leases();
  std::set<int64_t> ids2(after.leases().begin(), after.leases().end());
  EXPECT_FALSE(ids2.count(a));
  EXPECT_TRUE(ids2.count(b));
  this->client_.leaserevoke(b);
}

TYPED_TEST(ClientApi, LeaseKeepAlive) {
  std::shared_ptr<etcd::KeepAlive> ka = this->client_.leasekeepalive(5);
  ASSERT_NE(nullptr, ka);
  EXPECT_NE(0, ka->Lease());
  etcd::Response ttl = this->client_.leasetimetolive(ka->Lease());
  ASSERT_TRUE(ttl.is_ok());
  EXPECT_GT(ttl.value().ttl(), 0);
  EXPECT_NO_THROW(ka->Check());
  ASSERT_TRUE(this->client_.put(this->p_ + "k", "v", ka->Lease()).is_ok());
  ka->Cancel();
}

TYPED_TEST(ClientApi, WatchFromIndexCreate) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "v1");
  etcd::Response r = this->client_.watch(key, rev);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("create", r.action());
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("v1", r.value().as_string());
  EXPECT_EQ(rev, r.value().modified_index());
  EXPECT_EQ("", r.prev_value().key());
  EXPECT_GE(r.index(), rev);
  ASSERT_FALSE(r.events().empty());
  EXPECT_EQ(etcd::Event::EventType::PUT, r.events()[0].event_type());
  EXPECT_TRUE(r.events()[0].has_kv());
  EXPECT_FALSE(r.events()[0].has_prev_kv());
  EXPECT_EQ("v1", r.events()[0].kv().as_string());
}

TYPED_TEST(ClientApi, WatchFromIndexSet) {
  const std::string key = this->p_ + "key";
  this->put(key, "v1");
  int64_t rev = this->put(key, "v2");
  etcd::Response r = this->client_.watch(key, rev);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("set", r.action());
  EXPECT_EQ("v2", r.value().as_string());
  EXPECT_EQ("v1", r.prev_value().as_string());
  ASSERT_FALSE(r.events().empty());
  EXPECT_TRUE(r.events()[0].has_prev_kv());
  EXPECT_EQ("v1", r.events()[0].prev_kv().as_string());
}

TYPED_TEST(ClientApi, WatchFromIndexDelete) {
  const std::string key = this->p_ + "key";
  this->put(key, "v1");
  etcd::Response del = this->client_.rm(key);
  ASSERT_TRUE(del.is_ok());
  etcd::Response r = this->client_.watch(key, del.index());
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("delete", r.action());
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("", r.value().as_string());
  EXPECT_EQ(del.index(), r.value().modified_index());
  EXPECT_EQ("v1", r.prev_value().as_string());
  ASSERT_FALSE(r.events().empty());
  EXPECT_EQ(etcd::Event::EventType::DELETE_, r.events()[0].event_type());
  EXPECT_TRUE(r.events()[0].has_prev_kv());
  EXPECT_EQ("v1", r.events()[0].prev_kv().as_string());
}

TYPED_TEST(ClientApi, WatchFromIndexReturnsPastEventsInOrder) {
  const std::string key = this->p_ + "key";
  int64_t r1 = this->put(key, "v1");
  int64_t r2 = this->put(key, "v2");
  int64_t r3 = this->put(key, "v3");
  etcd::Response r = this->client_.watch(key, r1);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  ASSERT_GE(r.events().size(), 1u);
  EXPECT_EQ("v1", r.value().as_string());
  const std::vector<int64_t> revs = {r1, r2, r3};
  for (size_t i = 0; i < r.events().size() && i < 3; ++i) {
    EXPECT_EQ(revs[i], r.events()[i].kv().modified_index());
  }
}

TYPED_TEST(ClientApi, WatchFromNow) {
  const std::string key = this->p_ + "key";
  typename TestFixture::Client writer(this->etcd_.endpoint());
  int n = 0;
  Repeater putter([&] { writer.put(key, "v" + std::to_string(n++)); });
  etcd::Response r = this->client_.watch(key);
  putter.stop();
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(key, r.value().key());
  EXPECT_TRUE(r.action() == "create" || r.action() == "set") << r.action();
  EXPECT_EQ("v", r.value().as_string().substr(0, 1));
  EXPECT_FALSE(r.events().empty());
}

TYPED_TEST(ClientApi, WatchRecursive) {
  const std::string dir = this->p_ + "dir/";
  {
    typename TestFixture::Client writer(this->etcd_.endpoint());
    int n = 0;
    Repeater putter([&] { writer.put(dir + "x" + std::to_string(n++), "v"); });
    etcd::Response r = this->client_.watch(dir, true);
    putter.stop();
    ASSERT_TRUE(r.is_ok()) << r.error_message();
    EXPECT_EQ(dir, r.value().key().substr(0, dir.size()));
  }
  this->put(this->p_ + "dir-outside", "o");
  int64_t rev = this->put(dir + "y", "w");
  etcd::Response from = this->client_.watch(this->p_ + "dir/", rev - 1, true);
  ASSERT_TRUE(from.is_ok()) << from.error_message();
  EXPECT_EQ(dir + "y", from.value().key());
  EXPECT_EQ("w", from.value().as_string());
}

TYPED_TEST(ClientApi, WatchRange) {
  int64_t rz = this->put(this->p_ + "z", "outside");
  this->put(this->p_ + "b", "inside");
  etcd::Response r = this->client_.watch(this->p_ + "a", std::string(this->p_ + "c"), rz);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(this->p_ + "b", r.value().key());
  EXPECT_EQ("inside", r.value().as_string());

  typename TestFixture::Client writer(this->etcd_.endpoint());
  const std::string end = this->p_ + "c";
  Repeater putter([&] {
    writer.put(this->p_ + "d", "outside");
    writer.put(this->p_ + "a", "inside");
  });
  etcd::Response now = this->client_.watch(this->p_ + "a", end.c_str());
  putter.stop();
  ASSERT_TRUE(now.is_ok()) << now.error_message();
  EXPECT_EQ(this->p_ + "a", now.value().key());
  for (const etcd::Event& e : now.events()) {
    EXPECT_EQ(this->p_ + "a", e.kv().key());
  }

  Repeater putter2([&] { writer.put(this->p_ + "b", "again"); });
  etcd::Response now2 = this->client_.watch(this->p_ + "a", std::string(end));
  putter2.stop();
  ASSERT_TRUE(now2.is_ok()) << now2.error_message();
  EXPECT_EQ(this->p_ + "b", now2.value().key());
}

TYPED_TEST(ClientApi, WatchFutureRevisionReturnsAtOnce) {
  const std::string key = this->p_ + "key";
  int64_t rev = this->put(key, "v");
  etcd::Response r = this->client_.watch(key, rev + 1000);
  EXPECT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_TRUE(r.events().empty());
}

TYPED_TEST(ClientApi, WatchCompactedRevision) {
  const std::string key = this->p_ + "key";
  int64_t r1 = this->put(key, "v1");
  this->put(key, "v2");
  int64_t r3 = this->put(key, "v3");
  ASSERT_TRUE(this->etcd_.compact(r3));
  etcd::Response r = this->client_.watch(key, r1);
  EXPECT_EQ(11, r.error_code());
  EXPECT_EQ(kWatchCompacted, r.error_message());
  EXPECT_EQ(r3, r.compact_revision());
}

TYPED_TEST(ClientApi, BinaryKeysAndValues) {
  const std::string key = this->p_ + std::string("bin\0ary\xff", 8);
  const std::string value("va\0l\0ue\xfe", 8);
  etcd::Response s = this->client_.set(key, value);
  ASSERT_TRUE(s.is_ok()) << s.error_message();
  etcd::Response g = this->client_.get(key);
  ASSERT_TRUE(g.is_ok()) << g.error_message();
  EXPECT_EQ(key, g.value().key());
  EXPECT_EQ(key.size(), g.value().key().size());
  EXPECT_EQ(value, g.value().as_string());
  EXPECT_EQ(8u, g.value().as_string().size());

  // A key that differs only after the NUL is a different key.
  const std::string other = this->p_ + std::string("bin\0other", 9);
  ASSERT_TRUE(this->client_.set(other, "o").is_ok());
  EXPECT_EQ(value, this->client_.get(key).value().as_string());

  etcd::Response l = this->client_.ls(this->p_);
  ASSERT_EQ(2u, l.keys().size());
  EXPECT_EQ(key, l.keys()[0]);
  EXPECT_EQ(value, l.values()[0].as_string());
  EXPECT_EQ(other, l.keys()[1]);

  etcd::Response w = this->client_.watch(key, s.index());
  ASSERT_TRUE(w.is_ok());
  EXPECT_EQ(key, w.value().key());
  EXPECT_EQ(value, w.value().as_string());

  const std::string value2("\0\0", 2);
  etcd::Response cas = this->client_.modify_if(key, value2, value);
  ASSERT_TRUE(cas.is_ok()) << cas.error_message();
  EXPECT_EQ(value2, this->client_.get(key).value().as_string());

  etcd::Response rm = this->client_.rm(key);
  ASSERT_TRUE(rm.is_ok());
  EXPECT_EQ(value2, rm.prev_value().as_string());
  EXPECT_EQ(100, this->client_.get(key).error_code());
  EXPECT_TRUE(this->client_.get(other).is_ok());
}

// A const char* argument stops at its first NUL (std::string construction), as with the original.
TYPED_TEST(ClientApi, ConstCharValueStopsAtNul) {
  const std::string key = this->p_ + "key";
  ASSERT_TRUE(this->client_.set(key, "abc\0def").is_ok());
  EXPECT_EQ("abc", this->client_.get(key).value().as_string());
}

TYPED_TEST(ClientApi, EndpointFormats) {
  const std::string hp = this->etcd_.host_port(0);
  const int dead = detail::unused_port();
  const std::string dead_hp = "127.0.0.1:" + std::to_string(dead);
  const std::vector<std::string> forms = {
      "http://" + hp,
      hp,
      "http://" + hp + ",http://" + hp,
      "http://" + hp + ";" + hp,
      hp + ";http://" + hp + "," + hp,
      "http://" + hp + ";",
      "http://" + hp + ",",
      "http://" + dead_hp + ",http://" + hp,
      dead_hp + ";" + hp,
  };
  for (const std::string& ep : forms) {
    typename TestFixture::Client c(ep);
    const std::string key = this->p_ + "k";
    for (int i = 0; i < 5; ++i) {
      etcd::Response h = c.head();
      EXPECT_TRUE(h.is_ok()) << ep << ": " << h.error_code() << " " << h.error_message();
      etcd::Response s = c.put(key, ep);
      EXPECT_TRUE(s.is_ok()) << ep << ": " << s.error_code() << " " << s.error_message();
      etcd::Response g = c.get(key);
      EXPECT_TRUE(g.is_ok()) << ep << ": " << g.error_code() << " " << g.error_message();
      EXPECT_EQ(ep, g.value().as_string()) << ep;
    }
  }
}

// The scheme does not select TLS; the constructor does.
TYPED_TEST(ClientApi, EndpointSchemeIsIgnored) {
  typename TestFixture::Client c("https://" + this->etcd_.host_port(0));
  etcd::Response h = c.head();
  EXPECT_TRUE(h.is_ok()) << h.error_code() << " " << h.error_message();
}

TYPED_TEST(ClientApi, Ipv6Literal) {
  std::unique_ptr<EtcdCluster> etcd;
  try {
    etcd.reset(new EtcdCluster(1, true));
  } catch (const std::exception& e) {
    GTEST_SKIP() << "etcd cannot listen on [::1]: " << e.what();
  }
  const std::string port = std::to_string(etcd->member(0).client_port_v6);
  for (const std::string& ep : {"http://[::1]:" + port, "[::1]:" + port, "::1:" + port}) {
    typename TestFixture::Client c(ep);
    etcd::Response h = c.head();
    EXPECT_TRUE(h.is_ok()) << ep << ": " << h.error_code() << " " << h.error_message();
    etcd::Response s = c.put("/ipv6", ep);
    EXPECT_TRUE(s.is_ok()) << ep << ": " << s.error_message();
    etcd::Response g = c.get("/ipv6");
    EXPECT_EQ(ep, g.value().as_string()) << ep;
  }
}

TYPED_TEST(ClientApi, NothingResolvesGivesInvalidTarget) {
  const std::vector<std::string> bad = {"not-an-endpoint", "http://127.0.0.1", "127.0.0.1", ""};
  for (const std::string& ep : bad) {
    typename TestFixture::Client c(ep);
    std::vector<etcd::Response> rs;
    rs.push_back(c.head());
    rs.push_back(c.get("/k"));
    rs.push_back(c.get("/k", int64_t(1)));
    rs.push_back(c.set("/k", "v"));
    rs.push_back(c.put("/k", "v"));
    rs.push_back(c.add("/k", "v"));
    rs.push_back(c.modify("/k", "v"));
    rs.push_back(c.modify_if("/k", "v", "w"));
    rs.push_back(c.modify_if("/k", "v", int64_t(3)));
    rs.push_back(c.rm("/k"));
    rs.push_back(c.rm_if("/k", "v"));
    rs.push_back(c.rm_if("/k", int64_t(3)));
    rs.push_back(c.rmdir("/k", true));
    rs.push_back(c.ls("/k"));
    rs.push_back(c.keys("/k"));
    rs.push_back(c.leasegrant(10));
    rs.push_back(c.leaserevoke(1));
    rs.push_back(c.leasetimetolive(1));
    rs.push_back(c.leases());
    for (size_t i = 0; i < rs.size(); ++i) {
      EXPECT_EQ(13, rs[i].error_code()) << "endpoint '" << ep << "' call #" << i;
      EXPECT_EQ(kInvalidTarget, rs[i].error_message()) << "endpoint '" << ep << "' call #" << i;
    }
    // Still the same on a later call.
    EXPECT_EQ(13, c.head().error_code());
  }
}

TYPED_TEST(ClientApi, LoadBalancerArgumentAccepted) {
  for (const char* lb : {"round_robin", "pick_first", "unknown_policy"}) {
    typename TestFixture::Client c(this->etcd_.endpoint(), lb);
    etcd::Response r = c.put(this->p_ + lb, lb);
    EXPECT_TRUE(r.is_ok()) << lb << ": " << r.error_message();
    EXPECT_EQ(lb, c.get(this->p_ + lb).value().as_string());
  }
}

// SyncClient::WithUrl and Client::WithUrl.
TYPED_TEST(ClientApi, WithUrl) {
  using C = typename TypeParam::Client;
  std::unique_ptr<C> a(C::WithUrl(this->etcd_.endpoint()));
  ASSERT_NE(nullptr, a);
  EXPECT_TRUE(TypeParam::wait(a->head()).is_ok());
  std::unique_ptr<C> b(C::WithUrl(this->etcd_.endpoint(), "round_robin"));
  ASSERT_NE(nullptr, b);
  EXPECT_TRUE(TypeParam::wait(b->head()).is_ok());
}

TYPED_TEST(ClientApi, AuthTokenEmptyWithoutAuth) {
  EXPECT_EQ("", this->client_.current_auth_token());
}

TYPED_TEST(ClientApi, GrpcTimeoutSetting) {
  EXPECT_EQ(std::chrono::microseconds(0), this->client_.get_grpc_timeout());
  this->client_.set_grpc_timeout(std::chrono::seconds(5));
  EXPECT_EQ(std::chrono::microseconds(5000000), this->client_.get_grpc_timeout());
  this->client_.set_grpc_timeout(std::chrono::microseconds(1500));
  EXPECT_EQ(std::chrono::microseconds(1000), this->client_.get_grpc_timeout());
  this->client_.set_grpc_timeout(std::chrono::microseconds(500));
  EXPECT_EQ(std::chrono::microseconds(0), this->client_.get_grpc_timeout());
  this->client_.set_grpc_timeout(std::chrono::milliseconds(2000));
  EXPECT_EQ(std::chrono::microseconds(2000000), this->client_.get_grpc_timeout());
  EXPECT_TRUE(this->client_.head().is_ok());
}

TYPED_TEST(ClientApi, FrozenServerGivesGrpcTimeout) {
  EtcdCluster etcd(1);
  typename TestFixture::Client c(etcd.endpoint());
  ASSERT_TRUE(c.put("/k", "v").is_ok());
  c.set_grpc_timeout(std::chrono::milliseconds(300));
  etcd.pause(0);
  etcd::Response r;
  long long ms = elapsed_ms([&] { r = c.get("/k"); });
  EXPECT_EQ(4, r.error_code());
  EXPECT_TRUE(r.is_grpc_timeout());
  EXPECT_EQ("gRPC timeout", r.error_message());
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 3000);
  etcd.resume(0);
  ASSERT_TRUE(etcd.wait_healthy(0));
  EXPECT_TRUE(wait_until([&] { return c.get("/k").is_ok(); }, seconds(20)));
}

// An empty key with recursive=true (and ls("")) covers the whole keyspace; run on a private server.
TYPED_TEST(ClientApi, EmptyKeyMeansEverything) {
  EtcdCluster etcd(1);
  typename TestFixture::Client c(etcd.endpoint());
  for (const char* k : {"/a", "/b/c", "z", "\x7f"}) {
    ASSERT_TRUE(c.put(k, "v").is_ok());
  }
  etcd::Response all = c.ls("");
  ASSERT_TRUE(all.is_ok()) << all.error_message();
  ASSERT_EQ(4u, all.keys().size());
  EXPECT_EQ("/a", all.keys()[0]);
  EXPECT_EQ("\x7f", all.keys()[3]);
  EXPECT_EQ(4u, c.keys("").keys().size());
  etcd::Response del = c.rmdir("", true);
  ASSERT_TRUE(del.is_ok()) << del.error_message();
  EXPECT_EQ(4u, del.values().size());
  EXPECT_TRUE(c.ls("").keys().empty());
  EXPECT_EQ(100, c.rmdir("", true).error_code());
}

TYPED_TEST(ClientApi, DurationIsMeasured) {
  etcd::Response r = this->client_.put(this->p_ + "k", "v");
  ASSERT_TRUE(r.is_ok());
  EXPECT_GT(r.duration().count(), 0);
  EXPECT_LT(r.duration(), std::chrono::microseconds(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace etcdtest
