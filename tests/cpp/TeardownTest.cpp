// Cancel() and destruction of watchers, keep-alives and clients return promptly: with the server
// live, killed, frozen or never reachable, and from inside their own callbacks; no callback runs
// after Cancel() or the destructor has returned.
#include "RuntimeHelpers.hpp"

namespace {

using namespace runtimetest;

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

}  // namespace
