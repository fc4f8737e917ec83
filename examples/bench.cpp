// Benchmark of the etcd-cpp-rs C++ API, doing the same work as
// examples/bench_etcd_client.rs does with the Rust etcd-client crate.
//
// Usage: etcd-bench [ENDPOINTS]
//   ENDPOINTS defaults to $ETCD_ENDPOINTS, then http://127.0.0.1:2379.
//   BENCH_N (default 2000) sets the number of sequential operations and
//   BENCH_ASYNC_N (default 10000) the number of puts in flight at once.
//
// Output, one line per measurement:
//   cpp mem_1client        threads=.. rss_kb=..
//   cpp mem_100watch       threads=.. rss_kb=.. create_ms=..
//   cpp mem_100keepalive   threads=.. rss_kb=..
//   cpp seq_put            n=.. p50_us=.. p99_us=.. ops_s=.. cpu_us_op=.. vcsw_op=..
//   cpp seq_get            n=.. p50_us=.. p99_us=.. ops_s=.. cpu_us_op=.. vcsw_op=..
//   cpp async_put          n=.. total_ms=.. ops_s=.. failed=.. cpu_us_op=.. rss_kb=.. threads=..
//
// cpu_us_op is this process's CPU time (user + system, all threads, getrusage)
// per operation, vcsw_op its voluntary context switches per operation. The
// work mirrors the Go client's benchmark (shared/bench/go-clientv3): the same
// 16-byte value, 100 keys for sequential calls, 1,000 for the async puts.
//
// examples/bench/run.sh runs this program, the Go client's and optionally the
// Rust etcd-client crate's, each against a fresh etcd, and prints them side by
// side.

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "etcd/Client.hpp"
#include "etcd/KeepAlive.hpp"
#include "etcd/SyncClient.hpp"
#include "etcd/Watcher.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Micros = std::chrono::microseconds;

const int kWatchers = 100;
const int kKeepAlives = 100;
const int kLeaseTtl = 10;
const size_t kWarmup = 200;
// The value the Go client's benchmark writes.
const char* const kValue = "value-0123456789";

size_t env_size(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  unsigned long long n = std::strtoull(v, &end, 10);
  return (end != nullptr && *end == '\0') ? static_cast<size_t>(n) : fallback;
}

// Number of threads of this process (entries of /proc/self/task).
int thread_count() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  int n = 0;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

// Resident set size in KiB (VmRSS of /proc/self/status).
long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, 6, "VmRSS:") == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// CPU time (user + system, all threads, microseconds) and voluntary context
// switches (a thread blocked and had to be woken) of this process, exited
// threads included. The Go client's benchmark reads CPU time the same way.
struct Usage {
  double cpu_us = 0;
  long voluntary_csw = 0;
};

Usage usage() {
  struct rusage ru;
  Usage u;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    u.cpu_us = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    u.voluntary_csw = ru.ru_nvcsw;
  }
  return u;
}

double cpu_us_per_op(Usage const& before, Usage const& after, size_t n) {
  return (after.cpu_us - before.cpu_us) / static_cast<double>(n);
}

void print_mem(const char* name) {
  std::printf("cpp %s threads=%d rss_kb=%ld\n", name, thread_count(), rss_kb());
  std::fflush(stdout);
}

// Nearest-rank percentile of sorted samples (same definition as the Rust side).
Micros percentile(std::vector<Micros> const& sorted, size_t p) {
  size_t rank = (sorted.size() * p + 99) / 100;
  if (rank < 1) rank = 1;
  return sorted[rank - 1];
}

void print_latency(const char* name, std::vector<Micros> samples, Clock::duration total,
                   Usage const& before, Usage const& after) {
  std::sort(samples.begin(), samples.end());
  double secs = std::chrono::duration<double>(total).count();
  size_t n = samples.size();
  std::printf(
      "cpp %s n=%zu p50_us=%lld p99_us=%lld ops_s=%.0f cpu_us_op=%.1f vcsw_op=%.2f\n", name, n,
      static_cast<long long>(percentile(samples, 50).count()),
      static_cast<long long>(percentile(samples, 99).count()), static_cast<double>(n) / secs,
      cpu_us_per_op(before, after, n),
      static_cast<double>(after.voluntary_csw - before.voluntary_csw) / static_cast<double>(n));
  std::fflush(stdout);
}

void check(etcd::Response const& r, const char* what, std::string const& key) {
  if (!r.is_ok()) {
    std::fprintf(stderr, "etcd-bench: %s %s failed: %d %s\n", what, key.c_str(), r.error_code(),
                 r.error_message().c_str());
    std::exit(1);
  }
}

