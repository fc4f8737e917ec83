// Test harness shared by the C++ test suites: runs real etcd servers (single member or a small
// cluster) on free loopback ports with temporary data directories, plus small helpers the tests
// use (condition waits with deadlines, per-test key prefixes, thread inspection).
//
// A cluster may serve clients over TLS with client-certificate authentication (certificates made
// with openssl in its directory), take extra etcd flags, and have users, roles and
// authentication set up through etcd's JSON gateway (see ClusterOptions and EtcdCluster).
//
// Every function here is inline so that each test executable only needs to include this header.
// Member processes are started with fork/exec from the thread that calls start()/restart(); they
// get SIGKILL when that thread ends, so call those from the test's main thread.
#ifndef ETCD_CPP_RS_TESTS_ETCD_HARNESS_HPP
#define ETCD_CPP_RS_TESTS_ETCD_HARNESS_HPP

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace etcdtest {

using Clock = std::chrono::steady_clock;

/// Evaluates `pred` until it returns true or `timeout` has passed; returns the last result.
/// Polls with a short pause between evaluations.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(10)) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pred()) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return pred();
    }
    std::this_thread::sleep_for(step);
  }
}

/// Evaluates `pred` repeatedly for `duration`; returns false as soon as it is false once.
/// Used where the passing of time is itself what a test checks (e.g. a lease outliving its TTL).
template <class Pred>
bool holds_for(Pred pred, std::chrono::milliseconds duration,
               std::chrono::milliseconds step = std::chrono::milliseconds(100)) {
  const auto end = Clock::now() + duration;
  while (Clock::now() < end) {
    if (!pred()) {
      return false;
    }
    std::this_thread::sleep_for(step);
  }
  return pred();
}

/// Milliseconds elapsed while running `f`.
template <class F>
long long elapsed_ms(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

/// "/<TestSuite>.<TestName>/" for the running test, so tests sharing a server never collide.
inline std::string test_prefix() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) {
    return "/no-test/";
  }
  return std::string("/") + info->test_suite_name() + "." + info->name() + "/";
}

/// Number of OS threads of this process (entries of /proc/self/task).
inline int thread_count() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) {
    return -1;
  }
  int n = 0;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') {
      ++n;
    }
  }
  closedir(dir);
  return n;
}

/// Names of all threads of this process (from /proc/self/task/<tid>/comm).
inline std::vector<std::string> thread_names() {
  std::vector<std::string> names;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) {
    return names;
  }
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    std::ifstream in(std::string("/proc/self/task/") + entry->d_name + "/comm");
    std::string name;
    std::getline(in, name);
    names.push_back(name);
  }
  closedir(dir);
  return names;
}

/// Name of the calling thread (at most 15 characters on Linux).
inline std::string current_thread_name() {
  char buf[64] = {0};
  if (pthread_getname_np(pthread_self(), buf, sizeof buf) != 0) {
    return std::string();
  }
  return std::string(buf);
}

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// Waits (polling, bounded) for child `pid` to exit; returns true and the raw status if it did.
inline bool wait_child(pid_t pid, std::chrono::milliseconds timeout, int* status_out = nullptr) {
  int status = 0;
  const bool done = wait_until(
      [&] {
        pid_t r = waitpid(pid, &status, WNOHANG);
        return r == pid || (r < 0 && errno == ECHILD);
      },
      timeout, std::chrono::milliseconds(5));
  if (done && status_out != nullptr) {
    *status_out = status;
  }
  return done;
}

/// Calls `action` on its own thread again and again (pausing `period` between calls, waking early
/// when stopped) until destroyed or `limit` calls were made. Used to keep producing events while
/// another thread waits for one, e.g. for a watch started "from now" whose registration time is
/// unknown.
class Repeater {
 public:
  explicit Repeater(std::function<void()> action,
                    std::chrono::milliseconds period = std::chrono::milliseconds(20),
                    int limit = 1000)
      : thread_([this, action, period, limit] {
          for (int i = 0; i < limit && !stop_.load(); ++i) {
            action();
            wait_until([this] { return stop_.load(); }, period);
          }
        }) {}
  Repeater(const Repeater&) = delete;
  Repeater& operator=(const Repeater&) = delete;
  ~Repeater() { stop(); }
  void stop() {
    stop_.store(true);
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// A thread-safe list that callbacks append to and tests wait on.
template <class T>
class Collector {
 public:
  void add(T item) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(item));
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_.size();
  }
  std::vector<T> snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.clear();
  }
  /// Waits until at least `n` items were added.
  bool wait_size(size_t n, std::chrono::milliseconds timeout) const {
    return wait_until([&] { return size() >= n; }, timeout);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> items_;
};

