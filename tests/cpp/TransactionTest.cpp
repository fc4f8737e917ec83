// etcdv3::Transaction and txn(): every comparison target and result, every operation kind, the
// setup_* helpers (value and revision forms), nested transactions, the response shape, value
// semantics of copies, and many threads running transactions at once.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/v3/Transaction.hpp"

namespace {

using etcdv3::CompareResult;
using etcdv3::CompareTarget;
using etcdv3::Transaction;

class TransactionTest : public ::testing::Test {
 protected:
  TransactionTest()
      : etcd_(etcdtest::shared_etcd()),
        sync_(etcd_.endpoint()),
        client_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  std::string value_of(const std::string& key) { return sync_.get(key).value().as_string(); }
  bool exists(const std::string& key) { return sync_.get(key).is_ok(); }

  // Runs a transaction made of one comparison (success branch: put `key`="hit") and reports
  // whether the comparison held.
  bool holds(const std::function<void(Transaction&)>& add_compare) {
    Transaction txn;
    add_compare(txn);
    txn.add_success_put(p_ + "hit", "1");
    sync_.rm(p_ + "hit");
    etcd::Response r = sync_.txn(txn);
    EXPECT_TRUE(r.is_ok() || r.error_code() == etcd::ERROR_COMPARE_FAILED) << r.error_message();
    return r.is_ok();
  }

