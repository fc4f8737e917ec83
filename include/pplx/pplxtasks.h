/**
 * \file pplx/pplxtasks.h
 * \brief Header-only implementation of the `pplx::task` API used by etcd-cpp-apiv3 programs.
 *
 * It provides the part of cpprestsdk's pplx that `etcd::Client` and its users rely on:
 * `task<T>`, `task_completion_event<T>`, continuations with `then()` (value-based and task-based,
 * with unwrapping of returned tasks), `create_task`, `task_from_result`, `task_from_exception`,
 * `when_all`, and a replaceable ambient scheduler. Only standard C++11 headers are used.
 *
 * Differences from cpprestsdk worth knowing:
 * - `task::wait()` does not rethrow a stored exception; it returns `completed` (or `canceled`), and
 *   `get()` rethrows.
 * - A task is canceled when it holds a `task_canceled` exception (thrown by `cancel_current_task()`
 *   inside a task body or continuation, or set on a `task_completion_event`). Cancellation tokens,
 *   task options and continuation contexts are not provided.
 * - The default scheduler runs every piece of work on a new detached `std::thread`.
 *
 * Coexistence with cpprestsdk: the real cpprestsdk header is guarded by `_PPLXTASKS_H`. If that
 * macro is already defined when this file is included, cpprestsdk's pplx is in use and this file
 * adds nothing. Otherwise this file defines `_PPLXTASKS_H` itself, so that a later include of
 * cpprestsdk's header in the same translation unit is skipped instead of producing duplicate
 * definitions. Mixing both implementations in one program (different translation units) is not
 * supported.
 */
#ifndef ETCD_PPLX_PPLXTASKS_H
#define ETCD_PPLX_PPLXTASKS_H

