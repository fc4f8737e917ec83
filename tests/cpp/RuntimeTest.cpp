// Runtime behaviour where this library goes beyond etcd-cpp-apiv3: which threads run user code,
// isolation between slow callbacks, thread usage of idle watchers/keep-alives and in-flight calls,
// bounded Cancel()/destruction (also from inside callbacks and with the server gone or frozen),
// the keep-alive refresh period, a server restarting, fail-over in a 3-member cluster (killed,
// restarted, frozen members, lost quorum), and use after fork().
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"

namespace {

using etcdtest::Clock;
using etcdtest::elapsed_ms;
using etcdtest::holds_for;
using etcdtest::starts_with;
using etcdtest::wait_until;
using std::chrono::milliseconds;
using std::chrono::seconds;

const char* const kCallbackThread = "etcd-cb";
const char* const kRuntimeThread = "etcd-rt";
const long long kFastMs = 500;

// One watch event as seen by a callback.
struct Seen {
  std::string key;
  std::string value;
  int64_t revision;
  bool is_delete;
};

// Records the events and thread names of a watcher's callback.
class Recorder {
 public:
  std::function<void(etcd::Response)> callback() {
    return [this](etcd::Response r) {
      threads_.add(etcdtest::current_thread_name());
      if (!r.is_ok()) {
        errors_.add(r.error_code());
        return;
      }
      for (const etcd::Event& e : r.events()) {
        events_.add(Seen{e.kv().key(), e.kv().as_string(), e.kv().modified_index(),
                         e.event_type() == etcd::Event::EventType::DELETE_});
      }
    };
  }
  std::vector<Seen> events() const { return events_.snapshot(); }
  std::vector<std::string> threads() const { return threads_.snapshot(); }
  std::vector<int> errors() const { return errors_.snapshot(); }
  size_t size() const { return events_.size(); }
  bool wait_size(size_t n, milliseconds timeout) const { return events_.wait_size(n, timeout); }
  bool wait_value(const std::string& value, milliseconds timeout) const {
    return wait_until(
        [&] {
          for (const Seen& s : events_.snapshot()) {
            if (s.value == value) {
              return true;
            }
          }
          return false;
        },
        timeout);
  }

