// Exceptions escaping user code: watch callbacks, wait callbacks and keep-alive handlers report
// the exception on stderr in one line (kind of callback, type, what()) and the object keeps
// running, whatever was thrown (a std::exception, another class, an int); an exception thrown in
// a `then` continuation goes into the task it returns, as in cpprestsdk.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "EtcdHarness.hpp"
#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"

namespace {

using etcdtest::wait_until;
using std::chrono::milliseconds;

const milliseconds kWait(10000);

// Not derived from std::exception.
struct NotAnException {
  int code;
};

// What a callback throws, and what its report must contain.
enum class Thrown { StdException, OtherClass, Int };

const Thrown kAllKinds[] = {Thrown::StdException, Thrown::OtherClass, Thrown::Int};

void throw_kind(Thrown kind) {
  switch (kind) {
    case Thrown::StdException:
      throw std::runtime_error("boom from the test");
    case Thrown::OtherClass:
      throw NotAnException{7};
    case Thrown::Int:
      throw 42;
  }
}

std::string expected_report(char const* callback, Thrown kind) {
  std::string line = std::string("etcd-cpp-rs: exception escaped a ") + callback +
                     " and was ignored (the caller keeps running): ";
  switch (kind) {
    case Thrown::StdException:
      return line + "std::runtime_error: boom from the test\n";
    case Thrown::OtherClass:
      return line + "(anonymous namespace)::NotAnException\n";
    case Thrown::Int:
      return line + "int\n";
  }
  return line;
}

// Redirects fd 2 into a pipe read by a thread for as long as it exists.
class StderrCapture {
 public:
  StderrCapture() {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    fflush(stderr);
    saved_ = dup(2);
    dup2(fds[1], 2);
    close(fds[1]);
    read_fd_ = fds[0];
    reader_ = std::thread([this] {
      char buf[512];
      for (;;) {
        ssize_t n = read(read_fd_, buf, sizeof buf);
        if (n <= 0) break;
        std::lock_guard<std::mutex> lock(mutex_);
        text_.append(buf, static_cast<size_t>(n));
      }
    });
  }

  ~StderrCapture() {
    fflush(stderr);
    dup2(saved_, 2);  // closes the pipe's last write end: the reader sees end of file
    close(saved_);
    reader_.join();
    close(read_fd_);
  }

  std::string text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

  bool wait_for(std::string const& part) const {
    return wait_until([&] { return text().find(part) != std::string::npos; }, kWait);
  }

 private:
  int saved_ = -1;
  int read_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string text_;
};

class CallbackExceptionTest : public ::testing::Test {
 protected:
  CallbackExceptionTest()
      : etcd_(etcdtest::shared_etcd()), sync_(etcd_.endpoint()), p_(etcdtest::test_prefix()) {}

  int64_t next_revision() { return sync_.head().index() + 1; }

  etcdtest::EtcdCluster& etcd_;
  etcd::SyncClient sync_;
  const std::string p_;
};

TEST_F(CallbackExceptionTest, WatchCallbackReportsAndKeepsWatching) {
  for (Thrown kind : kAllKinds) {
    const std::string key = p_ + "watched" + std::to_string(static_cast<int>(kind));
    std::atomic<int> calls(0);
    std::mutex mutex;
    std::string last_value;
    StderrCapture capture;
    // From the next revision on, so that no event is missed while the watch is being created.
    etcd::Watcher watcher(sync_, key, next_revision(), [&, kind](etcd::Response response) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        last_value = response.value().as_string();
      }
      if (calls.fetch_add(1) == 0) throw_kind(kind);
    });
    ASSERT_TRUE(sync_.put(key, "first").is_ok());
    ASSERT_TRUE(capture.wait_for(expected_report("watch callback", kind)))
        << "stderr: " << capture.text();
    // The watcher is still alive and delivers the next event.
    ASSERT_TRUE(sync_.put(key, "second").is_ok());
    ASSERT_TRUE(wait_until([&] { return calls.load() == 2; }, kWait));
    {
      std::lock_guard<std::mutex> lock(mutex);
      EXPECT_EQ("second", last_value);
    }
    EXPECT_FALSE(watcher.Cancelled());
    EXPECT_TRUE(watcher.Cancel());
    // Exactly one report line for the one exception.
    std::string text = capture.text();
    EXPECT_EQ(text.find("etcd-cpp-rs: exception"), text.rfind("etcd-cpp-rs: exception")) << text;
  }
}