#ifndef _PPLXTASKS_H
#define _PPLXTASKS_H

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace pplx {

/// \brief Terminal state reported by `task::wait()`.
enum task_status { not_complete, completed, canceled };

/// \brief Thrown by `task::get()` when the task was canceled.
class task_canceled : public std::exception {
 public:
  task_canceled() : message_("pplx::task_canceled") {}
  /// \brief Creates the exception with a custom message.
  explicit task_canceled(const char* message) : message_(message) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

/// \brief Thrown when an operation is used on a task in a state that does not allow it (for example
/// `get()` on a default-constructed task).
class invalid_operation : public std::exception {
 public:
  invalid_operation() : message_("pplx::invalid_operation") {}
  /// \brief Creates the exception with a custom message.
  explicit invalid_operation(const char* message) : message_(message) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

/// \brief Cancels the task or continuation whose body calls it (throws `task_canceled`).
inline void cancel_current_task() { throw task_canceled(); }

/// \brief A unit of work handed to a scheduler.
typedef void (*TaskProc_t)(void*);

/// \brief Runs task bodies and continuations. An implementation must call `proc(param)` exactly
/// once, on any thread, or throw from `schedule()` without ever calling it (the pending task then
/// receives that exception).
struct scheduler_interface {
  /// \brief Arranges for `proc(param)` to run.
  virtual void schedule(TaskProc_t proc, void* param) = 0;
  virtual ~scheduler_interface() {}
};

namespace details {

/// \brief The default scheduler: one detached thread per piece of work.
class thread_scheduler : public scheduler_interface {
 public:
  void schedule(TaskProc_t proc, void* param) override { std::thread(proc, param).detach(); }
};

/// \brief Process-wide scheduler slot.
struct ambient_slot {
  std::mutex mutex;
  std::shared_ptr<scheduler_interface> current;
  std::shared_ptr<scheduler_interface> fallback = std::make_shared<thread_scheduler>();
};

/// \brief The one slot of the process. Deliberately never destroyed, so that detached threads that
/// still schedule work during program exit do not touch a destroyed object.
inline ambient_slot& ambient() {
  static ambient_slot* slot = new ambient_slot();
  return *slot;
}

}  // namespace details

/// \brief Returns the scheduler that runs task bodies and continuations (never null).
inline std::shared_ptr<scheduler_interface> get_ambient_scheduler() {
  details::ambient_slot& slot = details::ambient();
  std::lock_guard<std::mutex> lock(slot.mutex);
  return slot.current ? slot.current : slot.fallback;
}

/// \brief Replaces the ambient scheduler for work scheduled from now on; `nullptr` restores the
/// default thread-per-task scheduler. Thread-safe.
inline void set_ambient_scheduler(std::shared_ptr<scheduler_interface> scheduler) {
  details::ambient_slot& slot = details::ambient();
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.current = std::move(scheduler);
}

template <class T>
class task;
template <class T>
class task_completion_event;

namespace details {

/// \brief Type-independent part of a task's shared state: completion flag, stored exception and
/// the callbacks to run once the state completes.
class state_base : public std::enable_shared_from_this<state_base> {
 public:
  /// \brief Called once with the completed state (passed in so that it need not be captured).
  typedef std::function<void(const std::shared_ptr<state_base>&)> callback;

  virtual ~state_base() {}

  /// \brief Completes the state with an exception; a `task_canceled` marks it canceled.
  bool set_exception(std::exception_ptr e) {
    if (!e) e = std::make_exception_ptr(invalid_operation("pplx: null exception_ptr"));
    bool cancel = false;
    try {
      std::rethrow_exception(e);
    } catch (const task_canceled&) {
      cancel = true;
    } catch (...) {
    }
    return complete([&] {
      error = e;
      was_canceled = cancel;
    });
  }

  /// \brief Runs `cb` once the state is complete: at once if it already is, otherwise on the thread
  /// that completes it.
  void on_complete(callback cb) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!done_) {
        callbacks_.push_back(std::move(cb));
        return;
      }
    }
    cb(shared_from_this());
  }

  /// \brief Blocks until the state is complete.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
  }

  /// \brief Whether the state is complete.
  bool is_done() {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }

  /// \brief Stored exception (null for a value). Immutable once the state is complete.
  std::exception_ptr error;
  /// \brief Whether the stored exception is a `task_canceled`.
  bool was_canceled = false;

 protected:
  /// \brief Stores the outcome with `store` unless already complete, then wakes waiters and runs
  /// the callbacks outside the lock. Returns false if the state was already complete.
  template <class Store>
  bool complete(Store store) {
    std::vector<callback> run;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (done_) return false;
      store();
      done_ = true;
      run.swap(callbacks_);
    }
    cv_.notify_all();
    if (!run.empty()) {
      std::shared_ptr<state_base> self = shared_from_this();
      for (std::size_t i = 0; i < run.size(); ++i) run[i](self);
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::vector<callback> callbacks_;
};

/// \brief Shared state of a `task<T>`.
template <class T>
class state : public state_base {
 public:
  /// \brief Completes the state with a value. Returns false if it was already complete.
  bool set_value(T v) {
    std::unique_ptr<T> p(new T(std::move(v)));
    return complete([&] { value = std::move(p); });
  }
  /// \brief Copies the outcome of another complete state.
  bool set_from(const state& other) {
    return other.error ? set_exception(other.error) : set_value(*other.value);
  }
  /// \brief Stored value (null until completed with a value). Immutable once complete.
  std::unique_ptr<T> value;
};

/// \brief Shared state of a `task<void>`.
template <>
class state<void> : public state_base {
 public:
  bool set_value() {
    return complete([] {});
  }
  bool set_from(const state& other) {
    return other.error ? set_exception(other.error) : set_value();
  }
};

/// \brief Scheduler entry point: runs and frees a boxed closure.
inline void run_boxed(void* param) {
  std::unique_ptr<std::function<void()> > work(static_cast<std::function<void()>*>(param));
  (*work)();
}

/// \brief Hands `work` to the ambient scheduler; if scheduling fails, `target` gets the error.
inline void post(const std::shared_ptr<state_base>& target, std::function<void()> work) {
  try {
    std::unique_ptr<std::function<void()> > box(new std::function<void()>(std::move(work)));
    get_ambient_scheduler()->schedule(&run_boxed, box.get());
    box.release();
  } catch (...) {
    target->set_exception(std::current_exception());
  }
}

/// \brief Private access to the state behind tasks and events.
struct access {
  template <class T>
  static const std::shared_ptr<state<T> >& get(const task<T>& t) {
    return t.state_;
  }
  template <class T>
  static const std::shared_ptr<state<T> >& get(const task_completion_event<T>& e) {
    return e.state_;
  }
  template <class T>
  static task<T> make(std::shared_ptr<state<T> > s) {
    task<T> t;
    t.state_ = std::move(s);
    return t;
  }
  /// \brief The state of `t`, or `invalid_operation` if `t` is a default-constructed task.
  template <class T>
  static const std::shared_ptr<state<T> >& require(const task<T>& t) {
    if (!t.state_) throw invalid_operation("pplx: operation on a default-constructed task");
    return t.state_;
  }
};

/// \brief Makes `outer` complete like `inner` once `inner` completes (task unwrapping).
template <class R>
void link(const std::shared_ptr<state<R> >& inner, const std::shared_ptr<state<R> >& outer) {
  inner->on_complete([outer](const std::shared_ptr<state_base>& done) {
    std::shared_ptr<state<R> > in = std::static_pointer_cast<state<R> >(done);
    // Scheduled rather than run inline, so long chains of unwrapped tasks do not recurse.
    details::post(outer, [in, outer] { outer->set_from(*in); });
  });
}

/// \brief How a function result of type `Raw` completes a state; `result` is the task value type.
template <class Raw>
struct fulfil {
  typedef Raw result;
  template <class C>
  static void apply(const std::shared_ptr<state<Raw> >& s, C& c) {
    s->set_value(c());
  }
};
template <>
struct fulfil<void> {
  typedef void result;
  template <class C>
  static void apply(const std::shared_ptr<state<void> >& s, C& c) {
    c();
    s->set_value();
  }
};
template <class R>
struct fulfil<task<R> > {
  typedef R result;
  template <class C>
  static void apply(const std::shared_ptr<state<R> >& s, C& c) {
    task<R> inner = c();
    details::link(access::require(inner), s);
  }
};

/// \brief Task value type produced by a function returning `Raw` (unwraps `task<R>` to `R`).
template <class Raw>
struct result_of_raw {
  typedef typename fulfil<typename std::decay<Raw>::type>::result type;
};

/// \brief Runs `c` and stores its result or exception into `s`.
template <class Raw, class C>
void run(const std::shared_ptr<state<typename result_of_raw<Raw>::type> >& s, C c) {
  try {
    fulfil<typename std::decay<Raw>::type>::apply(s, c);
  } catch (...) {
    s->set_exception(std::current_exception());
  }
}

/// \brief True if `F` can be called with a `task<T>` (task-based continuation).
template <class T, class F>
struct takes_task {
  template <class G>
  static auto test(G* g) -> decltype(void((*g)(std::declval<task<T> >())), std::true_type());
  template <class G>
  static std::false_type test(...);
  static const bool value = decltype(test<F>(nullptr))::value;
};

/// \brief Calls a value-based continuation with a copy of the antecedent's value.
template <class T>
struct value_call {
  template <class F>
  static auto call(F& f, const state<T>& a) -> decltype(f(std::declval<T>())) {
    return f(T(*a.value));
  }
};
template <>
struct value_call<void> {
  template <class F>
  static auto call(F& f, const state<void>&) -> decltype(f()) {
    return f();
  }
};

/// \brief Describes `task<T>::then(F)`: the raw return type of `f`, whether `f` is skipped when the
/// antecedent failed, and how `f` is called.
template <class T, class F, bool TaskBased = takes_task<T, F>::value>
struct then_traits {
  typedef decltype(std::declval<F&>()(std::declval<task<T> >())) raw;
  static const bool skip_on_error = false;
  static raw call(F& f, const std::shared_ptr<state<T> >& a) { return f(access::make<T>(a)); }
};
template <class T, class F>
struct then_traits<T, F, false> {
  typedef decltype(value_call<T>::call(std::declval<F&>(), std::declval<const state<T>&>())) raw;
  static const bool skip_on_error = true;
  static raw call(F& f, const std::shared_ptr<state<T> >& a) { return value_call<T>::call(f, *a); }
};

/// \brief Common part of `task<T>` and `task<void>`.
template <class T>
class task_base {
 public:
  /// \brief Value type of the task.
  typedef T result_type;

  /// \brief Blocks until the task completes. Returns `completed` or `canceled`; a stored exception
  /// is not thrown here (call `get()` to observe it). Throws `invalid_operation` on an empty task.
  task_status wait() const {
    const std::shared_ptr<state<T> >& s = access::require(self());
    s->wait();
    return s->was_canceled ? canceled : completed;
  }

  /// \brief Whether the task has completed (with a value, an exception or canceled).
  bool is_done() const { return access::require(self())->is_done(); }

  /// \brief Adds a continuation that runs on the ambient scheduler once this task completes.
  ///
  /// `f` takes either `T` (value-based; for `task<void>`: no argument) or `task<T>` (task-based).
  /// A value-based continuation is skipped if this task holds an exception or was canceled, and the
  /// returned task gets the same outcome. A task-based one always runs and can call `get()`. If `f`
  /// returns `task<R>`, the returned task is `task<R>` and completes when that inner task does.
  /// An exception thrown by `f` is stored in the returned task.
  template <class F>
  auto then(F f) const -> task<typename result_of_raw<typename then_traits<T, F>::raw>::type> {
    typedef then_traits<T, F> traits;
    typedef typename traits::raw raw;
    typedef typename result_of_raw<raw>::type result;
    std::shared_ptr<state<result> > r = std::make_shared<state<result> >();
    access::require(self())->on_complete([r, f](const std::shared_ptr<state_base>& done) {
      std::shared_ptr<state<T> > a = std::static_pointer_cast<state<T> >(done);
      details::post(r, [a, r, f]() mutable {
        if (traits::skip_on_error && a->error) {
          r->set_exception(a->error);
          return;
        }
        details::run<raw>(r, [&] { return traits::call(f, a); });
      });
    });
    return access::make<result>(r);
  }

  /// \brief True if both handles refer to the same task.
  bool operator==(const task<T>& other) const { return state_ == access::get(other); }
  /// \brief True if the handles refer to different tasks.
  bool operator!=(const task<T>& other) const { return !(*this == other); }

 protected:
  task_base() {}
  friend struct access;
  std::shared_ptr<state<T> > state_;

 private:
  const task<T>& self() const { return static_cast<const task<T>&>(*this); }
};

}  // namespace details