 private:
  etcdtest::Collector<Seen> events_;
  etcdtest::Collector<std::string> threads_;
  etcdtest::Collector<int> errors_;
};

// Blocks callers of wait() until release() (or a generous deadline, so a broken library cannot
// hang the test forever).
class Gate {
 public:
  void wait() {
    entered_ = true;
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, seconds(60), [this] { return open_; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool entered() const { return entered_.load(); }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  std::atomic<bool> entered_{false};
};

// Releases a gate when leaving scope (declare after the watcher whose callback waits on it).
struct GateRelease {
  Gate& gate;
  ~GateRelease() { gate.release(); }
};

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest()
      : etcd_(etcdtest::shared_etcd()),
        client_(etcd_.endpoint()),
        sync_(etcd_.endpoint()),
        p_(etcdtest::test_prefix()) {}

  int64_t put(const std::string& key, const std::string& value) {
    etcd::Response r = sync_.put(key, value);
    EXPECT_TRUE(r.is_ok()) << r.error_message();
    return r.index();
  }
  int64_t next_revision() { return sync_.head().index() + 1; }

  // Brings up whatever threads the library starts lazily: a call, a continuation, a watcher
  // event and a keep-alive.
  void warm_up(etcd::Client& c) {
    ASSERT_TRUE(c.head().then([](etcd::Response r) { return r.is_ok(); }).get());
    Recorder rec;
    etcd::Watcher w(c, p_ + "warm", next_revision(), rec.callback());
    put(p_ + "warm", "x");
    ASSERT_TRUE(rec.wait_size(1, seconds(10)));
    etcd::KeepAlive ka(c, 10);
    ka.Cancel();
    w.Cancel();
  }

  etcdtest::EtcdCluster& etcd_;
  etcd::Client client_;
  etcd::SyncClient sync_;
  const std::string p_;
};

// ---------------------------------------------------------------------------------------------
// Which threads run user code.
// ---------------------------------------------------------------------------------------------

TEST_F(RuntimeTest, ContinuationsRunOnCallbackThreads) {
  etcdtest::Collector<std::string> names;
  client_.head()
      .then([&names](etcd::Response) { names.add(etcdtest::current_thread_name()); })
      .wait();
  client_.head()
      .then([&names](pplx::task<etcd::Response>) { names.add(etcdtest::current_thread_name()); })
      .wait();
  pplx::task<etcd::Response> done = client_.head();
  done.wait();
  done.then([&names](etcd::Response) { names.add(etcdtest::current_thread_name()); }).wait();
  client_.put(p_ + "k", "v")
      .then([this](etcd::Response) { return client_.get(p_ + "k"); })
      .then([&names](etcd::Response) { names.add(etcdtest::current_thread_name()); })
      .wait();
  std::vector<std::string> all = names.snapshot();
  ASSERT_EQ(4u, all.size());
  for (const std::string& n : all) {
    EXPECT_TRUE(starts_with(n, kCallbackThread)) << "continuation ran on thread '" << n << "'";
  }
}

TEST_F(RuntimeTest, WatcherCallbacksRunOnCallbackThreads) {
  Recorder rec;
  etcdtest::Collector<std::string> wait_threads;
  {
    etcd::Watcher w(client_, p_ + "k", next_revision(), rec.callback(),
                    [&wait_threads](bool) { wait_threads.add(etcdtest::current_thread_name()); });
    put(p_ + "k", "a");
    put(p_ + "k", "b");
    ASSERT_TRUE(rec.wait_size(2, seconds(10)));
    w.Cancel();
    ASSERT_TRUE(wait_threads.wait_size(1, seconds(10)));
  }
  for (const std::string& n : rec.threads()) {
    EXPECT_TRUE(starts_with(n, kCallbackThread)) << "watch callback ran on thread '" << n << "'";
  }
  for (const std::string& n : wait_threads.snapshot()) {
    EXPECT_TRUE(starts_with(n, kCallbackThread)) << "wait callback ran on thread '" << n << "'";
  }
}

TEST_F(RuntimeTest, KeepAliveHandlerRunsOnCallbackThread) {
  etcdtest::Collector<std::string> names;
  etcd::KeepAlive ka(
      client_, [&names](std::exception_ptr) { names.add(etcdtest::current_thread_name()); }, 2);
  ASSERT_TRUE(sync_.leaserevoke(ka.Lease()).is_ok());
  ASSERT_TRUE(names.wait_size(1, seconds(10)));
  for (const std::string& n : names.snapshot()) {
    EXPECT_TRUE(starts_with(n, kCallbackThread)) << "handler ran on thread '" << n << "'";
  }
}

TEST_F(RuntimeTest, RuntimeAndCallbackThreadsAreNamed) {
  warm_up(client_);
  std::vector<std::string> names = etcdtest::thread_names();
  size_t rt = 0;
  for (const std::string& n : names) {
    if (starts_with(n, kRuntimeThread)) {
      ++rt;
    }
  }
  EXPECT_GT(rt, 0u) << "no thread named " << kRuntimeThread << "*";
}

TEST_F(RuntimeTest, WatchCallbackMayUseBlockingApi) {
  put(p_ + "other", "value");
  etcdtest::Collector<std::string> got;
  etcd::Watcher w(client_, p_ + "k", next_revision(), [&](etcd::Response) {
    etcd::Response r = sync_.get(p_ + "other");
    got.add(r.is_ok() ? r.value().as_string() : "error " + r.error_message());
  });
  put(p_ + "k", "1");
  ASSERT_TRUE(got.wait_size(1, seconds(10))) << "a blocking call inside the callback hangs";
  EXPECT_EQ("value", got.snapshot()[0]);
  // A second event is still delivered afterwards.
  put(p_ + "k", "2");
  EXPECT_TRUE(got.wait_size(2, seconds(10)));
}

TEST_F(RuntimeTest, WatchCallbackMayWaitForAsyncCall) {
  put(p_ + "other", "value");
  etcdtest::Collector<std::string> got;
  etcd::Watcher w(client_, p_ + "k", next_revision(), [&](etcd::Response) {
    pplx::task<etcd::Response> t = client_.get(p_ + "other");
    if (!wait_until([&] { return t.is_done(); }, seconds(10))) {
      got.add("not completed while the callback waited");
      return;
    }
    got.add(t.get().value().as_string());
  });
  put(p_ + "k", "1");
  ASSERT_TRUE(got.wait_size(1, seconds(20)));
  EXPECT_EQ("value", got.snapshot()[0]);
}

TEST_F(RuntimeTest, ContinuationMayUseBlockingApi) {
  put(p_ + "other", "value");
  std::string v = client_.head()
                      .then([this](etcd::Response) { return sync_.get(p_ + "other"); })
                      .then([this](etcd::Response r) {
                        EXPECT_TRUE(r.is_ok());
                        return client_.get(p_ + "other").get().value().as_string();
                      })
                      .get();
  EXPECT_EQ("value", v);
}

// ---------------------------------------------------------------------------------------------
// Isolation: one slow callback does not hold up others.
// ---------------------------------------------------------------------------------------------

TEST_F(RuntimeTest, SlowWatchCallbackDoesNotDelayOtherWatcher) {
  Gate gate;
  Recorder fast;
  const int64_t from = next_revision();
  etcd::Watcher slow(client_, p_ + "slow", from, [&gate](etcd::Response) { gate.wait(); });
  etcd::Watcher quick(client_, p_ + "fast", from, fast.callback());
  GateRelease release{gate};

  put(p_ + "slow", "1");
  ASSERT_TRUE(wait_until([&] { return gate.entered(); }, seconds(10)));
  put(p_ + "fast", "1");
  EXPECT_TRUE(fast.wait_size(1, seconds(10)))
      << "the other watcher's callback waited for the blocked one";
  put(p_ + "fast", "2");
  EXPECT_TRUE(fast.wait_size(2, seconds(10)));

  // Async completions and continuations are not held up either.
  pplx::task<bool> t = client_.get(p_ + "fast").then([](etcd::Response r) { return r.is_ok(); });
  EXPECT_TRUE(wait_until([&] { return t.is_done(); }, seconds(10)));

  // The blocked watcher gets its next event once released, in order.
  put(p_ + "slow", "2");
  gate.release();
}

TEST_F(RuntimeTest, SlowContinuationDoesNotDelayWatcher) {
  Gate gate;
  Recorder rec;
  etcd::Watcher w(client_, p_ + "k", next_revision(), rec.callback());
  GateRelease release{gate};
  pplx::task<void> blocked = client_.head().then([&gate](etcd::Response) { gate.wait(); });
  ASSERT_TRUE(wait_until([&] { return gate.entered(); }, seconds(10)));
  put(p_ + "k", "1");
  EXPECT_TRUE(rec.wait_size(1, seconds(10)));
  gate.release();
  blocked.wait();
}

// ---------------------------------------------------------------------------------------------
// Thread usage.
// ---------------------------------------------------------------------------------------------

TEST_F(RuntimeTest, IdleWatchersAndKeepAlivesOwnNoThreads) {
  etcd::Client c(etcd_.endpoint());
  warm_up(c);
  const int baseline = etcdtest::thread_count();
  ASSERT_GT(baseline, 0);

  const int n = 100;
  const int64_t from = next_revision();
  std::vector<std::unique_ptr<Recorder>> recs;
  std::vector<std::unique_ptr<etcd::Watcher>> watchers;
  std::vector<std::unique_ptr<etcd::KeepAlive>> keepalives;
  for (int i = 0; i < n; ++i) {
    recs.emplace_back(new Recorder);
    watchers.emplace_back(
        new etcd::Watcher(c, p_ + "w" + std::to_string(i), from, recs[i]->callback()));
  }
  for (int i = 0; i < n; ++i) {
    keepalives.emplace_back(new etcd::KeepAlive(c, 10));
    ASSERT_NE(0, keepalives.back()->Lease());
  }
  int count = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        count = etcdtest::thread_count();
        return count < baseline + 10;
      },
      seconds(10)))
      << n << " watchers + " << n << " keep-alives: " << count << " threads, baseline " << baseline;

  // They all work.
  put(p_ + "w7", "x");
  put(p_ + "w93", "y");
  EXPECT_TRUE(recs[7]->wait_value("x", seconds(10)));
  EXPECT_TRUE(recs[93]->wait_value("y", seconds(10)));
  EXPECT_GT(sync_.leasetimetolive(keepalives[50]->Lease()).value().ttl(), 0);

  watchers.clear();
  keepalives.clear();
}

