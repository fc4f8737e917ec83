// etcd/Log.hpp (an extension): fail-overs reach the log callback as warnings, on library
// threads; exceptions escaping callbacks go to it as errors instead of stderr; removing the
// callback silences the library; the callback may call the library, including the setter.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/Log.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::milliseconds;

struct Message {
  etcd::LogLevel level;
  std::string text;
  std::string thread;
};

struct Recorder {
  std::mutex mutex;
  std::vector<Message> messages;

  bool has(etcd::LogLevel level, std::string const& part) {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto const& m : messages) {
      if (m.level == level && m.text.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

std::shared_ptr<Recorder> record(etcd::LogLevel max) {
  auto r = std::make_shared<Recorder>();
  etcd::set_log_callback(
      [r](etcd::LogLevel level, std::string const& text) {
        std::lock_guard<std::mutex> lock(r->mutex);
        r->messages.push_back(Message{level, text, etcdtest::current_thread_name()});
      },
      max);
  return r;
}

// Calls on a client whose first endpoint is down: round robin makes some of them fail over.
void fail_over() {
  etcd::ClientOptions options;
  options.connect_timeout = milliseconds(300);
  etcd::SyncClient sync("http://127.0.0.1:1," + etcdtest::shared_endpoint(), options);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(sync.head().is_ok());
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { etcd::set_log_callback(nullptr); }
};

TEST_F(LogTest, FailOverIsAWarningOnALibraryThread) {
  auto r = record(etcd::LogLevel::Warn);
  fail_over();
  ASSERT_TRUE(wait_until([&] { return r->has(etcd::LogLevel::Warn, "127.0.0.1:1 failed"); },
                         milliseconds(10000)));
  std::lock_guard<std::mutex> lock(r->mutex);
  for (auto const& m : r->messages) {
    EXPECT_EQ("etcd-cb", m.thread);
    EXPECT_LE(static_cast<int>(m.level), static_cast<int>(etcd::LogLevel::Warn));
  }
}

TEST_F(LogTest, RemovedCallbackHearsNothing) {
  auto r = record(etcd::LogLevel::Debug);
  etcd::set_log_callback(nullptr);
  fail_over();
  // Other messages would have been delivered by now: a later, installed callback gets its own.
  auto later = record(etcd::LogLevel::Debug);
  fail_over();
  ASSERT_TRUE(
      wait_until([&] { return later->has(etcd::LogLevel::Warn, "failed"); }, milliseconds(10000)));
  std::lock_guard<std::mutex> lock(r->mutex);
  EXPECT_TRUE(r->messages.empty());
}

TEST_F(LogTest, ExceptionEscapingAWatchCallbackIsAnError) {
  auto r = record(etcd::LogLevel::Error);
  const std::string key = etcdtest::test_prefix() + "k";
  etcd::SyncClient sync(etcdtest::shared_endpoint());
  std::atomic<int> calls(0);
  etcd::Watcher watcher(sync, key, [&](etcd::Response) {
    ++calls;
    throw std::runtime_error("thrown by the watch callback");
  });
  ASSERT_TRUE(sync.put(key, "v").is_ok());
  ASSERT_TRUE(wait_until(
      [&] { return r->has(etcd::LogLevel::Error, "std::runtime_error: thrown by the watch"); },
      milliseconds(10000)));
  // The watcher keeps running.
  ASSERT_TRUE(sync.put(key, "w").is_ok());
  EXPECT_TRUE(wait_until([&] { return calls.load() >= 2; }, milliseconds(10000)));
  watcher.Cancel();
}

TEST_F(LogTest, CallbackMayRemoveItself) {
  std::atomic<int> calls(0);
  etcd::set_log_callback(
      [&](etcd::LogLevel, std::string const&) {
        ++calls;
        etcd::set_log_callback(nullptr);
      },
      etcd::LogLevel::Debug);
  fail_over();
  ASSERT_TRUE(wait_until([&] { return calls.load() >= 1; }, milliseconds(10000)));
  const int seen = calls.load();
  fail_over();
  EXPECT_TRUE(etcdtest::holds_for([&] { return calls.load() == seen; }, milliseconds(300)));
}

}  // namespace
