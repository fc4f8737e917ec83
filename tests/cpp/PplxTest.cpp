// Tests for the bundled header-only pplx (include/pplx/pplxtasks.h). No etcd server is needed.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "pplx/pplxtasks.h"

namespace {

const std::chrono::seconds kLimit(30);

/// A one-shot flag that threads can wait on with a timeout.
class Signal {
 public:
  void notify() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      set_ = true;
    }
    cv_.notify_all();
  }
  bool wait_for(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, limit, [this] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

/// True if `t` completes (in any way) within `limit`.
template <class T>
bool finishes(const pplx::task<T>& t, std::chrono::seconds limit = kLimit) {
  std::shared_ptr<Signal> done = std::make_shared<Signal>();
  t.then([done](pplx::task<T>) { done->notify(); });
  return done->wait_for(limit);
}

/// A fixed pool of worker threads; counts the work it was given.
class PoolScheduler : public pplx::scheduler_interface {
 public:
  explicit PoolScheduler(int workers) {
    for (int i = 0; i < workers; ++i) threads_.push_back(std::thread([this] { loop(); }));
  }
  ~PoolScheduler() override { shutdown(); }

  void schedule(pplx::TaskProc_t proc, void* param) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::make_pair(proc, param));
      ++scheduled_;
    }
    cv_.notify_one();
  }

  /// Runs all queued work, then stops and joins the workers. Call from a non-worker thread.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::size_t i = 0; i < threads_.size(); ++i)
      if (threads_[i].joinable()) threads_[i].join();
  }

  bool owns(std::thread::id id) const {
    for (std::size_t i = 0; i < threads_.size(); ++i)
      if (threads_[i].get_id() == id) return true;
    return false;
  }

  int scheduled() {
    std::lock_guard<std::mutex> lock(mutex_);
    return scheduled_;
  }

 private:
  void loop() {
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::pair<pplx::TaskProc_t, void*> job = queue_.front();
      queue_.pop_front();
      lock.unlock();
      job.first(job.second);
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<pplx::TaskProc_t, void*> > queue_;
  std::vector<std::thread> threads_;
  int scheduled_ = 0;
  bool stop_ = false;
};

/// Installs a scheduler for the scope and restores the previous one afterwards.
class ScopedScheduler {
 public:
  explicit ScopedScheduler(std::shared_ptr<pplx::scheduler_interface> s)
      : previous_(pplx::get_ambient_scheduler()) {
    pplx::set_ambient_scheduler(std::move(s));
  }
  ~ScopedScheduler() { pplx::set_ambient_scheduler(previous_); }

 private:
  std::shared_ptr<pplx::scheduler_interface> previous_;
};

/// A scheduler that refuses all work.
class RefusingScheduler : public pplx::scheduler_interface {
 public:
  void schedule(pplx::TaskProc_t, void*) override { throw std::runtime_error("refused"); }
};

struct CustomError {
  int code;
};

template <class T>
std::string what_of(const pplx::task<T>& t) {
  try {
    t.get();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no exception";
}

}  // namespace

TEST(PplxTest, ExceptionTypes) {
  EXPECT_STREQ("pplx::task_canceled", pplx::task_canceled().what());
  EXPECT_STREQ("custom", pplx::task_canceled("custom").what());
  const std::exception& op = pplx::invalid_operation("bad");
  EXPECT_STREQ("bad", op.what());
  EXPECT_NE(pplx::not_complete, pplx::completed);
  EXPECT_NE(pplx::completed, pplx::canceled);
  EXPECT_THROW(pplx::cancel_current_task(), pplx::task_canceled);
}

TEST(PplxTest, DefaultConstructedTaskIsEmpty) {
  pplx::task<int> t;
  EXPECT_THROW(t.get(), pplx::invalid_operation);
  EXPECT_THROW(t.wait(), pplx::invalid_operation);
  EXPECT_THROW(t.is_done(), pplx::invalid_operation);
  EXPECT_THROW(t.then([](int) {}), pplx::invalid_operation);
  pplx::task<void> v;
  EXPECT_THROW(v.get(), pplx::invalid_operation);
  EXPECT_THROW(v.wait(), pplx::invalid_operation);
  EXPECT_TRUE(pplx::task<int>() == pplx::task<int>());
  std::vector<pplx::task<int> > with_empty(1);
  EXPECT_THROW(pplx::when_all(with_empty.begin(), with_empty.end()), pplx::invalid_operation);
}