std::string key_of(std::string const& prefix, size_t i) { return prefix + std::to_string(i % 100); }

void seq_put(etcd::Client& client, std::string const& prefix, size_t n) {
  const std::string value = kValue;
  for (size_t i = 0; i < kWarmup; ++i) {
    check(client.put(key_of(prefix, i), value).get(), "put", key_of(prefix, i));
  }
  std::vector<Micros> samples;
  samples.reserve(n);
  Usage before = usage();
  Clock::time_point start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    std::string key = key_of(prefix, i);
    Clock::time_point t = Clock::now();
    etcd::Response r = client.put(key, value).get();
    samples.push_back(std::chrono::duration_cast<Micros>(Clock::now() - t));
    check(r, "put", key);
  }
  Clock::duration total = Clock::now() - start;
  print_latency("seq_put", samples, total, before, usage());
}

void seq_get(etcd::Client& client, std::string const& prefix, size_t n) {
  for (size_t i = 0; i < kWarmup; ++i) {
    check(client.get(key_of(prefix, i)).get(), "get", key_of(prefix, i));
  }
  std::vector<Micros> samples;
  samples.reserve(n);
  Usage before = usage();
  Clock::time_point start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    std::string key = key_of(prefix, i);
    Clock::time_point t = Clock::now();
    etcd::Response r = client.get(key).get();
    samples.push_back(std::chrono::duration_cast<Micros>(Clock::now() - t));
    check(r, "get", key);
  }
  Clock::duration total = Clock::now() - start;
  print_latency("seq_get", samples, total, before, usage());
}

void async_put(etcd::Client& client, std::string const& prefix, size_t n) {
  const std::string value = kValue;
  std::vector<pplx::task<etcd::Response>> tasks;
  tasks.reserve(n);
  Usage before = usage();
  Clock::time_point start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    tasks.push_back(client.put(prefix + std::to_string(i % 1000), value));
  }
  size_t failed = 0;
  for (auto& t : tasks) {
    etcd::Response r = t.get();
    if (r.is_ok()) continue;
    if (failed++ == 0) {
      std::fprintf(stderr, "etcd-bench: first failed async put: %d %s\n", r.error_code(),
                   r.error_message().c_str());
    }
  }
  Clock::duration total = Clock::now() - start;
  Usage after = usage();
  double secs = std::chrono::duration<double>(total).count();
  std::printf(
      "cpp async_put n=%zu total_ms=%lld ops_s=%.0f failed=%zu cpu_us_op=%.1f rss_kb=%ld "
      "threads=%d\n",
      n,
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(total).count()),
      static_cast<double>(n) / secs, failed, cpu_us_per_op(before, after, n), rss_kb(),
      thread_count());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoints = "http://127.0.0.1:2379";
  if (argc > 1) {
    endpoints = argv[1];
  } else if (const char* env = std::getenv("ETCD_ENDPOINTS")) {
    if (*env != '\0') endpoints = env;
  }

  etcd::Client client(endpoints);
  const std::string prefix = "/bench/cpp/" + std::to_string(getpid()) + "/";

  check(client.put(prefix + "hello", "world").get(), "put", prefix + "hello");
  print_mem("mem_1client");

  {
    std::vector<std::unique_ptr<etcd::Watcher>> watchers;
    Clock::time_point start = Clock::now();
    for (int i = 0; i < kWatchers; ++i) {
      watchers.emplace_back(new etcd::Watcher(
          client, prefix + "w/" + std::to_string(i) + "/", [](etcd::Response) {}, true));
    }
    double create_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::printf("cpp mem_100watch threads=%d rss_kb=%ld create_ms=%.1f\n", thread_count(), rss_kb(),
                create_ms);
    std::fflush(stdout);

    std::vector<std::unique_ptr<etcd::KeepAlive>> keepalives;
    for (int i = 0; i < kKeepAlives; ++i) {
      keepalives.emplace_back(new etcd::KeepAlive(client, kLeaseTtl));
    }
    print_mem("mem_100keepalive");
  }

  size_t n = env_size("BENCH_N", 2000);
  std::string seq = prefix + "seq/";
  seq_put(client, seq, n);
  seq_get(client, seq, n);

  async_put(client, prefix + "async/", env_size("BENCH_ASYNC_N", 10000));

  check(client.rmdir(prefix, true).get(), "rmdir", prefix);
  return 0;
}
