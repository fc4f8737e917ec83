// etcd::Watcher: every constructor family, what the callback receives (actions, values, previous
// values, event lists), ordering, the wait callback, Wait()/Cancel()/Cancelled(), compaction and
// lifetime relative to the client it was built from.
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kWatchCompacted = "required revision has been compacted";

// Collects what a watcher hands to its callbacks.
class WatchLog {
 public:
  std::function<void(etcd::Response)> callback() {
    return [this](etcd::Response r) { responses_.add(std::move(r)); };
  }
  std::function<void(bool)> wait_callback() {
    return [this](bool cancelled) { waits_.add(cancelled); };
  }

  std::vector<etcd::Response> responses() const { return responses_.snapshot(); }
  std::vector<bool> waits() const { return waits_.snapshot(); }

  // Events of successful responses whose revision is above `after`, in delivery order.
  std::vector<etcd::Event> events(int64_t after = 0) const {
    std::vector<etcd::Event> out;
    for (const etcd::Response& r : responses_.snapshot()) {
      if (!r.is_ok()) {
        continue;
      }
      for (const etcd::Event& e : r.events()) {
        if (e.kv().modified_index() > after) {
          out.push_back(e);
        }
      }
    }
    return out;
  }

  bool wait_events(size_t n, int64_t after, milliseconds timeout) const {
    return wait_until([&] { return events(after).size() >= n; }, timeout);
  }

  // Waits for an event on `key` carrying `value`, newer than `after`.
  bool wait_value(const std::string& key, const std::string& value, int64_t after,
                  milliseconds timeout = seconds(20)) const {
    return wait_until(
        [&] {
          for (const etcd::Event& e : events(after)) {
            if (e.kv().key() == key && e.kv().as_string() == value) {
              return true;
            }
          }
          return false;
        },
        timeout);
  }

  bool wait_error(milliseconds timeout) const {
    return wait_until(
        [&] {
          for (const etcd::Response& r : responses_.snapshot()) {
            if (!r.is_ok()) {
              return true;
            }
          }
          return false;
        },
        timeout);
  }

 private:
  etcdtest::Collector<etcd::Response> responses_;
  etcdtest::Collector<bool> waits_;
};

// action()/value()/prev_value()/index() of a watch response describe its first event.
void expect_consistent(const etcd::Response& r) {
  ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  ASSERT_FALSE(r.events().empty()) << "a watch callback got a response without events";
  const etcd::Event& first = r.events()[0];
  ASSERT_TRUE(first.has_kv());
  if (first.event_type() == etcd::Event::EventType::DELETE_) {
    EXPECT_EQ("delete", r.action());
  } else if (first.kv().version() == 1) {
    EXPECT_EQ("create", r.action());
  } else {
    EXPECT_EQ("set", r.action());
  }
  EXPECT_EQ(first.kv().key(), r.value().key());
  EXPECT_EQ(first.kv().as_string(), r.value().as_string());
  EXPECT_EQ(first.kv().modified_index(), r.value().modified_index());
  if (first.has_prev_kv()) {
    EXPECT_EQ(first.prev_kv().key(), r.prev_value().key());
    EXPECT_EQ(first.prev_kv().as_string(), r.prev_value().as_string());
  } else {
    EXPECT_EQ("", r.prev_value().key());
  }
  EXPECT_GE(r.index(), r.events().back().kv().modified_index());
}

class WatcherTest : public ::testing::Test {
 protected:
  WatcherTest()
      : etcd_(etcdtest::shared_etcd()),
        client_(etcd_.endpoint()),
        sync_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  int64_t put(const std::string& key, const std::string& value) {
    etcd::Response r = sync_.put(key, value);
    EXPECT_TRUE(r.is_ok()) << r.error_message();
    return r.index();
  }

  int64_t revision() { return sync_.head().index(); }

  // Puts `key` until the watcher reports something, so that a watcher created "from now" is known
  // to be registered. Returns the revision of the last such put: later checks look only at newer
  // events.
  int64_t prime(const WatchLog& log, const std::string& key) {
    int64_t last = 0;
    bool seen = wait_until(
        [&] {
          last = put(key, "prime");
          return log.wait_events(1, 0, milliseconds(200));
        },
        seconds(30), milliseconds(1));
    EXPECT_TRUE(seen) << "watcher never reported an event for " << key;
    return last;
  }