TEST_F(RuntimeTest, AsyncCallsInFlightDoNotAddThreads) {
  etcd::Client c(etcd_.endpoint());
  warm_up(c);
  put(p_ + "k", "v");
  const int baseline = etcdtest::thread_count();
  std::atomic<int> max_seen{baseline};
  auto note = [&max_seen] {
    int now = etcdtest::thread_count();
    int prev = max_seen.load();
    while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
    }
  };
  std::vector<pplx::task<bool>> tasks;
  for (int i = 0; i < 100; ++i) {
    tasks.push_back(c.get(p_ + "k").then([note](etcd::Response r) {
      note();
      return r.is_ok();
    }));
  }
  note();
  for (auto& t : tasks) {
    EXPECT_TRUE(t.get());
  }
  note();
  EXPECT_LT(max_seen.load(), baseline + 10)
      << "100 calls in flight raised the thread count from " << baseline << " to " << max_seen;
}

// ---------------------------------------------------------------------------------------------
// Cancel() and destruction are bounded.
// ---------------------------------------------------------------------------------------------

// Builds watchers and keep-alives on `c` (the keep-alives on `lease` if non-zero, else on a
// lease they grant), then checks that Cancel() and the destructor of each return quickly.
void expect_fast_teardown(etcd::Client& c, const std::string& key, int64_t lease) {
  Recorder r1, r2;
  std::unique_ptr<etcd::Watcher> w1(new etcd::Watcher(c, key, r1.callback()));
  std::unique_ptr<etcd::Watcher> w2(
      new etcd::Watcher(c, key, r2.callback(), std::function<void(bool)>([](bool) {})));
  std::unique_ptr<etcd::KeepAlive> k1(new etcd::KeepAlive(c, 5, lease));
  std::unique_ptr<etcd::KeepAlive> k2(new etcd::KeepAlive(
      c, [](std::exception_ptr) {}, 5, lease));
  long long t;
  t = elapsed_ms([&] { w1->Cancel(); });
  EXPECT_LT(t, kFastMs) << "Watcher::Cancel() took " << t << " ms";
  t = elapsed_ms([&] { w1.reset(); });
  EXPECT_LT(t, kFastMs) << "~Watcher() after Cancel() took " << t << " ms";
  t = elapsed_ms([&] { w2.reset(); });
  EXPECT_LT(t, kFastMs) << "~Watcher() took " << t << " ms";
  t = elapsed_ms([&] { k1->Cancel(); });
  EXPECT_LT(t, kFastMs) << "KeepAlive::Cancel() took " << t << " ms";
  t = elapsed_ms([&] { k1.reset(); });
  EXPECT_LT(t, kFastMs) << "~KeepAlive() after Cancel() took " << t << " ms";
  t = elapsed_ms([&] { k2.reset(); });
  EXPECT_LT(t, kFastMs) << "~KeepAlive() took " << t << " ms";
}

TEST_F(RuntimeTest, TeardownIsFastWithLiveServer) {
  Recorder rec;
  std::unique_ptr<etcd::Watcher> w(new etcd::Watcher(client_, p_ + "k", rec.callback()));
  wait_until(
      [&] {
        put(p_ + "k", "x");
        return rec.wait_size(1, milliseconds(200));
      },
      seconds(20));
  ASSERT_GT(rec.size(), 0u);
  long long t = elapsed_ms([&] { w->Cancel(); });
  EXPECT_LT(t, kFastMs);
  t = elapsed_ms([&] { w.reset(); });
  EXPECT_LT(t, kFastMs);
  expect_fast_teardown(client_, p_ + "k", 0);
}

TEST(RuntimeTeardown, FastAfterServerKilled) {
  etcdtest::EtcdCluster etcd(1);
  etcd::Client c(etcd.endpoint());
  etcd::SyncClient writer(etcd.endpoint());
  Recorder r1, r2;
  std::unique_ptr<etcd::Watcher> w1(new etcd::Watcher(c, "/k", r1.callback()));
  std::unique_ptr<etcd::Watcher> w2(
      new etcd::Watcher(c, "/k", r2.callback(), std::function<void(bool)>([](bool) {})));
  ASSERT_TRUE(wait_until(
      [&] {
        writer.put("/k", "x");
        return r1.wait_size(1, milliseconds(200)) && r2.wait_size(1, milliseconds(200));
      },
      seconds(20)));
  std::unique_ptr<etcd::KeepAlive> k1(new etcd::KeepAlive(c, 5));
  std::unique_ptr<etcd::KeepAlive> k2(new etcd::KeepAlive(
      c, [](std::exception_ptr) {}, 5));
  ASSERT_NE(0, k1->Lease());
  etcd.kill(0);
  etcd::Response r = c.head().get();
  EXPECT_FALSE(r.is_ok());
  long long t;
  t = elapsed_ms([&] { w1->Cancel(); });
  EXPECT_LT(t, kFastMs) << "Watcher::Cancel() took " << t << " ms";
  t = elapsed_ms([&] { w1.reset(); });
  EXPECT_LT(t, kFastMs);
  t = elapsed_ms([&] { w2.reset(); });
  EXPECT_LT(t, kFastMs) << "~Watcher() took " << t << " ms";
  t = elapsed_ms([&] { k1->Cancel(); });
  EXPECT_LT(t, kFastMs) << "KeepAlive::Cancel() took " << t << " ms";
  t = elapsed_ms([&] { k1.reset(); });
  EXPECT_LT(t, kFastMs);
  t = elapsed_ms([&] { k2.reset(); });
  EXPECT_LT(t, kFastMs) << "~KeepAlive() took " << t << " ms";

  // Objects created while the server is down tear down quickly too.
  expect_fast_teardown(c, "/k", 4242);
}

