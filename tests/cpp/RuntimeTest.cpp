// Runtime behaviour where this library goes beyond etcd-cpp-apiv3: which threads run user code,
// isolation between slow callbacks, thread usage of idle watchers/keep-alives and in-flight calls,
// the keep-alive refresh period, and use after fork(). Bounded Cancel()/destruction is in
// TeardownTest.cpp, a server restarting and fail-over in a 3-member cluster in FailoverTest.cpp.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "RuntimeHelpers.hpp"

namespace {

using namespace runtimetest;

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

}  // namespace
