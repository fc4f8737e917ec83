// Helpers shared by the runtime tests (RuntimeTest.cpp, TeardownTest.cpp, FailoverTest.cpp): a
// recorder of watch events and callback threads, a gate that holds a callback, and the fixture
// with a client of the shared server.
#pragma once

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

namespace runtimetest {

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

}  // namespace runtimetest