  // Cancels `w` and checks the wait callback (if one was given) hears `true`.
  void finish(etcd::Watcher& w, const WatchLog& log, bool with_wait) {
    EXPECT_TRUE(w.Cancel());
    EXPECT_TRUE(w.Cancelled());
    if (with_wait) {
      EXPECT_TRUE(wait_until([&] { return !log.waits().empty(); }, seconds(10)));
      std::vector<bool> waits = log.waits();
      ASSERT_EQ(1u, waits.size());
      EXPECT_TRUE(waits[0]);
    }
  }

  // Builds each of the six watcher kinds (key, prefix, range, each from now and from a revision)
  // on `src` (a Client, a SyncClient or an address), with or without a wait callback, and checks
  // that each one reports the expected event.
  template <class Src>
  void exercise_constructors(const Src& src, const std::string& base, bool with_wait) {
    {
      SCOPED_TRACE("key");
      const std::string key = base + "key/k";
      WatchLog log;
      std::unique_ptr<etcd::Watcher> w(
          with_wait ? new etcd::Watcher(src, key, log.callback(), log.wait_callback())
                    : new etcd::Watcher(src, key, log.callback()));
      int64_t after = prime(log, key);
      put(base + "key/k2", "other");
      put(key, "x");
      EXPECT_TRUE(log.wait_value(key, "x", after));
      for (const etcd::Event& e : log.events()) {
        EXPECT_EQ(key, e.kv().key());
      }
      finish(*w, log, with_wait);
    }
    {
      SCOPED_TRACE("prefix");
      const std::string dir = base + "dir/";
      WatchLog log;
      std::unique_ptr<etcd::Watcher> w(
          with_wait ? new etcd::Watcher(src, dir, log.callback(), log.wait_callback(), true)
                    : new etcd::Watcher(src, dir, log.callback(), true));
      int64_t after = prime(log, dir + "p");
      put(dir + "x/y", "x");
      EXPECT_TRUE(log.wait_value(dir + "x/y", "x", after));
      finish(*w, log, with_wait);
    }
    {
      SCOPED_TRACE("range");
      WatchLog log;
      const std::string b = base + "r/b", d = base + "r/d";
      std::unique_ptr<etcd::Watcher> w(
          with_wait ? new etcd::Watcher(src, b, d, log.callback(), log.wait_callback())
                    : new etcd::Watcher(src, b, d, log.callback()));
      int64_t after = prime(log, b);
      put(base + "r/c", "x");
      EXPECT_TRUE(log.wait_value(base + "r/c", "x", after));
      finish(*w, log, with_wait);
    }
    {
      SCOPED_TRACE("key from index");
      const std::string key = base + "fi/k";
      int64_t rev = put(key, "old");
      WatchLog log;
      std::unique_ptr<etcd::Watcher> w(
          with_wait ? new etcd::Watcher(src, key, rev, log.callback(), log.wait_callback())
                    : new etcd::Watcher(src, key, rev, log.callback()));
      EXPECT_TRUE(log.wait_value(key, "old", 0));
      finish(*w, log, with_wait);
    }
    {
      SCOPED_TRACE("prefix from index");
      const std::string dir = base + "fr/";
      int64_t rev = put(dir + "x", "old");
      WatchLog log;
      std::unique_ptr<etcd::Watcher> w(
          with_wait ? new etcd::Watcher(src, dir, rev, log.callback(), log.wait_callback(), true)
                    : new etcd::Watcher(src, dir, rev, log.callback(), true));
      EXPECT_TRUE(log.wait_value(dir + "x", "old", 0));
      finish(*w, log, with_wait);
    }
    {
      SCOPED_TRACE("range from index");
      int64_t rev = put(base + "rf/b", "old");
      WatchLog log;
      const std::string a = base + "rf/a", c = base + "rf/c";
      std::unique_ptr<etcd::Watcher> w(
          with_wait ? new etcd::Watcher(src, a, c, rev, log.callback(), log.wait_callback())
                    : new etcd::Watcher(src, a, c, rev, log.callback()));
      EXPECT_TRUE(log.wait_value(base + "rf/b", "old", 0));
      finish(*w, log, with_wait);
    }
  }

  etcdtest::EtcdCluster& etcd_;
  etcd::Client client_;
  etcd::SyncClient sync_;
  const std::string p_;
};