TEST(PplxTest, CompletionEventSetsValueOnce) {
  pplx::task_completion_event<int> event;
  pplx::task<int> t(event);
  EXPECT_FALSE(t.is_done());
  pplx::task_completion_event<int> copy = event;
  EXPECT_TRUE(copy.set(42));
  EXPECT_TRUE(t.is_done());
  EXPECT_FALSE(event.set(7));
  EXPECT_FALSE(event.set_exception(std::runtime_error("late")));
  EXPECT_EQ(pplx::completed, t.wait());
  EXPECT_EQ(42, t.get());
  EXPECT_EQ(42, pplx::create_task(event).get());
}

TEST(PplxTest, CompletionEventFromOtherThread) {
  pplx::task_completion_event<std::string> event;
  pplx::task<std::string> t(event);
  std::thread setter([event] { event.set("hello"); });
  EXPECT_EQ("hello", t.get());
  setter.join();
}

TEST(PplxTest, CompletionEventException) {
  pplx::task_completion_event<int> by_object;
  EXPECT_TRUE(by_object.set_exception(std::runtime_error("boom")));
  EXPECT_FALSE(by_object.set(1));
  pplx::task<int> t(by_object);
  EXPECT_TRUE(t.is_done());
  EXPECT_EQ(pplx::completed, t.wait());  // wait() does not rethrow
  EXPECT_THROW(t.get(), std::runtime_error);
  EXPECT_EQ("boom", what_of(t));

  pplx::task_completion_event<int> by_ptr;
  by_ptr.set_exception(std::make_exception_ptr(CustomError{5}));
  try {
    pplx::task<int>(by_ptr).get();
    ADD_FAILURE() << "get() did not throw";
  } catch (const CustomError& e) {
    EXPECT_EQ(5, e.code);
  }
}

TEST(PplxTest, VoidCompletionEvent) {
  pplx::task_completion_event<void> event;
  pplx::task<void> t(event);
  EXPECT_FALSE(t.is_done());
  EXPECT_TRUE(event.set());
  EXPECT_FALSE(event.set());
  EXPECT_TRUE(t.is_done());
  EXPECT_EQ(pplx::completed, t.wait());
  t.get();

  pplx::task_completion_event<void> failing;
  failing.set_exception(std::logic_error("void failure"));
  pplx::task<void> f(failing);
  EXPECT_EQ(pplx::completed, f.wait());
  EXPECT_THROW(f.get(), std::logic_error);
}

TEST(PplxTest, CopiesShareStateAndCompareEqual) {
  pplx::task_completion_event<int> event;
  pplx::task<int> a(event);
  pplx::task<int> b = a;
  pplx::task<int> c;
  c = a;
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(a == c);
  EXPECT_FALSE(a != b);
  pplx::task<int> other = pplx::task_from_result(1);
  EXPECT_TRUE(a != other);
  EXPECT_TRUE(a != pplx::task<int>());
  event.set(3);
  EXPECT_EQ(3, b.get());
  EXPECT_EQ(3, c.get());
  pplx::task<void> v1 = pplx::task_from_result();
  pplx::task<void> v2 = v1;
  EXPECT_TRUE(v1 == v2);
  EXPECT_TRUE(v1 != pplx::task_from_result());
}

TEST(PplxTest, ValueContinuationChain) {
  pplx::task_completion_event<int> event;
  pplx::task<std::size_t> chain = pplx::task<int>(event)
                                      .then([](int v) { return std::to_string(v * 2); })
                                      .then([](const std::string& s) { return s + "!"; })
                                      .then([](std::string s) { return s.size(); });
  static_assert(std::is_same<decltype(chain), pplx::task<std::size_t> >::value, "type");
  EXPECT_FALSE(chain.is_done());
  event.set(21);
  ASSERT_TRUE(finishes(chain));
  EXPECT_EQ(3u, chain.get());  // "42!"
}