namespace detail {

/// Binds a socket to port 0 on the loopback address of `family` and returns the port it got.
/// The socket stays open (its fd is appended to `held`) so that later calls cannot return the
/// same port; release_ports() closes them just before the server binds.
inline int reserve_port(int family, std::vector<int>& held) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  int port = -1;
  if (family == AF_INET6) {
    sockaddr_in6 addr;
    std::memset(&addr, 0, sizeof addr);
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin6_port);
    }
  } else {
    sockaddr_in addr;
    std::memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  if (port < 0) {
    close(fd);
    return -1;
  }
  held.push_back(fd);
  return port;
}

inline void release_ports(std::vector<int>& held) {
  for (int fd : held) {
    close(fd);
  }
  held.clear();
}

/// A port on 127.0.0.1 with nothing listening on it (bound once, then released).
inline int unused_port() {
  std::vector<int> held;
  int port = reserve_port(AF_INET, held);
  release_ports(held);
  return port;
}

inline int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  std::remove(path);
  return 0;
}

inline void remove_tree(const std::string& path) {
  if (!path.empty()) {
    nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
}

/// True if every thread of process `pid` is in state `stopped` ('T'/'t') or, with `stopped`
/// false, none is. Reads /proc/<pid>/task/*/stat.
inline bool all_threads_stopped(pid_t pid, bool stopped) {
  const std::string base = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(base.c_str());
  if (dir == nullptr) {
    return false;
  }
  bool all = true;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    std::ifstream in(base + "/" + entry->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) {
      continue;  // the thread went away meanwhile
    }
    const char state = stat[paren + 2];
    const bool is_stopped = state == 'T' || state == 't';
    if (is_stopped != stopped) {
      all = false;
      break;
    }
  }
  closedir(dir);
  return all;
}

/// Removes temporary directories left by earlier test processes that died without cleaning up
/// (their names carry the creating process id).
inline void remove_stale_dirs(const std::string& root) {
  DIR* dir = opendir(root.c_str());
  if (dir == nullptr) {
    return;
  }
  const std::string prefix = "etcd-cpp-rs-gtest-";
  std::vector<std::string> stale;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      stale.push_back(root + "/" + name);
    }
  }
  closedir(dir);
  for (const std::string& path : stale) {
    remove_tree(path);
  }
}

inline std::string temp_root() {
  const char* env = std::getenv("ETCD_TEST_TMPDIR");
  if (env != nullptr && *env != '\0') {
    return env;
  }
  if (access("/dev/shm", W_OK | X_OK) == 0) {
    return "/dev/shm";  // no disk syncs: keeps etcd fast on a busy machine
  }
  env = std::getenv("TMPDIR");
  if (env != nullptr && *env != '\0') {
    return env;
  }
  return "/tmp";
}