TEST_F(WatcherTest, ConstructorsFromClient) {
  exercise_constructors(client_, p_ + "plain/", false);
  exercise_constructors(client_, p_ + "wait/", true);
}

TEST_F(WatcherTest, ConstructorsFromSyncClient) {
  exercise_constructors(sync_, p_ + "plain/", false);
  exercise_constructors(sync_, p_ + "wait/", true);
}

TEST_F(WatcherTest, ConstructorsFromAddress) {
  const std::string address = etcd_.endpoint();
  exercise_constructors(address, p_ + "plain/", false);
  exercise_constructors(address, p_ + "wait/", true);
}

// Creates a watcher with `make(key, callback)` and writes its key as soon as the constructor has
// returned, `rounds` times; returns how many of those writes never reached the callback. The
// constructor returns only once etcd has confirmed the watch, so none may be missed.
template <class Make>
int create_then_write(etcd::SyncClient& writer, const std::string& base, int rounds, Make make) {
  int missed = 0;
  for (int i = 0; i < rounds; ++i) {
    const std::string key = base + std::to_string(i);
    std::atomic<int> seen(0);
    std::unique_ptr<etcd::Watcher> w(
        make(key, [&seen](etcd::Response r) { seen += static_cast<int>(r.events().size()); }));
    EXPECT_TRUE(writer.put(key, "v").is_ok());
    if (!wait_until([&] { return seen.load() > 0; }, seconds(5))) {
      ++missed;
    }
    w->Cancel();
  }
  return missed;
}

TEST_F(WatcherTest, WriteRightAfterConstructionIsDelivered) {
  typedef std::function<void(etcd::Response)> Callback;
  const int rounds = 500;
  EXPECT_EQ(0, create_then_write(sync_, p_ + "client/", rounds,
                                 [this](const std::string& key, Callback cb) {
                                   return new etcd::Watcher(client_, key, cb);
                                 }));
  EXPECT_EQ(0, create_then_write(sync_, p_ + "sync/", rounds,
                                 [this](const std::string& key, Callback cb) {
                                   return new etcd::Watcher(sync_, key, cb);
                                 }));
  const std::string address = etcd_.endpoint();
  EXPECT_EQ(0, create_then_write(sync_, p_ + "address/", rounds,
                                 [&address](const std::string& key, Callback cb) {
                                   return new etcd::Watcher(address, key, cb);
                                 }));
}

TEST_F(WatcherTest, KeyEventsCarryValuesAndPreviousValues) {
  const std::string key = p_ + "key";
  WatchLog log;
  etcd::Watcher w(client_, key, log.callback());
  int64_t after = prime(log, key);
  int64_t ra = put(key, "a");
  etcd::Response del = sync_.rm(key);
  ASSERT_TRUE(del.is_ok());
  int64_t rb = put(key, "b");
  ASSERT_TRUE(log.wait_events(3, after, seconds(20)));
  std::vector<etcd::Event> ev = log.events(after);
  ASSERT_EQ(3u, ev.size());

  EXPECT_EQ(etcd::Event::EventType::PUT, ev[0].event_type());
  EXPECT_TRUE(ev[0].has_kv());
  EXPECT_EQ(key, ev[0].kv().key());
  EXPECT_EQ("a", ev[0].kv().as_string());
  EXPECT_EQ(ra, ev[0].kv().modified_index());
  EXPECT_EQ(-1, ev[0].kv().ttl());
  ASSERT_TRUE(ev[0].has_prev_kv());
  EXPECT_EQ("prime", ev[0].prev_kv().as_string());
  EXPECT_EQ(key, ev[0].prev_kv().key());

  EXPECT_EQ(etcd::Event::EventType::DELETE_, ev[1].event_type());
  EXPECT_EQ(key, ev[1].kv().key());
  EXPECT_EQ("", ev[1].kv().as_string());
  EXPECT_EQ(del.index(), ev[1].kv().modified_index());
  ASSERT_TRUE(ev[1].has_prev_kv());
  EXPECT_EQ("a", ev[1].prev_kv().as_string());

  EXPECT_EQ(etcd::Event::EventType::PUT, ev[2].event_type());
  EXPECT_EQ("b", ev[2].kv().as_string());
  EXPECT_EQ(1, ev[2].kv().version());
  EXPECT_EQ(rb, ev[2].kv().created_index());
  EXPECT_FALSE(ev[2].has_prev_kv());

  std::vector<std::string> actions;
  for (const etcd::Response& r : log.responses()) {
    expect_consistent(r);
    if (!r.events().empty() && r.events()[0].kv().modified_index() > after) {
      actions.push_back(r.action());
    }
  }
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ("set", actions.front());
  EXPECT_EQ("create", actions.back());
  for (const etcd::Response& r : log.responses()) {
    if (r.action() == "delete") {
      EXPECT_EQ(key, r.value().key());
      EXPECT_EQ("", r.value().as_string());
      EXPECT_EQ("a", r.prev_value().as_string());
    }
  }
}