TEST(PplxTest, TaskBasedContinuation) {
  pplx::task_completion_event<int> event;
  pplx::task<int> t(event);
  pplx::task<bool> same =
      t.then([t](pplx::task<int> prev) { return prev == t && prev.get() == 9; });
  event.set(9);
  ASSERT_TRUE(finishes(same));
  EXPECT_TRUE(same.get());
}

TEST(PplxTest, VoidContinuations) {
  std::atomic<int> calls(0);
  pplx::task_completion_event<void> event;
  pplx::task<void> t(event);
  pplx::task<int> value_based = t.then([&calls] {
    ++calls;
    return 5;
  });
  pplx::task<void> task_based = t.then([&calls](pplx::task<void> prev) {
    prev.get();
    ++calls;
  });
  pplx::task<void> to_void = pplx::task_from_result(1).then([&calls](int) { ++calls; });
  event.set();
  ASSERT_TRUE(finishes(value_based));
  ASSERT_TRUE(finishes(task_based));
  ASSERT_TRUE(finishes(to_void));
  EXPECT_EQ(5, value_based.get());
  task_based.get();
  to_void.get();
  EXPECT_EQ(3, calls.load());
}

TEST(PplxTest, FunctionPointerContinuation) {
  struct Fn {
    static int twice(int v) { return v * 2; }
  };
  pplx::task<int> t = pplx::task_from_result(4).then(&Fn::twice);
  EXPECT_EQ(8, t.get());
}

TEST(PplxTest, ExceptionSkipsValueContinuationsAndReachesTaskBased) {
  std::atomic<int> value_runs(0);
  pplx::task_completion_event<int> event;
  pplx::task<int> failed = pplx::task<int>(event)
                               .then([&value_runs](int v) {
                                 ++value_runs;
                                 return v;
                               })
                               .then([&value_runs](int v) {
                                 ++value_runs;
                                 return v;
                               });
  pplx::task<std::string> recovered = failed.then([](pplx::task<int> prev) {
    try {
      prev.get();
    } catch (const std::runtime_error& e) {
      return std::string("recovered from ") + e.what();
    }
    return std::string("no error");
  });
  event.set_exception(std::runtime_error("source"));
  ASSERT_TRUE(finishes(recovered));
  EXPECT_EQ("recovered from source", recovered.get());
  EXPECT_EQ(pplx::completed, failed.wait());
  EXPECT_EQ("source", what_of(failed));
  EXPECT_EQ(0, value_runs.load());
}

TEST(PplxTest, ContinuationExceptionGoesIntoItsTask) {
  pplx::task<int> thrower =
      pplx::task_from_result(1).then([](int) -> int { throw CustomError{11}; });
  pplx::task<int> after = thrower.then([](int v) { return v + 1; });
  ASSERT_TRUE(finishes(after));
  try {
    after.get();
    ADD_FAILURE() << "get() did not throw";
  } catch (const CustomError& e) {
    EXPECT_EQ(11, e.code);
  }
  pplx::task<void> void_thrower =
      pplx::task_from_result().then([] { throw std::out_of_range("range"); });
  ASSERT_TRUE(finishes(void_thrower));
  EXPECT_THROW(void_thrower.get(), std::out_of_range);
  // A task-based continuation that rethrows passes the exception on.
  pplx::task<void> rethrown = void_thrower.then([](pplx::task<void> prev) { prev.get(); });
  ASSERT_TRUE(finishes(rethrown));
  EXPECT_THROW(rethrown.get(), std::out_of_range);
}