TEST(RuntimeTeardown, FastWhenNeverReachable) {
  const std::string address = "http://127.0.0.1:" + std::to_string(etcdtest::detail::unused_port());
  etcd::Client c(address);
  expect_fast_teardown(c, "/k", 4242);
  // Watchers and keep-alives built from the address itself.
  Recorder rec;
  std::unique_ptr<etcd::Watcher> w(new etcd::Watcher(address, "/k", rec.callback()));
  std::unique_ptr<etcd::KeepAlive> k(new etcd::KeepAlive(address, 5, 4242));
  long long t = elapsed_ms([&] { w.reset(); });
  EXPECT_LT(t, kFastMs) << "~Watcher() took " << t << " ms";
  t = elapsed_ms([&] { k.reset(); });
  EXPECT_LT(t, kFastMs) << "~KeepAlive() took " << t << " ms";
}

TEST(RuntimeTeardown, FastWithFrozenServer) {
  etcdtest::EtcdCluster etcd(1);
  etcd::Client c(etcd.endpoint());
  etcd::SyncClient writer(etcd.endpoint());
  Recorder rec;
  std::unique_ptr<etcd::Watcher> w(new etcd::Watcher(c, "/k", rec.callback()));
  ASSERT_TRUE(wait_until(
      [&] {
        writer.put("/k", "x");
        return rec.wait_size(1, milliseconds(200));
      },
      seconds(20)));
  std::unique_ptr<etcd::KeepAlive> k(new etcd::KeepAlive(c, 5));
  const int64_t lease = k->Lease();
  ASSERT_NE(0, lease);
  etcd.pause(0);
  long long t = elapsed_ms([&] { w->Cancel(); });
  EXPECT_LT(t, kFastMs) << "Watcher::Cancel() took " << t << " ms";
  t = elapsed_ms([&] { w.reset(); });
  EXPECT_LT(t, kFastMs);
  t = elapsed_ms([&] { k.reset(); });
  EXPECT_LT(t, kFastMs) << "~KeepAlive() took " << t << " ms";
  // Created while frozen (the keep-alive uses the existing lease: granting would wait).
  expect_fast_teardown(c, "/k", lease);
  etcd.resume(0);
}

TEST_F(RuntimeTest, WatcherCancelFromItsOwnCallback) {
  struct State {
    std::unique_ptr<etcd::Watcher> w;
    std::atomic<int> calls{0};
    std::atomic<bool> returned{false};
    std::atomic<bool> result{false};
  };
  std::shared_ptr<State> st = std::make_shared<State>();
  State* raw = st.get();
  st->w.reset(new etcd::Watcher(client_, p_ + "k", next_revision(), [raw](etcd::Response) {
    if (++raw->calls == 1) {
      raw->result = raw->w->Cancel();
      raw->returned = true;
    }
  }));
  put(p_ + "k", "1");
  ASSERT_TRUE(wait_until([&] { return st->returned.load(); }, seconds(10)))
      << "Cancel() inside the callback did not return";
  EXPECT_TRUE(st->result.load());
  EXPECT_TRUE(st->w->Cancelled());
  put(p_ + "k", "2");
  put(p_ + "k", "3");
  EXPECT_TRUE(holds_for([&] { return st->calls.load() == 1; }, milliseconds(500)));
  long long t = elapsed_ms([&] { st->w.reset(); });
  EXPECT_LT(t, kFastMs);
}

TEST_F(RuntimeTest, WatcherDestroyedFromItsOwnCallback) {
  struct State {
    std::unique_ptr<etcd::Watcher> w;
    std::atomic<int> calls{0};
    std::atomic<bool> destroyed{false};
  };
  std::shared_ptr<State> st = std::make_shared<State>();
  State* raw = st.get();
  st->w.reset(new etcd::Watcher(client_, p_ + "k", next_revision(), [raw](etcd::Response) {
    State* s = raw;  // the closure dies with the watcher; keep what is needed on the stack
    if (++s->calls == 1) {
      s->w.reset();
      s->destroyed = true;
    }
  }));
  put(p_ + "k", "1");
  put(p_ + "k", "2");
  ASSERT_TRUE(wait_until([&] { return st->destroyed.load(); }, seconds(10)))
      << "destroying the watcher inside its callback did not return";
  put(p_ + "k", "3");
  EXPECT_TRUE(holds_for([&] { return st->calls.load() == 1; }, milliseconds(500)));
}

TEST_F(RuntimeTest, KeepAliveCancelAndDestroyFromItsOwnHandler) {
  struct State {
    std::unique_ptr<etcd::KeepAlive> ka;
    std::atomic<int> calls{0};
    std::atomic<bool> done{false};
  };
  for (int destroy = 0; destroy < 2; ++destroy) {
    std::shared_ptr<State> st = std::make_shared<State>();
    State* raw = st.get();
    const bool do_destroy = destroy == 1;
    st->ka.reset(new etcd::KeepAlive(
        client_,
        [raw, do_destroy](std::exception_ptr) {
          State* s = raw;
          ++s->calls;
          if (do_destroy) {
            s->ka.reset();
          } else {
            s->ka->Cancel();
          }
          s->done = true;
        },
        2));
    ASSERT_TRUE(sync_.leaserevoke(st->ka->Lease()).is_ok());
    EXPECT_TRUE(wait_until([&] { return st->done.load(); }, seconds(10)))
        << (do_destroy ? "destroying" : "cancelling") << " inside the handler did not return";
    EXPECT_EQ(1, st->calls.load());
    long long t = elapsed_ms([&] { st->ka.reset(); });
    EXPECT_LT(t, kFastMs);
  }
}