TEST_F(WatcherTest, DeleteEventHoldsOldValue) {
  const std::string key = p_ + "key";
  put(key, "old");
  int64_t from = revision() + 1;
  WatchLog log;
  etcd::Watcher w(client_, key, from, log.callback());
  ASSERT_TRUE(sync_.rm(key).is_ok());
  ASSERT_TRUE(log.wait_events(1, 0, seconds(20)));
  std::vector<etcd::Response> rs = log.responses();
  ASSERT_FALSE(rs.empty());
  const etcd::Response& r = rs[0];
  expect_consistent(r);
  EXPECT_EQ("delete", r.action());
  EXPECT_EQ(key, r.value().key());
  EXPECT_EQ("old", r.prev_value().as_string());
  ASSERT_EQ(1u, r.events().size());
  EXPECT_EQ(etcd::Event::EventType::DELETE_, r.events()[0].event_type());
  ASSERT_TRUE(r.events()[0].has_prev_kv());
  EXPECT_EQ("old", r.events()[0].prev_kv().as_string());
  EXPECT_EQ(key, r.events()[0].prev_kv().key());
}

TEST_F(WatcherTest, FromIndexSeesPastEventsInOrder) {
  const std::string key = p_ + "key";
  int64_t r1 = put(key, "v1");
  int64_t r2 = put(key, "v2");
  int64_t r3 = put(key, "v3");
  WatchLog log;
  etcd::Watcher w(client_, key, r1, log.callback());
  ASSERT_TRUE(log.wait_events(3, 0, seconds(20)));
  std::vector<etcd::Event> ev = log.events();
  ASSERT_EQ(3u, ev.size());
  EXPECT_EQ("v1", ev[0].kv().as_string());
  EXPECT_EQ(r1, ev[0].kv().modified_index());
  EXPECT_EQ("v2", ev[1].kv().as_string());
  EXPECT_EQ(r2, ev[1].kv().modified_index());
  EXPECT_EQ("v1", ev[1].prev_kv().as_string());
  EXPECT_EQ("v3", ev[2].kv().as_string());
  EXPECT_EQ(r3, ev[2].kv().modified_index());
  for (const etcd::Response& r : log.responses()) {
    expect_consistent(r);
  }
  EXPECT_EQ("create", log.responses()[0].action());
}

TEST_F(WatcherTest, PrefixExcludesOtherKeys) {
  const std::string dir = p_ + "dir/";
  int64_t from = revision() + 1;
  WatchLog log;
  etcd::Watcher w(client_, dir, from, log.callback(), true);
  put(p_ + "dir-sibling", "no");
  put(p_ + "dir", "no");
  put(dir + "a", "1");
  put(dir + "b/c", "2");
  put(p_ + "other/x", "no");
  put(dir + "z", "end");
  ASSERT_TRUE(log.wait_value(dir + "z", "end", 0));
  std::vector<etcd::Event> ev = log.events();
  ASSERT_EQ(3u, ev.size());
  EXPECT_EQ(dir + "a", ev[0].kv().key());
  EXPECT_EQ(dir + "b/c", ev[1].kv().key());
  EXPECT_EQ(dir + "z", ev[2].kv().key());
}

TEST_F(WatcherTest, RangeExcludesOutside) {
  int64_t from = revision() + 1;
  WatchLog log;
  etcd::Watcher w(client_, p_ + "b", p_ + "d", from, log.callback());
  put(p_ + "a", "out");
  put(p_ + "b", "in");
  put(p_ + "d", "out");  // the range end is exclusive
  put(p_ + "e", "out");
  put(p_ + "c", "in");
  ASSERT_TRUE(log.wait_value(p_ + "c", "in", 0));
  std::vector<etcd::Event> ev = log.events();
  ASSERT_EQ(2u, ev.size());
  EXPECT_EQ(p_ + "b", ev[0].kv().key());
  EXPECT_EQ(p_ + "c", ev[1].kv().key());
}