TEST(PplxTest, UnwrapsReturnedTask) {
  pplx::task_completion_event<int> inner_event;
  std::shared_ptr<Signal> ran = std::make_shared<Signal>();
  pplx::task<int> outer = pplx::task_from_result(1).then([inner_event, ran](int) {
    ran->notify();
    return pplx::task<int>(inner_event);
  });
  static_assert(std::is_same<decltype(outer), pplx::task<int> >::value, "unwrapped");
  // The continuation has run; the outer task must still wait for the inner one.
  ASSERT_TRUE(ran->wait_for(kLimit));
  EXPECT_FALSE(outer.is_done());
  inner_event.set(77);
  ASSERT_TRUE(finishes(outer));
  EXPECT_EQ(77, outer.get());

  pplx::task<void> void_outer =
      pplx::task_from_result().then([] { return pplx::create_task([] {}); });
  static_assert(std::is_same<decltype(void_outer), pplx::task<void> >::value, "unwrapped void");
  ASSERT_TRUE(finishes(void_outer));
  void_outer.get();

  pplx::task<int> failing_inner = pplx::task_from_result(1).then(
      [](int) { return pplx::task_from_exception<int>(std::runtime_error("inner")); });
  ASSERT_TRUE(finishes(failing_inner));
  EXPECT_EQ("inner", what_of(failing_inner));

  pplx::task<int> empty_inner =
      pplx::task_from_result(1).then([](int) { return pplx::task<int>(); });
  ASSERT_TRUE(finishes(empty_inner));
  EXPECT_THROW(empty_inner.get(), pplx::invalid_operation);
}

namespace {
pplx::task<int> count_down(int n) {
  if (n == 0) return pplx::task_from_result(0);
  return pplx::create_task([n] { return n - 1; }).then([](int next) { return count_down(next); });
}
}  // namespace

TEST(PplxTest, RecursiveUnwrappingChain) {
  pplx::task<int> t = count_down(200);
  ASSERT_TRUE(finishes(t));
  EXPECT_EQ(0, t.get());
}

TEST(PplxTest, ContinuationOnCompletedTask) {
  pplx::task<int> done = pplx::task_from_result(10);
  EXPECT_TRUE(done.is_done());
  pplx::task<int> next = done.then([](int v) { return v + 1; });
  ASSERT_TRUE(finishes(next));
  EXPECT_EQ(11, next.get());
  pplx::task<int> again = done.then([](pplx::task<int> t) { return t.get() + 2; });
  EXPECT_EQ(12, again.get());
}

TEST(PplxTest, CreateTask) {
  std::thread::id caller = std::this_thread::get_id();
  pplx::task<std::thread::id> where = pplx::create_task([] { return std::this_thread::get_id(); });
  ASSERT_TRUE(finishes(where));
  EXPECT_NE(caller, where.get());

  pplx::task<void> nothing = pplx::create_task([] {});
  ASSERT_TRUE(finishes(nothing));
  nothing.get();

  pplx::task<int> failing = pplx::create_task([]() -> int { throw std::runtime_error("body"); });
  ASSERT_TRUE(finishes(failing));
  EXPECT_EQ("body", what_of(failing));

  pplx::task_completion_event<int> event;
  pplx::task<int> unwrapped = pplx::create_task([event] { return pplx::task<int>(event); });
  static_assert(std::is_same<decltype(unwrapped), pplx::task<int> >::value, "unwrapped");
  event.set(8);
  ASSERT_TRUE(finishes(unwrapped));
  EXPECT_EQ(8, unwrapped.get());

  pplx::task<int> same = pplx::create_task(unwrapped);
  EXPECT_TRUE(same == unwrapped);
}

TEST(PplxTest, TaskFromResultAndException) {
  pplx::task<std::string> s = pplx::task_from_result(std::string("ready"));
  EXPECT_TRUE(s.is_done());
  EXPECT_EQ("ready", s.get());
  pplx::task<void> v = pplx::task_from_result();
  EXPECT_TRUE(v.is_done());
  EXPECT_EQ(pplx::completed, v.wait());

  pplx::task<int> by_object = pplx::task_from_exception<int>(std::invalid_argument("arg"));
  EXPECT_TRUE(by_object.is_done());
  EXPECT_THROW(by_object.get(), std::invalid_argument);
  pplx::task<void> by_ptr =
      pplx::task_from_exception<void>(std::make_exception_ptr(std::runtime_error("ptr")));
  EXPECT_THROW(by_ptr.get(), std::runtime_error);
}