inline std::string make_temp_dir(const std::string& tag) {
  const std::string root = temp_root();
  remove_stale_dirs(root);
  std::string pattern =
      root + "/etcd-cpp-rs-gtest-" + std::to_string(getpid()) + "-" + tag + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern + ": " + std::strerror(errno));
  }
  return std::string(buf.data());
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// A minimal HTTP/1.1 request over a fresh loopback connection, bounded by `timeout` overall.
/// Returns the HTTP status (0 if the exchange failed) and fills `body` with the response body.
inline int http_request(const std::string& host, int port, const std::string& method,
                        const std::string& path, const std::string& payload,
                        std::chrono::milliseconds timeout, std::string* body = nullptr) {
  const auto deadline = Clock::now() + timeout;
  const bool v6 = host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_storage storage;
  std::memset(&storage, 0, sizeof storage);
  socklen_t addr_len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    addr_len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &a->sin_addr);
    addr_len = sizeof *a;
  }
  auto remaining_ms = [&]() -> int {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  };
  auto wait_fd = [&](short events) -> bool {
    for (;;) {
      int ms = remaining_ms();
      if (ms <= 0) {
        return false;
      }
      pollfd p{fd, events, 0};
      int r = poll(&p, 1, ms);
      if (r > 0) {
        return true;
      }
      if (r < 0 && errno == EINTR) {
        continue;
      }
      return false;
    }
  };
  int status = 0;
  std::string response;
  do {
    if (connect(fd, reinterpret_cast<sockaddr*>(&storage), addr_len) != 0) {
      if (errno != EINPROGRESS || !wait_fd(POLLOUT)) {
        break;
      }
      int err = 0;
      socklen_t err_len = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
        break;
      }
    }
    std::string host_header = v6 ? "[" + host + "]" : host;
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host_header + ":" +
                          std::to_string(port) +
                          "\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          "Content-Length: " +
                          std::to_string(payload.size()) + "\r\n\r\n" + payload;
    size_t sent = 0;
    bool send_ok = true;
    while (sent < request.size()) {
      ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!wait_fd(POLLOUT)) {
          send_ok = false;
          break;
        }
      } else {
        send_ok = false;
        break;
      }
    }
    if (!send_ok) {
      break;
    }
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        response.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        break;
      } else if (errno == EAGAIN || errno == EINTR) {
        if (!wait_fd(POLLIN)) {
          break;
        }
      } else {
        break;
      }
    }
    // "HTTP/1.1 200 OK"
    if (response.compare(0, 5, "HTTP/") == 0) {
      size_t sp = response.find(' ');
      if (sp != std::string::npos) {
        status = std::atoi(response.c_str() + sp + 1);
      }
    }
  } while (false);
  close(fd);
  if (body != nullptr) {
    size_t pos = response.find("\r\n\r\n");
    *body = pos == std::string::npos ? std::string() : response.substr(pos + 4);
  }
  return status;
}