TEST_F(CallbackExceptionTest, WatchCallbackOfAsyncClientWatcher) {
  etcd::Client client(etcd_.endpoint());
  const std::string key = p_ + "async";
  std::atomic<int> calls(0);
  StderrCapture capture;
  etcd::Watcher watcher(client, key, next_revision(), [&](etcd::Response) {
    if (calls.fetch_add(1) == 0) throw 42;
  });
  ASSERT_TRUE(sync_.put(key, "1").is_ok());
  ASSERT_TRUE(capture.wait_for(expected_report("watch callback", Thrown::Int))) << capture.text();
  ASSERT_TRUE(sync_.put(key, "2").is_ok());
  EXPECT_TRUE(wait_until([&] { return calls.load() == 2; }, kWait));
}

TEST_F(CallbackExceptionTest, WaitCallbackReports) {
  for (Thrown kind : kAllKinds) {
    const std::string key = p_ + "wait" + std::to_string(static_cast<int>(kind));
    std::atomic<int> waits(0);
    StderrCapture capture;
    etcd::Watcher watcher(sync_, key, [](etcd::Response) {});
    ASSERT_TRUE(watcher.Wait([&, kind](bool) {
      waits.fetch_add(1);
      throw_kind(kind);
    }));
    EXPECT_TRUE(watcher.Cancel());
    ASSERT_TRUE(capture.wait_for(expected_report("watch wait callback", kind)))
        << "stderr: " << capture.text();
    EXPECT_EQ(1, waits.load());
    EXPECT_TRUE(watcher.Wait());
    EXPECT_TRUE(watcher.Cancelled());
  }
}

TEST_F(CallbackExceptionTest, KeepAliveHandlerReports) {
  for (Thrown kind : kAllKinds) {
    std::atomic<int> calls(0);
    StderrCapture capture;
    etcd::KeepAlive keepalive(
        sync_,
        [&, kind](std::exception_ptr) {
          calls.fetch_add(1);
          throw_kind(kind);
        },
        10, 0);
    ASSERT_NE(0, keepalive.Lease());
    ASSERT_TRUE(sync_.leaserevoke(keepalive.Lease()).is_ok());
    // Check() notices the revoked lease at once (or the refresh loop did before); either way the
    // handler runs once and its exception is reported, and Check() still reports the lease.
    EXPECT_THROW(keepalive.Check(), std::out_of_range);
    ASSERT_TRUE(capture.wait_for(expected_report("keep-alive handler", kind)))
        << "stderr: " << capture.text();
    EXPECT_EQ(1, calls.load());
    EXPECT_THROW(keepalive.Check(), std::out_of_range);
  }
}

TEST_F(CallbackExceptionTest, ThenContinuationExceptionGoesIntoItsTask) {
  etcd::Client client(etcd_.endpoint());
  ASSERT_TRUE(sync_.put(p_ + "k", "v").is_ok());
  StderrCapture capture;

  pplx::task<int> std_error = client.get(p_ + "k").then(
      [](etcd::Response) -> int { throw std::runtime_error("in a continuation"); });
  EXPECT_THROW(std_error.get(), std::runtime_error);

  pplx::task<void> other =
      client.get(p_ + "k").then([](etcd::Response) { throw NotAnException{3}; });
  try {
    other.get();
    ADD_FAILURE() << "get() did not throw";
  } catch (NotAnException const& e) {
    EXPECT_EQ(3, e.code);
  }

  pplx::task<void> number = client.get(p_ + "k").then([](etcd::Response) { throw 42; });
  try {
    number.get();
    ADD_FAILURE() << "get() did not throw";
  } catch (int e) {
    EXPECT_EQ(42, e);
  }
  // A continuation after the failed one sees the exception through its task.
  pplx::task<bool> observed = number.then([](pplx::task<void> previous) {
    try {
      previous.get();
    } catch (int) {
      return true;
    }
    return false;
  });
  EXPECT_TRUE(observed.get());
  // Those exceptions reached the program, so nothing was reported.
  EXPECT_EQ("", capture.text());
}

}  // namespace