TEST(PplxTest, Cancellation) {
  pplx::task<int> canceled = pplx::task_from_result(1).then([](int) -> int {
    pplx::cancel_current_task();
    return 0;
  });
  ASSERT_TRUE(finishes(canceled));
  EXPECT_EQ(pplx::canceled, canceled.wait());
  EXPECT_THROW(canceled.get(), pplx::task_canceled);

  std::atomic<bool> value_ran(false);
  pplx::task<int> skipped = canceled.then([&value_ran](int v) {
    value_ran = true;
    return v;
  });
  ASSERT_TRUE(finishes(skipped));
  EXPECT_EQ(pplx::canceled, skipped.wait());
  EXPECT_FALSE(value_ran.load());

  pplx::task<bool> observed = canceled.then([](pplx::task<int> t) {
    try {
      t.get();
    } catch (const pplx::task_canceled&) {
      return true;
    }
    return false;
  });
  EXPECT_TRUE(observed.get());
  EXPECT_EQ(pplx::completed, observed.wait());

  pplx::task_completion_event<void> event;
  event.set_exception(pplx::task_canceled());
  EXPECT_EQ(pplx::canceled, pplx::task<void>(event).wait());
  EXPECT_EQ(pplx::canceled, pplx::create_task([] { pplx::cancel_current_task(); }).wait());
}

TEST(PplxTest, WhenAllKeepsOrder) {
  std::vector<pplx::task_completion_event<int> > events(5);
  std::vector<pplx::task<int> > tasks;
  for (std::size_t i = 0; i < events.size(); ++i) tasks.push_back(pplx::task<int>(events[i]));
  pplx::task<std::vector<int> > all = pplx::when_all(tasks.begin(), tasks.end());
  for (std::size_t i = events.size(); i-- > 1;) {
    events[i].set(static_cast<int>(i * 10));
    EXPECT_FALSE(all.is_done());
  }
  events[0].set(0);
  ASSERT_TRUE(finishes(all));
  EXPECT_EQ((std::vector<int>{0, 10, 20, 30, 40}), all.get());
}

TEST(PplxTest, WhenAllVoidAndEmpty) {
  std::vector<pplx::task_completion_event<void> > events(3);
  std::vector<pplx::task<void> > tasks;
  for (std::size_t i = 0; i < events.size(); ++i) tasks.push_back(pplx::task<void>(events[i]));
  pplx::task<void> all = pplx::when_all(tasks.begin(), tasks.end());
  events[2].set();
  events[0].set();
  EXPECT_FALSE(all.is_done());
  events[1].set();
  ASSERT_TRUE(finishes(all));
  all.get();

  std::vector<pplx::task<int> > none;
  pplx::task<std::vector<int> > empty = pplx::when_all(none.begin(), none.end());
  EXPECT_TRUE(empty.is_done());
  EXPECT_TRUE(empty.get().empty());
  std::vector<pplx::task<void> > no_void;
  EXPECT_TRUE(pplx::when_all(no_void.begin(), no_void.end()).is_done());

  pplx::task<int> array[] = {pplx::task_from_result(1), pplx::task_from_result(2)};
  EXPECT_EQ((std::vector<int>{1, 2}), pplx::when_all(array, array + 2).get());
}

TEST(PplxTest, WhenAllFailsEarly) {
  pplx::task_completion_event<int> never;
  pplx::task_completion_event<int> failing;
  std::vector<pplx::task<int> > tasks;
  tasks.push_back(pplx::task<int>(never));
  tasks.push_back(pplx::task<int>(failing));
  pplx::task<std::vector<int> > all = pplx::when_all(tasks.begin(), tasks.end());
  failing.set_exception(std::runtime_error("one failed"));
  ASSERT_TRUE(finishes(all));
  EXPECT_EQ("one failed", what_of(all));

  std::vector<pplx::task<void> > voids;
  voids.push_back(pplx::task_from_result());
  voids.push_back(pplx::create_task([] { pplx::cancel_current_task(); }));
  pplx::task<void> canceled = pplx::when_all(voids.begin(), voids.end());
  ASSERT_TRUE(finishes(canceled));
  EXPECT_EQ(pplx::canceled, canceled.wait());
}