  etcdtest::EtcdCluster& etcd_;
  etcd::SyncClient sync_;
  etcd::Client client_;
  const std::string p_;
};

TEST_F(TransactionTest, CompareAndSwapByValue) {
  const std::string key = p_ + "k";
  ASSERT_TRUE(sync_.put(key, "1").is_ok());

  Transaction ok;
  ok.setup_compare_and_swap(key, "1", "2");
  etcd::Response r = sync_.txn(ok);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ(etcdv3::TXN_ACTION, r.action());
  EXPECT_GT(r.index(), 0);
  EXPECT_EQ("2", value_of(key));
  // The put asks for no previous value: etcd-cpp-apiv3 reports an empty one.
  EXPECT_EQ("", r.prev_value().key());

  // A failed swap reports 101 and the current value (the failure branch reads the key).
  Transaction stale;
  stale.setup_compare_and_swap(key, "1", "3");
  r = sync_.txn(stale);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("etcd-cpp-apiv3: compare failed", r.error_message());
  EXPECT_EQ(etcdv3::TXN_ACTION, r.action());
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("2", r.value().as_string());
  ASSERT_EQ(1u, r.values().size());
  EXPECT_EQ(key, r.key(0));
  EXPECT_EQ("2", value_of(key));

  // The same through the asynchronous client.
  r = client_.txn(stale).get();
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("2", r.value().as_string());
  Transaction next;
  next.setup_compare_and_swap(key, "2", "3");
  EXPECT_TRUE(client_.txn(next).get().is_ok());
  EXPECT_EQ("3", value_of(key));

  // or_swap swaps when the value differs.
  Transaction differ;
  differ.setup_compare_or_swap(key, "nope", "4");
  EXPECT_TRUE(sync_.txn(differ).is_ok());
  EXPECT_EQ("4", value_of(key));
  Transaction same;
  same.setup_compare_or_swap(key, "4", "5");
  r = sync_.txn(same);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("4", r.value().as_string());
}

TEST_F(TransactionTest, CompareAndSwapByRevision) {
  const std::string key = p_ + "k";
  etcd::Response put = sync_.put(key, "1");
  ASSERT_TRUE(put.is_ok());
  const int64_t rev = sync_.get(key).value().modified_index();

  Transaction ok;
  ok.setup_compare_and_swap(key, rev, "2");
  ASSERT_TRUE(sync_.txn(ok).is_ok());
  EXPECT_EQ("2", value_of(key));

  // The revision has moved on: the same transaction now fails and reports the current pair.
  etcd::Response r = sync_.txn(ok);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("2", r.value().as_string());
  EXPECT_GT(r.value().modified_index(), rev);

  Transaction or_swap;
  or_swap.setup_compare_or_swap(key, rev, "3");
  EXPECT_TRUE(sync_.txn(or_swap).is_ok());
  EXPECT_EQ("3", value_of(key));

  // Revision 0 means "the key does not exist".
  const std::string fresh = p_ + "fresh";
  Transaction create_if_absent;
  create_if_absent.setup_compare_and_swap(fresh, static_cast<int64_t>(0), "new");
  EXPECT_TRUE(sync_.txn(create_if_absent).is_ok());
  EXPECT_EQ("new", value_of(fresh));
  r = sync_.txn(create_if_absent);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("new", r.value().as_string());
}

TEST_F(TransactionTest, CompareAndCreate) {
  const std::string guard = p_ + "guard";
  const std::string target = p_ + "target";
  ASSERT_TRUE(sync_.put(guard, "open").is_ok());
  const int64_t lease = sync_.leasegrant(60).value().lease();
  ASSERT_NE(0, lease);

  Transaction create;
  create.setup_compare_and_create(guard, "open", target, "made", lease);
  ASSERT_TRUE(sync_.txn(create).is_ok());
  etcd::Response got = sync_.get(target);
  EXPECT_EQ("made", got.value().as_string());
  EXPECT_EQ(lease, got.value().lease());

  Transaction refused;
  refused.setup_compare_and_create(guard, "closed", p_ + "other", "x");
  etcd::Response r = sync_.txn(refused);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("open", r.value().as_string());
  EXPECT_FALSE(exists(p_ + "other"));

  Transaction or_create;
  or_create.setup_compare_or_create(guard, "closed", p_ + "other", "y");
  EXPECT_TRUE(sync_.txn(or_create).is_ok());
  EXPECT_EQ("y", value_of(p_ + "other"));

  const int64_t rev = sync_.get(guard).value().modified_index();
  Transaction by_rev;
  by_rev.setup_compare_and_create(guard, rev, p_ + "by-rev", "z");
  EXPECT_TRUE(sync_.txn(by_rev).is_ok());
  EXPECT_EQ("z", value_of(p_ + "by-rev"));
  Transaction or_by_rev;
  or_by_rev.setup_compare_or_create(guard, rev, p_ + "or-by-rev", "w");
  r = sync_.txn(or_by_rev);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_FALSE(exists(p_ + "or-by-rev"));
  sync_.leaserevoke(lease);
}

TEST_F(TransactionTest, CompareAndDelete) {
  const std::string guard = p_ + "guard";
  ASSERT_TRUE(sync_.put(guard, "go").is_ok());
  for (const char* k : {"dir/a", "dir/b", "dir/c", "dir2/x", "single"}) {
    ASSERT_TRUE(sync_.put(p_ + k, k).is_ok());
  }

  // A single key: the deleted pair is reported in values() and prev_value().
  Transaction one;
  one.setup_compare_and_delete(guard, "go", p_ + "single");
  etcd::Response r = sync_.txn(one);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  ASSERT_EQ(1u, r.values().size());
  EXPECT_EQ(p_ + "single", r.value().key());
  EXPECT_EQ("single", r.prev_value().as_string());
  EXPECT_FALSE(exists(p_ + "single"));

  // A prefix ("dir/" and not "dir2/").
  Transaction prefix;
  prefix.setup_compare_and_delete(guard, "go", p_ + "dir/", "", true);
  r = sync_.txn(prefix);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(3u, r.values().size());
  EXPECT_EQ(p_ + "dir/a", r.key(0));
  EXPECT_EQ(p_ + "dir/c", r.key(2));
  EXPECT_TRUE(exists(p_ + "dir2/x"));

  // A failed compare deletes nothing and reports the compared key.
  Transaction refused;
  refused.setup_compare_and_delete(guard, "stop", p_ + "dir2/x");
  r = sync_.txn(refused);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("go", r.value().as_string());
  EXPECT_TRUE(exists(p_ + "dir2/x"));

  Transaction or_delete;
  or_delete.setup_compare_or_delete(guard, "stop", p_ + "dir2/", p_ + "dir3");
  r = sync_.txn(or_delete);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(1u, r.values().size());
  EXPECT_FALSE(exists(p_ + "dir2/x"));

  // Revision forms.
  ASSERT_TRUE(sync_.put(p_ + "r1", "1").is_ok());
  ASSERT_TRUE(sync_.put(p_ + "r2", "2").is_ok());
  const int64_t rev = sync_.get(guard).value().modified_index();
  Transaction by_rev;
  by_rev.setup_compare_and_delete(guard, rev, p_ + "r1");
  EXPECT_TRUE(sync_.txn(by_rev).is_ok());
  EXPECT_FALSE(exists(p_ + "r1"));
  Transaction or_by_rev;
  or_by_rev.setup_compare_or_delete(guard, rev, p_ + "r2");
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, sync_.txn(or_by_rev).error_code());
  EXPECT_TRUE(exists(p_ + "r2"));
}