/// \brief Producer side of a task: completing the event completes every task made from it.
/// Copies share the same event.
template <class T>
class task_completion_event {
 public:
  task_completion_event() : state_(std::make_shared<details::state<T> >()) {}

  /// \brief Completes the event with `value`. Returns false if it was already completed.
  bool set(T value) const { return state_->set_value(std::move(value)); }
  /// \brief Completes the event with an exception. Returns false if it was already completed.
  bool set_exception(std::exception_ptr e) const { return state_->set_exception(std::move(e)); }
  /// \brief Completes the event with a copy of exception object `e`.
  template <class E>
  bool set_exception(E e) const {
    return set_exception(std::make_exception_ptr(e));
  }

 private:
  friend struct details::access;
  std::shared_ptr<details::state<T> > state_;
};

/// \brief `task_completion_event` for tasks without a value.
template <>
class task_completion_event<void> {
 public:
  task_completion_event() : state_(std::make_shared<details::state<void> >()) {}

  /// \brief Completes the event. Returns false if it was already completed.
  bool set() const { return state_->set_value(); }
  /// \brief Completes the event with an exception. Returns false if it was already completed.
  bool set_exception(std::exception_ptr e) const { return state_->set_exception(std::move(e)); }
  /// \brief Completes the event with a copy of exception object `e`.
  template <class E>
  bool set_exception(E e) const {
    return set_exception(std::make_exception_ptr(e));
  }