// Keeps putting keys while a watcher is cancelled (or destroyed); no callback may start after
// Cancel()/the destructor has returned.
TEST_F(RuntimeTest, NoCallbackAfterCancelReturns) {
  for (int destroy = 0; destroy < 2; ++destroy) {
    const std::string dir = p_ + std::to_string(destroy) + "/";
    std::atomic<bool> returned{false};
    std::atomic<int> late{0};
    std::atomic<int> calls{0};
    std::unique_ptr<etcd::Watcher> w(new etcd::Watcher(
        client_, dir, next_revision(),
        [&](etcd::Response) {
          if (returned.load()) {
            ++late;
          }
          ++calls;
          std::this_thread::sleep_for(milliseconds(1));  // a callback doing some work
        },
        true));
    etcd::SyncClient writer(etcd_.endpoint());
    std::atomic<int> puts{0};
    etcdtest::Repeater putter(
        [&] {
          writer.put(dir + "k" + std::to_string(puts.load()), "v");
          ++puts;
        },
        milliseconds(0), 100000);
    ASSERT_TRUE(wait_until([&] { return calls.load() >= 20; }, seconds(20)));
    if (destroy) {
      w.reset();
    } else {
      w->Cancel();
    }
    returned = true;
    const int at_return = calls.load();
    const int puts_at_return = puts.load();
    EXPECT_TRUE(wait_until([&] { return puts.load() >= puts_at_return + 50; }, seconds(20)));
    putter.stop();
    EXPECT_EQ(0, late.load()) << (destroy ? "destructor" : "Cancel()");
    EXPECT_EQ(at_return, calls.load()) << (destroy ? "destructor" : "Cancel()");
  }
}

// ---------------------------------------------------------------------------------------------
// Keep-alive refresh period.
// ---------------------------------------------------------------------------------------------

TEST_F(RuntimeTest, KeepAliveRefreshesAtAThirdOfTtl) {
  const int ttl = 6;
  etcd::KeepAlive ka(client_, ttl);
  ASSERT_NE(0, ka.Lease());
  // A lease nobody refreshes, as a control for the measurement.
  const int64_t plain = sync_.leasegrant(ttl).value().lease();
  ASSERT_NE(0, plain);
  int lowest = ttl;
  int plain_lowest = ttl;
  // Sample the remaining TTLs for a little more than one TTL.
  holds_for(
      [&] {
        etcd::Response r = sync_.leasetimetolive(ka.Lease());
        EXPECT_TRUE(r.is_ok()) << r.error_message();
        lowest = std::min(lowest, r.value().ttl());
        plain_lowest = std::min(plain_lowest, sync_.leasetimetolive(plain).value().ttl());
        return true;
      },
      milliseconds(6500));
  EXPECT_GE(lowest, 3) << "the remaining TTL fell to " << lowest << " s of " << ttl;
  EXPECT_LE(plain_lowest, 0) << "control lease without keep-alive did not run down";
}

// ---------------------------------------------------------------------------------------------
// fork()
// ---------------------------------------------------------------------------------------------

TEST_F(RuntimeTest, ForkedChildCanUseItsOwnClient) {
  // The parent has the library fully running before the fork.
  Recorder rec;
  etcd::Watcher w(client_, p_ + "child", next_revision(), rec.callback());
  etcd::KeepAlive ka(client_, 10);
  ASSERT_TRUE(client_.put(p_ + "parent", "p").get().is_ok());

  const std::string endpoint = etcd_.endpoint();
  const std::string key = p_ + "child";
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int code = 0;
    {
      etcd::SyncClient c(endpoint);
      if (!c.put(key, "from-child").is_ok()) {
        code = 1;
      } else if (c.get(key).value().as_string() != "from-child") {
        code = 2;
      } else {
        etcd::Client a(endpoint);
        etcd::Response r = a.get(key).then([](etcd::Response x) { return x; }).get();
        if (!r.is_ok() || r.value().as_string() != "from-child") {
          code = 3;
        }
      }
    }
    _exit(code);
  }
  int status = 0;
  bool exited = etcdtest::wait_child(pid, seconds(60), &status);
  if (!exited) {
    kill(pid, SIGKILL);
    etcdtest::wait_child(pid, seconds(10));
  }
  ASSERT_TRUE(exited) << "the forked child hung";
  ASSERT_TRUE(WIFEXITED(status)) << "the child died with signal "
                                 << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(0, WEXITSTATUS(status)) << "1: put failed, 2: get failed, 3: async get failed";
  // The parent keeps working and saw the child's write.
  EXPECT_EQ("from-child", client_.get(key).get().value().as_string());
  EXPECT_TRUE(rec.wait_value("from-child", seconds(10)));
  EXPECT_NO_THROW(ka.Check());
}

// ---------------------------------------------------------------------------------------------
// A single server going away and coming back.
// ---------------------------------------------------------------------------------------------

TEST(RuntimeRestart, CallsRecoverAfterServerRestart) {
  etcdtest::EtcdCluster etcd(1);
  etcd::Client c(etcd.endpoint());
  etcd::SyncClient s(etcd.endpoint());
  ASSERT_TRUE(c.put("/k", "v").get().is_ok());
  etcd.kill(0);
  etcd::Response down = c.get("/k").get();
  EXPECT_FALSE(down.is_ok());
  EXPECT_TRUE(down.is_network_unavailable()) << down.error_code() << " " << down.error_message();
  etcd::Response sync_down = s.get("/k");
  EXPECT_TRUE(sync_down.is_network_unavailable())
      << sync_down.error_code() << " " << sync_down.error_message();
  // A client created while the server is down works once it is back.
  etcd::Client late(etcd.endpoint());
  EXPECT_FALSE(late.head().get().is_ok());

  ASSERT_TRUE(etcd.restart(0));
  EXPECT_TRUE(wait_until([&] { return c.get("/k").get().is_ok(); }, seconds(20)));
  EXPECT_TRUE(wait_until([&] { return s.get("/k").is_ok(); }, seconds(20)));
  EXPECT_TRUE(wait_until([&] { return late.get("/k").get().is_ok(); }, seconds(20)));
  EXPECT_EQ("v", c.get("/k").get().value().as_string());
}