TEST_F(TransactionTest, EveryCompareTargetAndResult) {
  const std::string key = p_ + "k";
  ASSERT_TRUE(sync_.put(key, "m").is_ok());
  ASSERT_TRUE(sync_.put(key, "m").is_ok());  // version 2
  const etcd::Value v = sync_.get(key).value();
  ASSERT_EQ(2, v.version());
  const int64_t create = v.created_index();
  const int64_t mod = v.modified_index();

  // Version.
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_version(key, 2); }));
  EXPECT_FALSE(holds([&](Transaction& t) { t.add_compare_version(key, 3); }));
  EXPECT_TRUE(
      holds([&](Transaction& t) { t.add_compare_version(key, CompareResult::GREATER, 1); }));
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_version(key, CompareResult::LESS, 3); }));
  EXPECT_TRUE(
      holds([&](Transaction& t) { t.add_compare_version(key, CompareResult::NOT_EQUAL, 1); }));
  EXPECT_FALSE(holds([&](Transaction& t) { t.add_compare_version(key, CompareResult::LESS, 2); }));
  // Create revision.
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_create(key, create); }));
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_create(key, CompareResult::LESS, mod); }));
  EXPECT_FALSE(
      holds([&](Transaction& t) { t.add_compare_create(key, CompareResult::GREATER, create); }));
  // Mod revision (0: absent).
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_mod(key, mod); }));
  EXPECT_TRUE(
      holds([&](Transaction& t) { t.add_compare_mod(key, CompareResult::GREATER, create); }));
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_mod(p_ + "absent", 0); }));
  EXPECT_FALSE(holds([&](Transaction& t) { t.add_compare_mod(key, 0); }));
  // Value (bytes).
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_value(key, "m"); }));
  EXPECT_TRUE(
      holds([&](Transaction& t) { t.add_compare_value(key, CompareResult::GREATER, "a"); }));
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_value(key, CompareResult::LESS, "z"); }));
  EXPECT_TRUE(
      holds([&](Transaction& t) { t.add_compare_value(key, CompareResult::NOT_EQUAL, "x"); }));
  EXPECT_FALSE(holds([&](Transaction& t) { t.add_compare_value(key, "x"); }));
  // Lease.
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_lease(key, 0); }));
  const int64_t lease = sync_.leasegrant(60).value().lease();
  ASSERT_TRUE(sync_.put(p_ + "leased", "l", lease).is_ok());
  EXPECT_TRUE(holds([&](Transaction& t) { t.add_compare_lease(p_ + "leased", lease); }));
  EXPECT_TRUE(holds(
      [&](Transaction& t) { t.add_compare_lease(p_ + "leased", CompareResult::NOT_EQUAL, 0); }));
  EXPECT_FALSE(holds([&](Transaction& t) { t.add_compare_lease(p_ + "leased", 0); }));
  sync_.leaserevoke(lease);

  // add_compare with a Value, for each target.
  Transaction::Value expected;
  expected.version = 2;
  expected.create_revision = create;
  expected.mod_revision = mod;
  expected.value = "m";
  expected.lease = 0;
  for (CompareTarget target : {CompareTarget::VERSION, CompareTarget::CREATE, CompareTarget::MOD,
                               CompareTarget::VALUE, CompareTarget::LEASE}) {
    EXPECT_TRUE(holds([&](Transaction& t) {
      t.add_compare(key, target, CompareResult::EQUAL, expected);
    })) << static_cast<int>(target);
    EXPECT_FALSE(holds([&](Transaction& t) {
      t.add_compare(key, target, CompareResult::NOT_EQUAL, expected);
    })) << static_cast<int>(target);
  }

  // Several comparisons: all must hold.
  EXPECT_FALSE(holds([&](Transaction& t) {
    t.add_compare_value(key, "m");
    t.add_compare_version(key, 5);
  }));

  // A comparison over a range: every key in it must satisfy it.
  ASSERT_TRUE(sync_.put(p_ + "range/a", "1").is_ok());
  ASSERT_TRUE(sync_.put(p_ + "range/b", "1").is_ok());
  EXPECT_TRUE(holds([&](Transaction& t) {
    t.add_compare_version(p_ + "range/", CompareResult::EQUAL, 1, p_ + "range0");
  }));
  ASSERT_TRUE(sync_.put(p_ + "range/b", "2").is_ok());
  EXPECT_FALSE(holds([&](Transaction& t) {
    t.add_compare_version(p_ + "range/", CompareResult::EQUAL, 1, p_ + "range0");
  }));
}