 private:
  friend struct details::access;
  std::shared_ptr<details::state<void> > state_;
};

/// \brief Handle to an asynchronous result of type `T`. Copies share the same task; a
/// default-constructed task is empty and `get()`/`wait()`/`then()` on it throw `invalid_operation`.
template <class T>
class task : public details::task_base<T> {
 public:
  /// \brief An empty task.
  task() {}
  /// \brief A task that completes when `event` is completed.
  explicit task(const task_completion_event<T>& event) {
    this->state_ = details::access::get(event);
  }

  /// \brief Blocks until the task completes and returns a copy of its value; rethrows a stored
  /// exception, throws `task_canceled` if the task was canceled.
  T get() const {
    const std::shared_ptr<details::state<T> >& s = details::access::require(*this);
    s->wait();
    if (s->error) std::rethrow_exception(s->error);
    return *s->value;
  }
};

/// \brief Handle to an asynchronous operation without a value.
template <>
class task<void> : public details::task_base<void> {
 public:
  /// \brief An empty task.
  task() {}
  /// \brief A task that completes when `event` is set.
  explicit task(const task_completion_event<void>& event) { state_ = details::access::get(event); }

  /// \brief Blocks until the task completes; rethrows a stored exception, throws `task_canceled` if
  /// the task was canceled.
  void get() const {
    const std::shared_ptr<details::state<void> >& s = details::access::require(*this);
    s->wait();
    if (s->error) std::rethrow_exception(s->error);
  }
};

/// \brief Runs `f` on the ambient scheduler and returns a task of its result. If `f` returns
/// `task<R>`, the result is `task<R>`, completing when that task does.
template <class F>
auto create_task(F f) -> task<typename details::result_of_raw<decltype(f())>::type> {
  typedef decltype(f()) raw;
  typedef typename details::result_of_raw<raw>::type result;
  std::shared_ptr<details::state<result> > r = std::make_shared<details::state<result> >();
  details::post(r, [r, f]() mutable { details::run<raw>(r, f); });
  return details::access::make<result>(r);
}