namespace {
/// Moves freely; copying an armed instance throws.
struct CopyMayThrow {
  explicit CopyMayThrow(bool a) : armed(a) {}
  CopyMayThrow(CopyMayThrow&& other) noexcept : armed(other.armed) {}
  CopyMayThrow(const CopyMayThrow& other) : armed(other.armed) {
    if (armed) throw std::runtime_error("copy");
  }
  CopyMayThrow& operator=(const CopyMayThrow&) = delete;
  bool armed;
};
}  // namespace

TEST(PplxTest, ThrowingValueCopyIsReported) {
  pplx::task_completion_event<CopyMayThrow> event;
  pplx::task<CopyMayThrow> source(event);
  std::vector<pplx::task<CopyMayThrow> > tasks(1, source);
  pplx::task<std::vector<CopyMayThrow> > all = pplx::when_all(tasks.begin(), tasks.end());
  std::atomic<bool> ran(false);
  pplx::task<void> next = source.then([&ran](CopyMayThrow) { ran = true; });
  EXPECT_TRUE(event.set(CopyMayThrow(true)));  // stored by moving: no throw here
  EXPECT_TRUE(source.is_done());
  EXPECT_EQ("copy", what_of(source));  // get() returns a copy
  ASSERT_TRUE(finishes(all));
  EXPECT_EQ("copy", what_of(all));
  ASSERT_TRUE(finishes(next));
  EXPECT_EQ("copy", what_of(next));
  EXPECT_FALSE(ran.load());
}

TEST(PplxTest, AmbientSchedulerDefaultAndReset) {
  std::shared_ptr<pplx::scheduler_interface> original = pplx::get_ambient_scheduler();
  ASSERT_TRUE(original != nullptr);
  std::shared_ptr<PoolScheduler> pool = std::make_shared<PoolScheduler>(1);
  pplx::set_ambient_scheduler(pool);
  EXPECT_EQ(pool, pplx::get_ambient_scheduler());
  pplx::set_ambient_scheduler(nullptr);
  std::shared_ptr<pplx::scheduler_interface> fallback = pplx::get_ambient_scheduler();
  EXPECT_TRUE(fallback != nullptr);
  EXPECT_NE(pool, fallback);
  pplx::set_ambient_scheduler(original);
  EXPECT_EQ(original, pplx::get_ambient_scheduler());
  pool->shutdown();
}

TEST(PplxTest, CustomSchedulerRunsWorkOffTheCallingThread) {
  std::shared_ptr<PoolScheduler> pool = std::make_shared<PoolScheduler>(3);
  {
    ScopedScheduler scoped(pool);
    const std::thread::id caller = std::this_thread::get_id();

    pplx::task<std::thread::id> on_done =
        pplx::task_from_result(1).then([](int) { return std::this_thread::get_id(); });
    ASSERT_TRUE(finishes(on_done));
    EXPECT_NE(caller, on_done.get());
    EXPECT_TRUE(pool->owns(on_done.get()));

    pplx::task_completion_event<void> event;
    pplx::task<std::thread::id> later =
        pplx::task<void>(event).then([] { return std::this_thread::get_id(); });
    event.set();  // completes on this thread; the continuation still goes to the pool
    ASSERT_TRUE(finishes(later));
    EXPECT_TRUE(pool->owns(later.get()));

    pplx::task<std::thread::id> body = pplx::create_task([] { return std::this_thread::get_id(); });
    ASSERT_TRUE(finishes(body));
    EXPECT_TRUE(pool->owns(body.get()));
    EXPECT_GE(pool->scheduled(), 3);
  }
  pool->shutdown();
}

TEST(PplxTest, DefaultSchedulerRunsContinuationOnAnotherThread) {
  const std::thread::id caller = std::this_thread::get_id();
  pplx::task<std::thread::id> t =
      pplx::task_from_result().then([] { return std::this_thread::get_id(); });
  ASSERT_TRUE(finishes(t));
  EXPECT_NE(caller, t.get());
}