TEST_F(TransactionTest, OperationsAndResponseShape) {
  for (const char* k : {"a/1", "a/2", "a/3", "b"}) {
    ASSERT_TRUE(sync_.put(p_ + k, k).is_ok());
  }
  Transaction txn;
  txn.add_compare_value(p_ + "b", "b");
  txn.add_success_range(p_ + "a/", "", true);           // 3 values
  txn.add_success_range(p_ + "a/", "", true, 1);        // limit: 1 value
  txn.add_success_range(p_ + "a/2", p_ + "a/4");        // range: 2 values
  txn.add_success_put(p_ + "b", "b2", 0, true);         // prev_value: b
  txn.add_success_put(p_ + "c", "c");                   // empty prev pair
  txn.add_success_delete(p_ + "a/1", "", false, true);  // 1 value, 1 prev
  txn.add_success_delete(p_ + "a/", "", true, false);   // no values
  txn.add_failure_put(p_ + "failed", "x");
  etcd::Response r = sync_.txn(txn);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  ASSERT_EQ(7u, r.values().size());
  EXPECT_EQ(p_ + "a/1", r.key(0));
  EXPECT_EQ(p_ + "a/3", r.key(2));
  EXPECT_EQ(p_ + "a/1", r.key(3));
  EXPECT_EQ(p_ + "a/2", r.key(4));
  EXPECT_EQ(p_ + "a/3", r.key(5));
  EXPECT_EQ(p_ + "a/1", r.key(6));
  EXPECT_EQ(r.keys().size(), r.values().size());
  EXPECT_EQ(p_ + "a/1", r.value().key());
  EXPECT_EQ("b", r.prev_value().as_string());
  EXPECT_EQ("b2", value_of(p_ + "b"));
  EXPECT_EQ("c", value_of(p_ + "c"));
  EXPECT_TRUE(sync_.ls(p_ + "a/").values().empty());
  EXPECT_FALSE(exists(p_ + "failed"));

  // The failure branch runs when the comparison fails; its results are reported with 101.
  Transaction failing;
  failing.add_compare_value(p_ + "b", "nope");
  failing.add_success_put(p_ + "never", "x");
  failing.add_failure_put(p_ + "failed", "x", 0, true);
  failing.add_failure_range(p_ + "b");
  failing.add_failure_delete(p_ + "c", "", false, true);
  r = sync_.txn(failing);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  ASSERT_EQ(2u, r.values().size());
  EXPECT_EQ("b2", r.value(0).as_string());
  EXPECT_EQ("c", r.value(1).as_string());
  EXPECT_EQ("", r.prev_value().key());  // "failed" did not exist before
  EXPECT_EQ("x", value_of(p_ + "failed"));
  EXPECT_FALSE(exists(p_ + "never"));
  EXPECT_FALSE(exists(p_ + "c"));

  // The compatibility helpers setup_put/setup_delete are unconditional success operations.
  Transaction plain;
  plain.setup_put(p_ + "d/1", "1");
  plain.setup_put(p_ + "d/2", "2");
  plain.setup_put(p_ + "e", "e");
  ASSERT_TRUE(sync_.txn(plain).is_ok());
  Transaction deletes;
  deletes.setup_delete(p_ + "e");
  deletes.setup_delete(p_ + "d/", "", true);
  r = sync_.txn(deletes);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(3u, r.values().size());
  EXPECT_EQ("e", r.prev_value().as_string());
  EXPECT_TRUE(sync_.ls(p_ + "d/").values().empty());

  // An empty transaction succeeds and reports nothing.
  r = sync_.txn(Transaction());
  EXPECT_TRUE(r.is_ok());
  EXPECT_TRUE(r.values().empty());
}

TEST_F(TransactionTest, NestedTransactions) {
  auto inner = std::make_shared<Transaction>();
  inner->add_compare_mod(p_ + "inner-guard", 0);
  inner->add_success_put(p_ + "nested", "n");
  inner->add_failure_put(p_ + "nested-failed", "f");

  Transaction outer;
  outer.add_success_put(p_ + "outer", "o");
  outer.add_success_txn(inner);
  outer.add_success_txn(nullptr);  // ignored
  outer.add_failure_txn(inner);

  // The nested transaction was copied when added: changing it now has no effect.
  inner->add_success_put(p_ + "late", "l");

  etcd::Response r = sync_.txn(outer);
  ASSERT_TRUE(r.is_ok()) << r.error_message();
  EXPECT_EQ("o", value_of(p_ + "outer"));
  EXPECT_EQ("n", value_of(p_ + "nested"));
  EXPECT_FALSE(exists(p_ + "late"));
  EXPECT_FALSE(exists(p_ + "nested-failed"));
  // Nested results are not reported; the outer put asked for no previous value.
  EXPECT_TRUE(r.values().empty());

  // Deeper nesting, in the failure branch.
  auto level2 = std::make_shared<Transaction>();
  level2->add_success_put(p_ + "level2", "2");
  auto level1 = std::make_shared<Transaction>();
  level1->add_success_txn(level2);
  level1->add_success_put(p_ + "level1", "1");
  Transaction root;
  root.add_compare_value(p_ + "outer", "not-o");
  root.add_failure_txn(level1);
  root.add_failure_range(p_ + "outer");
  r = sync_.txn(root);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ("o", r.value().as_string());
  EXPECT_EQ("1", value_of(p_ + "level1"));
  EXPECT_EQ("2", value_of(p_ + "level2"));
}