/// \brief A task completed by `event`.
template <class T>
task<T> create_task(const task_completion_event<T>& event) {
  return task<T>(event);
}

/// \brief Returns `t` itself.
template <class T>
task<T> create_task(const task<T>& t) {
  return t;
}

/// \brief A task already completed with `value`.
template <class T>
task<T> task_from_result(T value) {
  task_completion_event<T> event;
  event.set(std::move(value));
  return task<T>(event);
}

/// \brief A `task<void>` that is already completed.
inline task<void> task_from_result() {
  task_completion_event<void> event;
  event.set();
  return task<void>(event);
}

/// \brief A task already completed with exception `e` (an object or a `std::exception_ptr`).
template <class T, class E>
task<T> task_from_exception(E e) {
  task_completion_event<T> event;
  event.set_exception(e);
  return task<T>(event);
}

namespace details {

/// \brief Implementation of `when_all` for value tasks.
template <class T>
struct when_all_impl {
  typedef task<std::vector<T> > type;

  struct join {
    std::mutex mutex;
    std::vector<std::unique_ptr<T> > slots;
    std::size_t remaining;
    std::shared_ptr<state<std::vector<T> > > out;
  };

  template <class It>
  static type run(It begin, It end) {
    std::vector<std::shared_ptr<state<T> > > inputs;
    for (; begin != end; ++begin) inputs.push_back(access::require(*begin));
    std::shared_ptr<join> j = std::make_shared<join>();
    j->out = std::make_shared<state<std::vector<T> > >();
    j->slots.resize(inputs.size());
    j->remaining = inputs.size();
    if (inputs.empty()) j->out->set_value(std::vector<T>());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      inputs[i]->on_complete([j, i](const std::shared_ptr<state_base>& done) {
        const state<T>& in = static_cast<const state<T>&>(*done);
        if (in.error) {  // The first failure completes the result; the join never finishes.
          j->out->set_exception(in.error);
          return;
        }
        try {  // Copying T may throw; that must not escape into the completing thread.
          std::unique_ptr<T> v(new T(*in.value));
          {
            std::lock_guard<std::mutex> lock(j->mutex);
            j->slots[i] = std::move(v);
            if (--j->remaining != 0) return;
          }
          std::vector<T> all;
          all.reserve(j->slots.size());
          for (std::size_t k = 0; k < j->slots.size(); ++k) all.push_back(std::move(*j->slots[k]));
          j->out->set_value(std::move(all));
        } catch (...) {
          j->out->set_exception(std::current_exception());
        }
      });
    }
    return access::make<std::vector<T> >(j->out);
  }
};

/// \brief Implementation of `when_all` for `task<void>`.
template <>
struct when_all_impl<void> {
  typedef task<void> type;

  struct join {
    std::mutex mutex;
    std::size_t remaining;
    std::shared_ptr<state<void> > out;
  };

  template <class It>
  static type run(It begin, It end) {
    std::vector<std::shared_ptr<state<void> > > inputs;
    for (; begin != end; ++begin) inputs.push_back(access::require(*begin));
    std::shared_ptr<join> j = std::make_shared<join>();
    j->out = std::make_shared<state<void> >();
    j->remaining = inputs.size();
    if (inputs.empty()) j->out->set_value();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      inputs[i]->on_complete([j](const std::shared_ptr<state_base>& done) {
        if (done->error) {
          j->out->set_exception(done->error);
          return;
        }
        {
          std::lock_guard<std::mutex> lock(j->mutex);
          if (--j->remaining != 0) return;
        }
        j->out->set_value();
      });
    }
    return access::make<void>(j->out);
  }
};

/// \brief Value type of the tasks an iterator refers to.
template <class Iterator>
struct value_of {
  typedef typename std::iterator_traits<Iterator>::value_type::result_type type;
};

}  // namespace details

/// \brief A task that completes when all tasks in `[begin, end)` have completed:
/// `task<std::vector<T>>` with their values in order (`task<void>` for void tasks). It completes
/// early with the exception (or cancellation) of the first task that fails. An empty range gives
/// an already-completed task.
template <class Iterator>
typename details::when_all_impl<typename details::value_of<Iterator>::type>::type when_all(
    Iterator begin, Iterator end) {
  return details::when_all_impl<typename details::value_of<Iterator>::type>::run(begin, end);
}

}  // namespace pplx

#endif  // _PPLXTASKS_H
#endif  // ETCD_PPLX_PPLXTASKS_H