TEST_F(WatcherTest, EventsArriveInRevisionOrder) {
  const int n = 200;
  int64_t from = revision() + 1;
  WatchLog log;
  etcd::Watcher w(client_, p_, from, log.callback(), true);
  std::vector<pplx::task<etcd::Response>> puts;
  for (int i = 0; i < n; ++i) {
    puts.push_back(client_.put(p_ + "k" + std::to_string(i % 17), std::to_string(i)));
  }
  std::vector<int64_t> revisions;
  for (auto& t : puts) {
    etcd::Response r = t.get();
    ASSERT_TRUE(r.is_ok()) << r.error_message();
    revisions.push_back(r.index());
  }
  std::sort(revisions.begin(), revisions.end());
  ASSERT_TRUE(log.wait_events(n, 0, seconds(30))) << log.events().size();
  std::vector<etcd::Event> ev = log.events();
  ASSERT_EQ(static_cast<size_t>(n), ev.size());
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(revisions[i], ev[i].kv().modified_index()) << i;
  }
  for (const etcd::Response& r : log.responses()) {
    expect_consistent(r);
  }
}

TEST_F(WatcherTest, SequentialPutsOnOneKeyInOrder) {
  const std::string key = p_ + "key";
  int64_t from = revision() + 1;
  WatchLog log;
  etcd::Watcher w(sync_, key, from, log.callback());
  for (int i = 0; i < 50; ++i) {
    put(key, "v" + std::to_string(i));
  }
  ASSERT_TRUE(log.wait_events(50, 0, seconds(30)));
  std::vector<etcd::Event> ev = log.events();
  ASSERT_EQ(50u, ev.size());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ("v" + std::to_string(i), ev[i].kv().as_string());
    EXPECT_EQ(i + 1, ev[i].kv().version());
    if (i > 0) {
      EXPECT_EQ("v" + std::to_string(i - 1), ev[i].prev_kv().as_string());
    }
  }
}

TEST_F(WatcherTest, WaitCallbackAfterCancel) {
  WatchLog log;
  etcd::Watcher w(client_, p_ + "key", log.callback());
  EXPECT_FALSE(w.Cancelled());
  EXPECT_TRUE(w.Wait(log.wait_callback()));
  // A second wait callback is refused.
  std::atomic<int> second{0};
  EXPECT_FALSE(w.Wait([&second](bool) { ++second; }));
  EXPECT_FALSE(w.Cancelled());
  EXPECT_TRUE(w.Cancel());
  EXPECT_TRUE(w.Cancelled());
  ASSERT_TRUE(wait_until([&] { return !log.waits().empty(); }, seconds(10)));
  EXPECT_TRUE(log.waits()[0]);
  EXPECT_TRUE(w.Cancel());  // idempotent
  EXPECT_EQ(1u, log.waits().size());
  EXPECT_EQ(0, second.load());
}

TEST_F(WatcherTest, WaitBlocksUntilCancelled) {
  WatchLog log;
  etcd::Watcher w(client_, p_ + "key", log.callback());
  std::atomic<bool> waiting{false};
  std::thread canceller([&] {
    wait_until([&] { return waiting.load(); }, seconds(10));
    w.Cancel();
  });
  waiting = true;
  EXPECT_TRUE(w.Wait());
  canceller.join();
  EXPECT_TRUE(w.Cancelled());
  EXPECT_TRUE(w.Wait());  // later callers return at once
}