TEST(RuntimeRestart, WatcherResumesAfterServerRestart) {
  etcdtest::EtcdCluster etcd(1);
  etcd::Client c(etcd.endpoint());
  etcd::SyncClient writer(etcd.endpoint());
  Recorder rec;
  etcd::Watcher w(c, "/r/", writer.head().index() + 1, rec.callback(), true);
  auto write = [&](int i) {
    const std::string v = std::to_string(i);
    return wait_until([&] { return writer.put("/r/" + v, v).is_ok(); }, seconds(30),
                      milliseconds(50));
  };
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(write(i));
  }
  ASSERT_TRUE(rec.wait_size(5, seconds(10)));
  etcd.kill(0);
  ASSERT_TRUE(etcd.restart(0));
  // Written right away, possibly before the watcher is back: nothing may be lost.
  for (int i = 5; i < 10; ++i) {
    ASSERT_TRUE(write(i));
  }
  EXPECT_TRUE(rec.wait_size(10, seconds(30))) << rec.size() << " events";
  std::vector<Seen> ev = rec.events();
  ASSERT_EQ(10u, ev.size());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(std::to_string(i), ev[i].value);
    if (i > 0) {
      EXPECT_GT(ev[i].revision, ev[i - 1].revision);
    }
  }
}

TEST(RuntimeRestart, KeepAliveSurvivesServerRestart) {
  const int ttl = 4;
  etcdtest::EtcdCluster etcd(1);
  etcd::Client c(etcd.endpoint());
  etcdtest::Collector<std::exception_ptr> errors;
  etcd::KeepAlive ka(
      c, [&errors](std::exception_ptr e) { errors.add(e); }, ttl);
  ASSERT_NE(0, ka.Lease());
  etcd::SyncClient checker(etcd.endpoint());
  ASSERT_TRUE(checker.put("/service", "up", ka.Lease()).is_ok());
  etcd.kill(0);
  ASSERT_TRUE(etcd.restart(0));
  auto not_gone = [&] { return checker.get("/service").error_code() != 100; };
  EXPECT_TRUE(holds_for(not_gone, seconds(3 * ttl)));
  EXPECT_TRUE(checker.get("/service").is_ok());
  EXPECT_EQ(0u, errors.size());
  EXPECT_NO_THROW(ka.Check());
}

TEST(RuntimeRestart, WatcherStartsWhenServerComesUp) {
  etcdtest::EtcdCluster etcd(1);
  const std::string endpoint = etcd.endpoint();
  etcd.kill(0);
  etcd::Client c(endpoint);
  Recorder rec;
  etcd::Watcher w(c, "/s/", rec.callback(), true);
  ASSERT_TRUE(etcd.restart(0));
  etcd::SyncClient writer(endpoint);
  int n = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        writer.put("/s/" + std::to_string(n++), "x");
        return rec.wait_size(1, milliseconds(200));
      },
      seconds(30)))
      << "a watcher created while the server was down never delivered";
}

// ---------------------------------------------------------------------------------------------
// 3-member cluster.
// ---------------------------------------------------------------------------------------------

// Endpoints of the members other than `skip`.
std::string endpoints_except(const etcdtest::EtcdCluster& etcd, size_t skip) {
  std::string out;
  for (size_t i = 0; i < etcd.size(); ++i) {
    if (i == skip) {
      continue;
    }
    if (!out.empty()) {
      out += ",";
    }
    out += etcd.endpoint(i);
  }
  return out;
}

TEST(RuntimeCluster, FailoverWhenFirstEndpointIsKilled) {
  etcdtest::EtcdCluster etcd(3);
  etcd::Client c(etcd.endpoints());
  etcd::SyncClient s(etcd.endpoints());
  ASSERT_TRUE(c.put("/k", "v").get().is_ok());
  ASSERT_TRUE(s.get("/k").is_ok());
  etcd.kill(0);
  ASSERT_TRUE(etcd.wait_running_healthy());

  int ok = 0;
  std::string last_error;
  for (int i = 0; i < 20; ++i) {
    etcd::Response r = c.get("/k").get();
    if (r.is_ok() && r.value().as_string() == "v") {
      ++ok;
    } else {
      last_error = std::to_string(r.error_code()) + " " + r.error_message();
    }
  }
  EXPECT_EQ(20, ok) << "Client: " << last_error;
  ok = 0;
  for (int i = 0; i < 20; ++i) {
    etcd::Response r = s.get("/k");
    if (r.is_ok()) {
      ++ok;
    } else {
      last_error = std::to_string(r.error_code()) + " " + r.error_message();
    }
  }
  EXPECT_EQ(20, ok) << "SyncClient: " << last_error;
  ok = 0;
  etcd::Client fresh(etcd.endpoints());
  for (int i = 0; i < 20; ++i) {
    etcd::Response r = i % 2 ? fresh.get("/k").get() : fresh.put("/k", "v").get();
    if (r.is_ok()) {
      ++ok;
    } else {
      last_error = std::to_string(r.error_code()) + " " + r.error_message();
    }
  }
  EXPECT_EQ(20, ok) << "new Client: " << last_error;
}

TEST(RuntimeCluster, KeepAliveSurvivesMemberRestarts) {
  const int ttl = 3;
  etcdtest::EtcdCluster etcd(3);
  etcd::Client c(etcd.endpoints());
  etcdtest::Collector<std::exception_ptr> errors;
  etcd::KeepAlive ka(
      c, [&errors](std::exception_ptr e) { errors.add(e); }, ttl);
  ASSERT_NE(0, ka.Lease());
  etcd::SyncClient checker(etcd.endpoints());
  ASSERT_TRUE(checker.put("/service", "up", ka.Lease()).is_ok());
  // The key is gone only if a read says so (a failed read during fail-over says nothing).
  auto not_gone = [&] { return checker.get("/service").error_code() != 100; };

  for (size_t i = 0; i < etcd.size(); ++i) {
    SCOPED_TRACE("member " + std::to_string(i));
    if (i % 2 == 0) {
      etcd.kill(i);
    } else {
      etcd.stop(i);
    }
    ASSERT_TRUE(etcd.wait_running_healthy());
    EXPECT_TRUE(holds_for(not_gone, seconds(2 * ttl)));
    ASSERT_TRUE(etcd.restart(i));
    EXPECT_TRUE(holds_for(not_gone, seconds(1)));
  }
  etcd::Response r = checker.get("/service");
  EXPECT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_GT(checker.leasetimetolive(ka.Lease()).value().ttl(), 0);
  EXPECT_EQ(0u, errors.size());
  EXPECT_NO_THROW(ka.Check());
}