TEST_F(TransactionTest, BinaryKeysAndValues) {
  const std::string key = p_ + std::string("bin\0key", 7);
  const std::string v1("a\0b", 3);
  const std::string v2("a\0c", 3);
  ASSERT_TRUE(sync_.put(key, v1).is_ok());
  Transaction txn;
  txn.setup_compare_and_swap(key, v1, v2);
  ASSERT_TRUE(sync_.txn(txn).is_ok());
  EXPECT_EQ(v2, value_of(key));
  etcd::Response r = sync_.txn(txn);
  EXPECT_EQ(etcd::ERROR_COMPARE_FAILED, r.error_code());
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ(v2, r.value().as_string());
}

TEST_F(TransactionTest, CopiesAreIndependentValues) {
  Transaction original;
  original.add_success_put(p_ + "a", "1");
  Transaction copy = original;
  copy.add_success_put(p_ + "b", "2");
  Transaction assigned;
  assigned = copy;
  assigned.add_success_put(p_ + "c", "3");
  Transaction moved = std::move(assigned);
  moved.add_success_put(p_ + "d", "4");
  // A moved-from transaction is empty and usable.
  assigned.add_success_put(p_ + "e", "5");

  ASSERT_TRUE(sync_.txn(original).is_ok());
  EXPECT_TRUE(exists(p_ + "a"));
  EXPECT_FALSE(exists(p_ + "b"));
  ASSERT_TRUE(sync_.rmdir(p_, true).is_ok());

  ASSERT_TRUE(sync_.txn(copy).is_ok());
  EXPECT_TRUE(exists(p_ + "b"));
  EXPECT_FALSE(exists(p_ + "c"));
  ASSERT_TRUE(sync_.rmdir(p_, true).is_ok());

  ASSERT_TRUE(sync_.txn(moved).is_ok());
  EXPECT_TRUE(exists(p_ + "c"));
  EXPECT_TRUE(exists(p_ + "d"));
  EXPECT_FALSE(exists(p_ + "e"));
  ASSERT_TRUE(sync_.rmdir(p_, true).is_ok());

  ASSERT_TRUE(sync_.txn(assigned).is_ok());
  EXPECT_TRUE(exists(p_ + "e"));
  EXPECT_FALSE(exists(p_ + "a"));
}

// Fetch-and-add with compare-and-swap retries, from many threads at once, each thread with its
// own copy of a prepared transaction and all of them sharing one more.
TEST_F(TransactionTest, ManyThreadsAtOnce) {
  const std::string counter = p_ + "counter";
  ASSERT_TRUE(sync_.put(counter, "0").is_ok());
  const int threads = 16;
  const int increments = 10;
  std::atomic<int> conflicts{0};
  std::atomic<int> errors{0};

  Transaction shared_read;
  shared_read.add_success_range(counter);

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < increments; ++i) {
        // Every thread reads through the same const transaction.
        etcd::Response current =
            (t % 2 == 0) ? sync_.txn(shared_read) : client_.txn(shared_read).get();
        if (!current.is_ok()) {
          ++errors;
          return;
        }
        std::string value = current.value().as_string();
        for (;;) {
          Transaction cas;
          cas.setup_compare_and_swap(counter, value, std::to_string(std::stoi(value) + 1));
          etcd::Response r = (t % 2 == 0) ? sync_.txn(cas) : client_.txn(cas).get();
          if (r.is_ok()) break;
          if (r.error_code() != etcd::ERROR_COMPARE_FAILED) {
            ++errors;
            return;
          }
          ++conflicts;
          value = r.value().as_string();  // the failed swap reports the current value
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  EXPECT_EQ(0, errors.load());
  EXPECT_EQ(std::to_string(threads * increments), value_of(counter));
}

}  // namespace