TEST_F(WatcherTest, ConcurrentCancel) {
  WatchLog log;
  etcd::Watcher w(client_, p_ + "key", log.callback(), log.wait_callback());
  prime(log, p_ + "key");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&] {
      if (w.Cancel()) {
        ++ok;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(10, ok.load());
  EXPECT_TRUE(w.Cancelled());
  ASSERT_TRUE(wait_until([&] { return !log.waits().empty(); }, seconds(10)));
  EXPECT_EQ(1u, log.waits().size());
  EXPECT_TRUE(log.waits()[0]);
}

TEST_F(WatcherTest, CompactedStartRevisionReportsError) {
  const std::string key = p_ + "key";
  int64_t r1 = put(key, "v1");
  put(key, "v2");
  int64_t r3 = put(key, "v3");
  ASSERT_TRUE(etcd_.compact(r3));
  WatchLog log;
  etcd::Watcher w(client_, key, r1, log.callback());
  ASSERT_TRUE(log.wait_error(seconds(20)));
  std::vector<etcd::Response> rs = log.responses();
  const etcd::Response* err = nullptr;
  for (const etcd::Response& r : rs) {
    if (!r.is_ok()) {
      err = &r;
      break;
    }
  }
  ASSERT_NE(nullptr, err);
  EXPECT_EQ(11, err->error_code());
  EXPECT_EQ(kWatchCompacted, err->error_message());
  EXPECT_EQ(r3, err->compact_revision());
  w.Cancel();
}

TEST_F(WatcherTest, OutlivesTheClientItWasBuiltFrom) {
  const std::string key = p_ + "key";
  int64_t from = revision() + 1;
  WatchLog log_a, log_s;
  std::unique_ptr<etcd::Watcher> a, s;
  {
    etcd::Client temp(etcd_.endpoint());
    a.reset(new etcd::Watcher(temp, key, from, log_a.callback()));
  }
  {
    etcd::SyncClient temp(etcd_.endpoint());
    s.reset(new etcd::Watcher(temp, key, from, log_s.callback()));
  }
  put(key, "x");
  EXPECT_TRUE(log_a.wait_value(key, "x", 0));
  EXPECT_TRUE(log_s.wait_value(key, "x", 0));
  put(key, "y");
  EXPECT_TRUE(log_a.wait_value(key, "y", 0));
  EXPECT_TRUE(log_s.wait_value(key, "y", 0));
}

TEST_F(WatcherTest, BinaryKeyAndValue) {
  const std::string key = p_ + std::string("b\0in", 4);
  const std::string value("v\0al\xff", 5);
  int64_t from = revision() + 1;
  WatchLog log;
  etcd::Watcher w(client_, key, from, log.callback());
  put(p_ + "b", "not this one");
  put(key, value);
  ASSERT_TRUE(log.wait_value(key, value, 0));
  std::vector<etcd::Event> ev = log.events();
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(key, ev[0].kv().key());
  EXPECT_EQ(5u, ev[0].kv().as_string().size());
}

TEST_F(WatcherTest, ManyWatchersOnOneClient) {
  const int n = 20;
  int64_t from = revision() + 1;
  std::vector<std::unique_ptr<WatchLog>> logs;
  std::vector<std::unique_ptr<etcd::Watcher>> watchers;
  for (int i = 0; i < n; ++i) {
    logs.emplace_back(new WatchLog);
    watchers.emplace_back(
        new etcd::Watcher(client_, p_ + "k" + std::to_string(i), from, logs[i]->callback()));
  }
  for (int i = 0; i < n; ++i) {
    put(p_ + "k" + std::to_string(i), "v" + std::to_string(i));
  }
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(logs[i]->wait_value(p_ + "k" + std::to_string(i), "v" + std::to_string(i), 0));
    EXPECT_EQ(1u, logs[i]->events().size()) << i;
  }
  watchers.clear();
}

TEST_F(WatcherTest, StreamOutput) {
  const std::string key = p_ + "key";
  int64_t r1 = put(key, "v1");
  int64_t r2 = put(key, "v2");
  WatchLog log;
  etcd::Watcher w(client_, key, r2, log.callback());
  ASSERT_TRUE(log.wait_events(1, 0, seconds(20)));
  const etcd::Event e = log.events()[0];
  EXPECT_EQ(-1, e.prev_kv().ttl());

  std::ostringstream value;
  value << e.kv();
  EXPECT_EQ("Event: {Key: " + key + ", Value: v2, Created: " + std::to_string(r1) +
                ", Modified: " + std::to_string(r2) + ", Version: 2, TTL: -1, Lease: 0, }",
            value.str());
  std::ostringstream prev;
  prev << e.prev_kv();
  std::ostringstream event;
  event << e;
  EXPECT_EQ("Event type: PUT, KV: " + value.str() + ", Prev KV: " + prev.str(), event.str());

  std::ostringstream types;
  types << etcd::Event::EventType::PUT << " " << etcd::Event::EventType::DELETE_ << " "
        << etcd::Event::EventType::INVALID;
  EXPECT_EQ("PUT DELETE INVALID", types.str());
}

}  // namespace