/// Runs a program (argv[0] is a path or a name looked up in PATH) with its output appended to
/// `log_path` (or discarded), waits up to `timeout` for it and returns its exit status (-1 if it
/// could not run or did not finish in time).
inline int run_program(const std::vector<std::string>& args, const std::string& log_path = "",
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& a : copy) {
    argv.push_back(&a[0]);
  }
  argv.push_back(nullptr);
  const std::string out = log_path.empty() ? std::string("/dev/null") : log_path;
  int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(out_fd);
    return -1;
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      dup2(devnull, 0);
    }
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out_fd);
  int status = 0;
  if (!wait_child(pid, timeout, &status)) {
    ::kill(pid, SIGKILL);
    wait_child(pid, std::chrono::seconds(5));
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Standard base64 (the JSON gateway's encoding of byte fields).
inline std::string base64(const std::string& in) {
  static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  if (i + 1 == in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace detail

/// Certificates of a TLS cluster, made with openssl: a CA, a server certificate whose only
/// subject alternative name is DNS:etcd-server.test (no IP address, so clients connecting to
/// 127.0.0.1 must override the target name), and a client certificate signed by the same CA.
struct TlsFiles {
  static constexpr const char* server_name = "etcd-server.test";
  std::string ca;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

/// How to run a cluster.
struct ClusterOptions {
  size_t members = 1;
  /// Every member also serves clients on http://[::1]:<port>.
  bool ipv6 = false;
  /// Clients are served over https only, with client-certificate authentication
  /// (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth). The harness itself reaches
  /// each member over a second, plain listener on another loopback port.
  bool tls = false;
  /// More etcd flags, e.g. {"--auth-token", "simple", "--auth-token-ttl", "2"}.
  std::vector<std::string> extra_flags;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(60);
};

/// A set of etcd server processes forming one cluster, on loopback, with temporary data.
class EtcdCluster {
 public:
  struct Member {
    std::string name;
    int client_port = 0;
    int client_port_v6 = 0;  // 0 unless the cluster was asked to listen on [::1] too
    int peer_port = 0;
    int admin_port = 0;  // plain HTTP port the harness uses (== client_port without TLS)
    std::string data_dir;
    std::string log_path;
    pid_t pid = -1;
    bool paused = false;
  };

  /// Starts `members` members and waits until each answers a health request.
  /// With `ipv6`, every member also serves clients on http://[::1]:<port>.
  explicit EtcdCluster(size_t members = 1, bool ipv6 = false,
                       std::chrono::milliseconds start_timeout = std::chrono::seconds(60))
      : EtcdCluster(make_options(members, ipv6, start_timeout)) {}

  /// Starts a cluster as described by `options` and waits until each member answers a health
  /// request.
  explicit EtcdCluster(const ClusterOptions& options)
      : ipv6_(options.ipv6), tls_(options.tls), extra_flags_(options.extra_flags) {
    static std::atomic<int> counter{0};
    token_ = "etcd-cpp-rs-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
             std::to_string(Clock::now().time_since_epoch().count());
    dir_ = detail::make_temp_dir("cluster");
    members_.resize(options.members);
    std::string error;
    if (tls_ && !make_certs(&error)) {
      detail::remove_tree(dir_);
      throw std::runtime_error("could not make certificates: " + error);
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (start_all(options.start_timeout, &error)) {
        return;
      }
      kill_all();
    }
    std::string logs = logs_text();
    detail::remove_tree(dir_);
    throw std::runtime_error("could not start etcd: " + error + "\n" + logs);
  }

  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  ~EtcdCluster() {
    if (::testing::Test::HasFailure() && std::getenv("ETCD_TEST_QUIET") == nullptr) {
      std::cerr << logs_text(40);
    }
    kill_all();
    if (std::getenv("ETCD_TEST_KEEP_DIRS") == nullptr) {
      detail::remove_tree(dir_);
    }
  }

  size_t size() const { return members_.size(); }
  const Member& member(size_t i) const { return members_.at(i); }

  /// "http://127.0.0.1:p1,http://127.0.0.1:p2,..."
  std::string endpoints() const {
    std::string out;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (i) {
        out += ",";
      }
      out += endpoint(i);
    }
    return out;
  }
  std::string endpoint(size_t i = 0) const {
    return (tls_ ? "https://" : "http://") + host_port(i);
  }
  /// "127.0.0.1:p"
  std::string host_port(size_t i = 0) const {
    return "127.0.0.1:" + std::to_string(members_.at(i).client_port);
  }
  /// "http://[::1]:p" (only with ipv6)
  std::string ipv6_endpoint(size_t i = 0) const {
    return "http://[::1]:" + std::to_string(members_.at(i).client_port_v6);
  }
  int client_port(size_t i = 0) const { return members_.at(i).client_port; }
  bool tls() const { return tls_; }
  /// The certificates (TLS clusters only).
  const TlsFiles& tls_files() const { return tls_files_; }
  /// The temporary directory of the cluster (removed with it).
  const std::string& dir() const { return dir_; }
  pid_t pid(size_t i) const { return members_.at(i).pid; }
  bool running(size_t i) const { return members_.at(i).pid > 0; }
  bool paused(size_t i) const { return members_.at(i).paused; }

  /// The member's log (stdout and stderr of the process).
  std::string log(size_t i) const { return detail::read_file(members_.at(i).log_path); }

  /// True once member `i` answers GET /health with a healthy status.
  bool healthy(size_t i,
               std::chrono::milliseconds request_timeout = std::chrono::seconds(2)) const {
    const Member& m = members_.at(i);
    if (m.pid <= 0 || m.paused) {
      return false;
    }
    std::string body;
    int status = detail::http_request("127.0.0.1", m.admin_port, "GET", "/health", "",
                                      request_timeout, &body);
    return status == 200 && body.find("\"health\":\"true\"") != std::string::npos;
  }

  bool wait_healthy(size_t i, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return wait_until(
        [&] {
          reap(i);
          return members_.at(i).pid > 0 && healthy(i, std::chrono::milliseconds(1000));
        },
        timeout, std::chrono::milliseconds(20));
  }

  /// Waits until every running, non-paused member is healthy.
  bool wait_running_healthy(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = Clock::now() + timeout;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].pid <= 0 || members_[i].paused) {
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || !wait_healthy(i, left)) {
        return false;
      }
    }
    return true;
  }

  /// SIGTERM, wait up to `timeout`, then SIGKILL.
  void stop(size_t i, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    Member& m = members_.at(i);
    if (m.pid <= 0) {
      return;
    }
    ::kill(m.pid, SIGTERM);
    if (m.paused) {
      ::kill(m.pid, SIGCONT);
      m.paused = false;
    }
    if (!wait_child(m.pid, timeout)) {
      ::kill(m.pid, SIGKILL);
      wait_child(m.pid, std::chrono::seconds(10));
    }
    m.pid = -1;
  }

  /// SIGKILL and reap.
  void kill(size_t i) {
    Member& m = members_.at(i);
    if (m.pid <= 0) {
      return;
    }
    ::kill(m.pid, SIGKILL);
    wait_child(m.pid, std::chrono::seconds(10));
    m.pid = -1;
    m.paused = false;
  }

  /// SIGSTOP: the member keeps its sockets open but stops answering. Returns once every thread
  /// of the process is stopped.
  void pause(size_t i) {
    Member& m = members_.at(i);
    if (m.pid > 0 && !m.paused) {
      ::kill(m.pid, SIGSTOP);
      m.paused = true;
      wait_until([&] { return detail::all_threads_stopped(m.pid, true); }, std::chrono::seconds(5),
                 std::chrono::milliseconds(1));
    }
  }

  /// SIGCONT. Returns once no thread of the process is stopped any more.
  void resume(size_t i) {
    Member& m = members_.at(i);
    if (m.pid > 0 && m.paused) {
      ::kill(m.pid, SIGCONT);
      m.paused = false;
      wait_until([&] { return detail::all_threads_stopped(m.pid, false); }, std::chrono::seconds(5),
                 std::chrono::milliseconds(1));
    }
  }

  /// Stops the member if it runs, starts it again on the same ports with the same data and
  /// waits until it is healthy. Returns false if it did not become healthy in time.
  bool restart(size_t i, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    stop(i);
    if (!spawn(i)) {
      return false;
    }
    return wait_healthy(i, timeout);
  }

  /// Compacts the key-value history up to `revision` (physical compaction), through the
  /// server's JSON gateway. Returns true on success.
  bool compact(int64_t revision) const {
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].pid <= 0 || members_[i].paused) {
        continue;
      }
      std::string body;
      int status = detail::http_request(
          "127.0.0.1", members_[i].admin_port, "POST", "/v3/kv/compaction",
          "{\"revision\":\"" + std::to_string(revision) + "\",\"physical\":true}",
          std::chrono::seconds(10), &body);
      return status == 200;
    }
    return false;
  }

  /// The index of the current leader among running members, or -1 if none answers.
  int leader() const {
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].pid <= 0 || members_[i].paused) {
        continue;
      }
      std::string body;
      int status =
          detail::http_request("127.0.0.1", members_[i].admin_port, "POST",
                               "/v3/maintenance/status", "{}", std::chrono::seconds(2), &body);
      if (status != 200) {
        continue;
      }
      std::string leader_id = json_field(body, "leader");
      std::string member_id = json_field(body, "member_id");
      if (leader_id.empty() || member_id.empty()) {
        continue;
      }
      if (leader_id == member_id) {
        return static_cast<int>(i);
      }
      // Ask the others for their own id.
      for (size_t j = 0; j < members_.size(); ++j) {
        if (j == i || members_[j].pid <= 0 || members_[j].paused) {
          continue;
        }
        std::string other;
        if (detail::http_request("127.0.0.1", members_[j].admin_port, "POST",
                                 "/v3/maintenance/status", "{}", std::chrono::seconds(2),
                                 &other) == 200 &&
            json_field(other, "member_id") == leader_id) {
          return static_cast<int>(j);
        }
      }
      return -1;
    }
    return -1;
  }

  /// POSTs `json` to the JSON gateway path `path` (e.g. "/v3/auth/enable") of the first
  /// running member; true on HTTP 200. `body` receives the answer.
  bool gateway(const std::string& path, const std::string& json,
               std::string* body = nullptr) const {
    for (const Member& m : members_) {
      if (m.pid <= 0 || m.paused) {
        continue;
      }
      std::string answer;
      int status = detail::http_request("127.0.0.1", m.admin_port, "POST", path, json,
                                        std::chrono::seconds(10), &answer);
      if (body != nullptr) {
        *body = answer;
      }
      return status == 200;
    }
    return false;
  }

  /// Adds a user (before authentication is enabled).
  bool add_user(const std::string& name, const std::string& password) const {
    return gateway("/v3/auth/user/add",
                   "{\"name\":\"" + name + "\",\"password\":\"" + password + "\"}");
  }

  /// Adds a role (before authentication is enabled).
  bool add_role(const std::string& role) const {
    return gateway("/v3/auth/role/add", "{\"name\":\"" + role + "\"}");
  }

  /// Gives `role` read and write access to every key starting with `prefix`.
  bool grant_prefix(const std::string& role, const std::string& prefix) const {
    std::string end = prefix;
    while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) {
      end.pop_back();
    }
    if (!end.empty()) {
      end.back() = static_cast<char>(end.back() + 1);
    } else {
      end = std::string(1, '\0');
    }
    return gateway("/v3/auth/role/grant", "{\"name\":\"" + role +
                                              "\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\"" +
                                              detail::base64(prefix) + "\",\"range_end\":\"" +
                                              detail::base64(end) + "\"}}");
  }

  /// Grants `role` to `user` ("root" is etcd's built-in all-powerful role).
  bool grant_role(const std::string& user, const std::string& role) const {
    return gateway("/v3/auth/user/grant", "{\"user\":\"" + user + "\",\"role\":\"" + role + "\"}");
  }

  /// Adds user "root" with `root_password` and the root role, then turns authentication on.
  /// Afterwards every request needs credentials (the health check does not).
  bool enable_auth(const std::string& root_password) const {
    return add_user("root", root_password) && grant_role("root", "root") &&
           gateway("/v3/auth/enable", "{}");
  }

  /// The last `lines` lines of every member's log, labelled.
  std::string logs_text(size_t lines = 30) const {
    std::ostringstream out;
    for (const Member& m : members_) {
      if (m.log_path.empty()) {
        continue;
      }
      std::string text = detail::read_file(m.log_path);
      std::vector<std::string> all;
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);) {
        all.push_back(line);
      }
      out << "---- etcd " << m.name << " (" << m.log_path << "), last lines ----\n";
      for (size_t k = all.size() > lines ? all.size() - lines : 0; k < all.size(); ++k) {
        out << all[k] << "\n";
      }
    }
    return out.str();
  }

 private:
  static ClusterOptions make_options(size_t members, bool ipv6,
                                     std::chrono::milliseconds start_timeout) {
    ClusterOptions options;
    options.members = members;
    options.ipv6 = ipv6;
    options.start_timeout = start_timeout;
    return options;
  }

  bool make_certs(std::string* error) {
    const std::string d = dir_ + "/tls";
    if (mkdir(d.c_str(), 0700) != 0) {
      *error = "mkdir " + d;
      return false;
    }
    const std::string log = d + "/openssl.log";
    {
      std::ofstream server_ext(d + "/server.ext");
      server_ext << "subjectAltName=DNS:" << TlsFiles::server_name << "\n"
                 << "extendedKeyUsage=serverAuth,clientAuth\n";
      std::ofstream client_ext(d + "/client.ext");
      client_ext << "extendedKeyUsage=clientAuth\n";
    }
    auto run = [&](const std::vector<std::string>& args) {
      if (detail::run_program(args, log) != 0) {
        *error = "openssl " + args.at(1) + " failed: " + detail::read_file(log);
        return false;
      }
      return true;
    };
    if (!run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
              "/CN=etcd-cpp-rs test CA", "-keyout", d + "/ca.key", "-out", d + "/ca.crt"})) {
      return false;
    }
    for (const std::string who : {"server", "client"}) {
      if (!run({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + who, "-keyout",
                d + "/" + who + ".key", "-out", d + "/" + who + ".csr"}) ||
          !run({"openssl", "x509", "-req", "-in", d + "/" + who + ".csr", "-CA", d + "/ca.crt",
                "-CAkey", d + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile",
                d + "/" + who + ".ext", "-out", d + "/" + who + ".crt"})) {
        return false;
      }
    }
    tls_files_.ca = d + "/ca.crt";
    tls_files_.server_cert = d + "/server.crt";
    tls_files_.server_key = d + "/server.key";
    tls_files_.client_cert = d + "/client.crt";
    tls_files_.client_key = d + "/client.key";
    return true;
  }

  static std::string json_field(const std::string& body, const std::string& name) {
    std::string needle = "\"" + name + "\":";
    size_t pos = body.find(needle);
    if (pos == std::string::npos) {
      return std::string();
    }
    pos += needle.size();
    while (pos < body.size() && (body[pos] == '"' || body[pos] == ' ')) {
      ++pos;
    }
    size_t end = pos;
    while (end < body.size() && body[end] >= '0' && body[end] <= '9') {
      ++end;
    }
    return body.substr(pos, end - pos);
  }

  bool start_all(std::chrono::milliseconds timeout, std::string* error) {
    std::vector<int> held;
    for (size_t i = 0; i < members_.size(); ++i) {
      Member& m = members_[i];
      m.name = "m" + std::to_string(i);
      m.client_port = detail::reserve_port(AF_INET, held);
      m.peer_port = detail::reserve_port(AF_INET, held);
      m.client_port_v6 = ipv6_ ? detail::reserve_port(AF_INET6, held) : 0;
      m.admin_port = tls_ ? detail::reserve_port(AF_INET, held) : m.client_port;
      if (m.client_port <= 0 || m.peer_port <= 0 || m.admin_port <= 0 ||
          (ipv6_ && m.client_port_v6 <= 0)) {
        detail::release_ports(held);
        *error = "no free port";
        return false;
      }
      m.data_dir = dir_ + "/" + m.name + ".data";
      m.log_path = dir_ + "/" + m.name + ".log";
      detail::remove_tree(m.data_dir);
      std::remove(m.log_path.c_str());
    }
    initial_cluster_.clear();
    for (size_t i = 0; i < members_.size(); ++i) {
      if (i) {
        initial_cluster_ += ",";
      }
      initial_cluster_ +=
          members_[i].name + "=http://127.0.0.1:" + std::to_string(members_[i].peer_port);
    }
    detail::release_ports(held);
    for (size_t i = 0; i < members_.size(); ++i) {
      if (!spawn(i)) {
        *error = "fork/exec failed";
        return false;
      }
    }
    const auto deadline = Clock::now() + timeout;
    for (size_t i = 0; i < members_.size(); ++i) {
      bool ok = wait_until(
          [&] {
            if (!reap(i)) {
              return true;  // exited: stop waiting
            }
            return healthy(i, std::chrono::milliseconds(1000));
          },
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
          std::chrono::milliseconds(20));
      if (!ok || members_[i].pid <= 0) {
        *error = members_[i].pid <= 0 ? "member " + members_[i].name + " exited during start"
                                      : "member " + members_[i].name + " not healthy in time";
        return false;
      }
    }
    return true;
  }

  /// Reaps member `i` if it has exited; returns whether it is still running.
  bool reap(size_t i) {
    Member& m = members_[i];
    if (m.pid <= 0) {
      return false;
    }
    int status = 0;
    pid_t r = waitpid(m.pid, &status, WNOHANG);
    if (r == m.pid || (r < 0 && errno == ECHILD)) {
      m.pid = -1;
      m.paused = false;
      return false;
    }
    return true;
  }

  bool spawn(size_t i) {
    Member& m = members_[i];
    const std::string scheme = tls_ ? "https://" : "http://";
    const std::string client_url = scheme + "127.0.0.1:" + std::to_string(m.client_port);
    std::string listen_client = client_url;
    std::string advertise_client = client_url;
    if (ipv6_) {
      const std::string v6 = scheme + "[::1]:" + std::to_string(m.client_port_v6);
      listen_client += "," + v6;
      advertise_client += "," + v6;
    }
    if (m.admin_port != m.client_port) {
      listen_client += ",http://127.0.0.1:" + std::to_string(m.admin_port);
    }
    const std::string peer_url = "http://127.0.0.1:" + std::to_string(m.peer_port);
    std::vector<std::string> args = {
        "/usr/bin/etcd",
        "--name=" + m.name,
        "--data-dir=" + m.data_dir,
        "--listen-client-urls=" + listen_client,
        "--advertise-client-urls=" + advertise_client,
        "--listen-peer-urls=" + peer_url,
        "--initial-advertise-peer-urls=" + peer_url,
        "--initial-cluster=" + initial_cluster_,
        "--initial-cluster-state=new",
        "--initial-cluster-token=" + token_,
        "--logger=zap",
        "--log-outputs=stderr",
    };
    if (tls_) {
      args.push_back("--cert-file=" + tls_files_.server_cert);
      args.push_back("--key-file=" + tls_files_.server_key);
      args.push_back("--trusted-ca-file=" + tls_files_.ca);
      args.push_back("--client-cert-auth");
    }
    args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
    // The etcd binary: $ETCD_TEST_BINARY, else $ETCD_BIN (as the Python and Rust harnesses).
    for (const char* name : {"ETCD_TEST_BINARY", "ETCD_BIN"}) {
      const char* etcd_bin = std::getenv(name);
      if (etcd_bin != nullptr && *etcd_bin != '\0') {
        args[0] = etcd_bin;
        break;
      }
    }
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(&a[0]);
    }
    argv.push_back(nullptr);
    // The server reads ETCD_* variables as flags; keep the test's own ones (ETCD_ENDPOINTS...)
    // away from it.
    std::vector<std::string> env_strings;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      if (std::strncmp(*e, "ETCD_", 5) != 0) {
        env_strings.emplace_back(*e);
      }
    }
    std::vector<char*> envp;
    for (std::string& e : env_strings) {
      envp.push_back(&e[0]);
    }
    envp.push_back(nullptr);

    int log_fd = open(m.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return false;
    }
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) {
      max_fd = 65536;
    }
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      close(log_fd);
      return false;
    }
    if (pid == 0) {
      // Only async-signal-safe calls from here on.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) {
        _exit(127);
      }
      int devnull = open("/dev/null", O_RDONLY);
      if (devnull >= 0) {
        dup2(devnull, 0);
      }
      dup2(log_fd, 1);
      dup2(log_fd, 2);
#ifdef SYS_close_range
      if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
      {
        for (long fd = 3; fd < max_fd; ++fd) {
          close(static_cast<int>(fd));
        }
      }
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(log_fd);
    m.pid = pid;
    m.paused = false;
    return true;
  }

  void kill_all() {
    for (Member& m : members_) {
      if (m.pid > 0) {
        ::kill(m.pid, SIGKILL);
        wait_child(m.pid, std::chrono::seconds(10));
        m.pid = -1;
        m.paused = false;
      }
    }
  }

  bool ipv6_;
  bool tls_ = false;
  std::vector<std::string> extra_flags_;
  TlsFiles tls_files_;
  std::string token_;
  std::string dir_;
  std::string initial_cluster_;
  std::vector<Member> members_;
};

/// A single-member server shared by all tests of one executable, started on first use.
inline EtcdCluster& shared_etcd() {
  static EtcdCluster cluster(1);
  return cluster;
}

/// Endpoint string of the shared single-member server.
inline std::string shared_endpoint() { return shared_etcd().endpoint(0); }

}  // namespace etcdtest

#endif  // ETCD_CPP_RS_TESTS_ETCD_HARNESS_HPP