TEST(PplxTest, SchedulingFailureGoesIntoTheTask) {
  pplx::task<int> then_task;
  pplx::task<int> created;
  {
    ScopedScheduler scoped(std::make_shared<RefusingScheduler>());
    then_task = pplx::task_from_result(1).then([](int v) { return v; });
    created = pplx::create_task([] { return 2; });
  }
  EXPECT_TRUE(then_task.is_done());
  EXPECT_EQ("refused", what_of(then_task));
  EXPECT_EQ("refused", what_of(created));
}

TEST(PplxTest, AbandonedEventReleasesContinuations) {
  std::weak_ptr<int> watch;
  {
    std::shared_ptr<int> sentinel = std::make_shared<int>(1);
    watch = sentinel;
    pplx::task_completion_event<int> event;
    pplx::task<int> t(event);
    t.then([sentinel](int v) { return v + *sentinel; });
    t.then([sentinel](pplx::task<int>) {});
    std::vector<pplx::task<int> > tasks(1, t);
    pplx::when_all(tasks.begin(), tasks.end()).then([sentinel](std::vector<int>) {});
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}

TEST(PplxTest, ConcurrentSetRace) {
  for (int round = 0; round < 20; ++round) {
    pplx::task_completion_event<int> event;
    pplx::task<int> t(event);
    std::atomic<int> winners(0);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
      threads.push_back(std::thread([event, &winners, i] {
        if (event.set(i)) ++winners;
      }));
    for (std::size_t i = 0; i < threads.size(); ++i) threads[i].join();
    EXPECT_EQ(1, winners.load());
    int v = t.get();
    EXPECT_TRUE(v >= 0 && v < 8);
  }
}

namespace {

// 200 threads; thread i attaches continuations to event i while thread i-1 sets it, then reads
// all its results. A when_all over every continuation checks the total.
void stress(int threads_count, int continuations) {
  std::vector<pplx::task_completion_event<int> > events(static_cast<std::size_t>(threads_count));
  std::vector<std::vector<pplx::task<int> > > results(events.size());
  std::vector<long> sums(events.size(), 0);
  std::atomic<int> runs(0);
  std::vector<std::thread> threads;
  for (int i = 0; i < threads_count; ++i) {
    threads.push_back(std::thread([&, i] {
      const std::size_t me = static_cast<std::size_t>(i);
      pplx::task<int> source(events[me]);
      for (int k = 0; k < continuations; ++k) {
        if (k % 2 == 0)
          results[me].push_back(source.then([&runs, k](int v) {
            ++runs;
            return v + k;
          }));
        else
          results[me].push_back(source.then([&runs, k](pplx::task<int> t) {
            ++runs;
            return t.get() + k;
          }));
      }
      events[(me + 1) % events.size()].set(i + 1);
      for (std::size_t k = 0; k < results[me].size(); ++k) sums[me] += results[me][k].get();
    }));
  }
  for (std::size_t i = 0; i < threads.size(); ++i) threads[i].join();

  std::vector<pplx::task<int> > flat;
  for (std::size_t i = 0; i < results.size(); ++i)
    flat.insert(flat.end(), results[i].begin(), results[i].end());
  pplx::task<std::vector<int> > all = pplx::when_all(flat.begin(), flat.end());
  ASSERT_TRUE(finishes(all));
  EXPECT_EQ(flat.size(), all.get().size());
  EXPECT_EQ(threads_count * continuations, runs.load());
  const long per_k = static_cast<long>(continuations) * (continuations - 1) / 2;
  for (int i = 0; i < threads_count; ++i) {
    // Event i holds i; event 0 was set by the last thread, to threads_count.
    const long value = i == 0 ? threads_count : i;
    EXPECT_EQ(value * continuations + per_k, sums[static_cast<std::size_t>(i)]) << "thread " << i;
  }
}

}  // namespace

TEST(PplxTest, ConcurrentStressDefaultScheduler) { stress(200, 6); }

TEST(PplxTest, ConcurrentStressPoolScheduler) {
  std::shared_ptr<PoolScheduler> pool = std::make_shared<PoolScheduler>(4);
  {
    ScopedScheduler scoped(pool);
    stress(200, 20);
  }
  pool->shutdown();
}