// Writes keys on its own thread through a multi-endpoint client, recording every attempt (a
// value unique per attempt) and every acknowledged write.
class BackgroundWriter {
 public:
  BackgroundWriter(const std::string& endpoints, const std::string& dir)
      : client_(endpoints),
        dir_(dir),
        repeater_([this] { write_one(); }, milliseconds(5), 1000000) {}
  ~BackgroundWriter() { stop(); }
  void stop() { repeater_.stop(); }

  size_t acknowledged_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_.size();
  }
  bool wait_acknowledged(size_t n, milliseconds timeout) const {
    return wait_until([&] { return acknowledged_count() >= n; }, timeout);
  }
  std::vector<std::string> acknowledged() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_;
  }
  std::set<std::string> attempted() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return attempted_;
  }

 private:
  void write_one() {
    std::string key, value;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      key = dir_ + std::to_string(seq_);
      value = std::to_string(seq_) + "." + std::to_string(attempt_++);
      attempted_.insert(value);
    }
    etcd::Response r = client_.put(key, value);
    if (r.is_ok()) {
      std::lock_guard<std::mutex> lock(mutex_);
      acknowledged_.push_back(value);
      ++seq_;
      attempt_ = 0;
    }
  }

  etcd::SyncClient client_;
  const std::string dir_;
  mutable std::mutex mutex_;
  int seq_ = 0;
  int attempt_ = 0;
  std::set<std::string> attempted_;
  std::vector<std::string> acknowledged_;
  etcdtest::Repeater repeater_;  // last: starts after everything it uses exists
};

TEST(RuntimeCluster, WatcherDeliversEveryEventOnceAcrossMemberKills) {
  etcdtest::EtcdCluster etcd(3);
  etcd::Client c(etcd.endpoints());
  const int64_t from = etcd::SyncClient(etcd.endpoints()).head().index() + 1;
  Recorder rec;
  etcd::Watcher w(c, "/w/", from, rec.callback(), true);

  // Keys are written all the time while members are killed and restarted one at a time.
  BackgroundWriter writer(etcd.endpoints(), "/w/");
  ASSERT_TRUE(writer.wait_acknowledged(5, seconds(30)));
  for (size_t i = 0; i < etcd.size(); ++i) {
    SCOPED_TRACE("member " + std::to_string(i));
    etcd.kill(i);
    ASSERT_TRUE(etcd.wait_running_healthy());
    ASSERT_TRUE(writer.wait_acknowledged(writer.acknowledged_count() + 10, seconds(30)))
        << "writes stalled with a member down";
    ASSERT_TRUE(etcd.restart(i));
    ASSERT_TRUE(writer.wait_acknowledged(writer.acknowledged_count() + 5, seconds(30)));
  }
  writer.stop();
  const std::vector<std::string> acknowledged = writer.acknowledged();
  const std::set<std::string> attempted = writer.attempted();

  const bool all = wait_until(
      [&] {
        std::set<std::string> seen;
        for (const Seen& s : rec.events()) {
          seen.insert(s.value);
        }
        for (const std::string& v : acknowledged) {
          if (!seen.count(v)) {
            return false;
          }
        }
        return true;
      },
      seconds(60));
  std::vector<Seen> ev = rec.events();
  EXPECT_TRUE(all) << "events missing: " << acknowledged.size() << " writes, " << ev.size()
                   << " events";
  std::multiset<std::string> values;
  for (size_t i = 0; i < ev.size(); ++i) {
    values.insert(ev[i].value);
    EXPECT_TRUE(attempted.count(ev[i].value)) << "unexpected event value " << ev[i].value;
    if (i > 0) {
      EXPECT_GT(ev[i].revision, ev[i - 1].revision) << "event " << i << " out of order or repeated";
    }
  }
  for (const std::string& v : acknowledged) {
    EXPECT_EQ(1u, values.count(v)) << "write " << v << " seen " << values.count(v) << " times";
  }
  EXPECT_TRUE(rec.errors().empty());
}

TEST(RuntimeCluster, FrozenMemberIsDetected) {
  etcdtest::EtcdCluster etcd(3);
  etcd::Client c(etcd.endpoints());
  {
    etcd::SyncClient writer(etcd.endpoints());
    ASSERT_TRUE(writer.put("/k", "v").is_ok());
  }
  Recorder rec;
  etcd::Watcher w(c, "/f/", etcd::SyncClient(etcd.endpoints()).head().index() + 1, rec.callback(),
                  true);
  // A lease kept alive through the same client outlives the freezes: detection and fail-over
  // take well under its TTL. The TTL is also longer than one freeze lasts (up to about 40 s
  // here), so that the lease's survival does not depend on what etcd 3.4 does with leases when
  // a leader that was stopped longer than their TTL resumes (one run with a 30 s TTL lost it).
  etcdtest::Collector<std::exception_ptr> errors;
  etcd::KeepAlive ka(
      c, [&errors](std::exception_ptr e) { errors.add(e); }, 90);
  ASSERT_NE(0, ka.Lease());
  ASSERT_TRUE(c.put("/service", "up", ka.Lease()).get().is_ok());

  for (size_t i = 0; i < etcd.size(); ++i) {
    SCOPED_TRACE("member " + std::to_string(i) + " frozen");
    etcd.pause(i);
    ASSERT_TRUE(etcd.wait_running_healthy(seconds(30)));
    etcd::SyncClient writer(endpoints_except(etcd, i));
    const std::string value = "round" + std::to_string(i);
    ASSERT_TRUE(wait_until([&] { return writer.put("/f/" + value, value).is_ok(); }, seconds(30)));
    EXPECT_TRUE(rec.wait_value(value, seconds(45))) << "the watcher did not move on";

    // Calls move on: gets round-robin over the members, so among a few consecutive gets one goes to
    // the frozen member; it waits for the HTTP/2 keep-alive to notice, then completes on another
    // member. From then on every get completes promptly for a while (a frozen member accepts TCP
    // connections, so reconnecting to it must not put it back into use).
    const auto deadline = Clock::now() + seconds(45);
    int ok_in_a_row = 0;
    while (ok_in_a_row < 2 * static_cast<int>(etcd.size()) && Clock::now() < deadline) {
      pplx::task<etcd::Response> t = c.get("/k");
      if (!wait_until([&] { return t.is_done(); },
                      std::chrono::duration_cast<milliseconds>(deadline - Clock::now()))) {
        break;
      }
      ok_in_a_row = t.get().is_ok() ? ok_in_a_row + 1 : 0;
    }
    const bool one_ok = ok_in_a_row >= 2 * static_cast<int>(etcd.size());
    EXPECT_TRUE(one_ok) << "gets did not succeed in a row within 45 s with one member frozen";
    if (one_ok) {
      int done = 0;
      long long slow_ms = 0;
      const bool prompt = holds_for(
          [&] {
            pplx::task<etcd::Response> t = c.get("/k");
            const auto start = Clock::now();
            if (wait_until([&] { return t.is_done(); }, seconds(3)) && t.get().is_ok()) {
              ++done;
              return true;
            }
            slow_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
            return false;
          },
          seconds(15), milliseconds(200));
      EXPECT_TRUE(prompt) << "after " << done << " prompt gets, one took " << slow_ms
                          << " ms or failed: calls go to the frozen member again";
    }
    etcd.resume(i);
    ASSERT_TRUE(etcd.wait_healthy(i));
  }
  etcd::SyncClient checker(etcd.endpoints());
  etcd::Response r = checker.get("/service");
  EXPECT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_GT(checker.leasetimetolive(ka.Lease()).value().ttl(), 0);
  EXPECT_EQ(0u, errors.size());
  EXPECT_NO_THROW(ka.Check());
}

// A member that forwards keep-alives to a frozen leader answers "request timed out" until a new
// leader takes over; the keep-alive must ride over that and keep the lease.
TEST(RuntimeCluster, KeepAliveSurvivesFrozenLeader) {
  const int ttl = 15;
  etcdtest::EtcdCluster etcd(3);
  const int leader = etcd.leader();
  ASSERT_GE(leader, 0);
  // Talk to the followers only, so the keep-alive stream itself is never on the frozen member.
  const std::string followers = endpoints_except(etcd, static_cast<size_t>(leader));
  etcd::Client c(followers);
  etcdtest::Collector<std::exception_ptr> errors;
  etcd::KeepAlive ka(
      c, [&errors](std::exception_ptr e) { errors.add(e); }, ttl);
  ASSERT_NE(0, ka.Lease());
  etcd::SyncClient checker(followers);
  ASSERT_TRUE(checker.put("/service", "up", ka.Lease()).is_ok());

  etcd.pause(static_cast<size_t>(leader));
  ASSERT_TRUE(etcd.wait_running_healthy(seconds(30)));
  auto not_gone = [&] { return checker.get("/service").error_code() != 100; };
  EXPECT_TRUE(holds_for(not_gone, seconds(ttl + 5)));
  etcd.resume(static_cast<size_t>(leader));
  ASSERT_TRUE(etcd.wait_healthy(static_cast<size_t>(leader)));

  etcd::Response r = checker.get("/service");
  EXPECT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_EQ(0u, errors.size());
  for (const std::exception_ptr& e : errors.snapshot()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      ADD_FAILURE() << "keep-alive handler: " << ex.what();
    }
  }
  EXPECT_NO_THROW(ka.Check());
}

// While the cluster has no quorum, the member the keep-alive talks to answers refreshes with
// "etcdserver: no leader" / "etcdserver: request timed out" (after its own 7 s request timeout).
// That is a temporary condition, not a lost lease: the keep-alive must carry on and keep the lease
// once the quorum is back.
TEST(RuntimeCluster, KeepAliveSurvivesTemporaryQuorumLoss) {
  etcdtest::EtcdCluster etcd(3);
  const int leader = etcd.leader();
  ASSERT_GE(leader, 0);
  const size_t live = leader == 0 ? 1 : 0;
  etcd::Client c(etcd.endpoint(live));
  // A long lease, refreshed every second; each refresh may wait 9 s for its answer.
  etcd::Response grant = c.leasegrant(120).get();
  ASSERT_TRUE(grant.is_ok()) << grant.error_message();
  const int64_t lease = grant.value().lease();
  c.set_grpc_timeout(seconds(9));
  etcdtest::Collector<std::exception_ptr> errors;
  etcd::KeepAlive ka(
      c, [&errors](std::exception_ptr e) { errors.add(e); }, 3, lease);
  ASSERT_TRUE(c.put("/service", "up", lease).get().is_ok());

  for (size_t i = 0; i < etcd.size(); ++i) {
    if (i != live) {
      etcd.pause(i);
    }
  }
  EXPECT_FALSE(wait_until([&] { return errors.size() > 0; }, seconds(20)))
      << "the keep-alive gave up while the quorum was lost";
  for (size_t i = 0; i < etcd.size(); ++i) {
    etcd.resume(i);
  }
  ASSERT_TRUE(etcd.wait_running_healthy(seconds(30)));

  for (const std::exception_ptr& e : errors.snapshot()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      ADD_FAILURE() << "keep-alive handler: " << ex.what();
    }
  }
  EXPECT_NO_THROW(ka.Check());
  etcd::SyncClient checker(etcd.endpoints());
  EXPECT_TRUE(checker.get("/service").is_ok());
  EXPECT_GT(checker.leasetimetolive(lease).value().ttl(), 60);
}

}  // namespace
