// A single server going away and coming back (calls, watchers and keep-alives recover), and
// fail-over in a 3-member cluster: killed, restarted and frozen members, lost quorum.
#include "RuntimeHelpers.hpp"

namespace {

using namespace runtimetest;

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

// ---------------------------------------------------------------------------------------------
// Endpoint auto-sync: a client given one member learns the others.
// ---------------------------------------------------------------------------------------------

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> host_ports(const etcdtest::EtcdCluster& etcd) {
  std::vector<std::string> out;
  for (size_t i = 0; i < etcd.size(); ++i) {
    out.push_back(etcd.host_port(i));
  }
  return sorted(out);
}

bool seen_value(const Recorder& rec, const std::string& value) {
  for (const Seen& s : rec.events()) {
    if (s.value == value) {
      return true;
    }
  }
  return false;
}

TEST(RuntimeCluster, AutoSyncLearnsMembersAndFailsOverToThem) {
  etcdtest::EtcdCluster etcd(3);
  etcd::ClientOptions options;
  options.auto_sync_interval = milliseconds(200);
  etcd::Client c(etcd.endpoint(0), options);
  etcd::SyncClient s(etcd.endpoint(0), options);
  const std::vector<std::string> all = host_ports(etcd);
  ASSERT_TRUE(wait_until([&] { return sorted(c.endpoints()) == all; }, seconds(10)))
      << "Client learned " << c.endpoints().size() << " endpoints";
  ASSERT_TRUE(wait_until([&] { return sorted(s.endpoints()) == all; }, seconds(10)))
      << "SyncClient learned " << s.endpoints().size() << " endpoints";

  Recorder rec;
  etcd::Watcher w(c, "/autosync/", 0, rec.callback(), true);
  ASSERT_TRUE(wait_until(
      [&] {
        c.put("/autosync/k", "before").get();
        return seen_value(rec, "before");
      },
      seconds(15)));

  etcd.kill(0);
  ASSERT_TRUE(etcd.wait_running_healthy());
  for (int i = 0; i < 10; ++i) {
    const std::string v = "after-" + std::to_string(i);
    etcd::Response put = i % 2 ? c.put("/autosync/k", v).get() : s.put("/autosync/k", v);
    ASSERT_TRUE(put.is_ok()) << i << ": " << put.error_code() << " " << put.error_message();
    etcd::Response get = i % 2 ? s.get("/autosync/k") : c.get("/autosync/k").get();
    ASSERT_TRUE(get.is_ok()) << i << ": " << get.error_code() << " " << get.error_message();
    EXPECT_EQ(v, get.value().as_string());
  }
  EXPECT_TRUE(wait_until([&] { return seen_value(rec, "after-9"); }, seconds(15)))
      << "the watcher did not move to a learned member";
  EXPECT_EQ(all, sorted(c.endpoints()));
  w.Cancel();
}

TEST(RuntimeCluster, WithoutAutoSyncEndpointsStayUntilSyncEndpoints) {
  etcdtest::EtcdCluster etcd(3);
  etcd::SyncClient s(etcd.endpoint(0));
  const std::vector<std::string> given{etcd.host_port(0)};
  // Long enough for several refreshes had auto-sync been on.
  EXPECT_TRUE(holds_for([&] { return s.endpoints() == given; }, seconds(1)));

  etcd::Client c(etcd.endpoint(0));
  etcd::Response r = c.sync_endpoints().get();
  ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_EQ("syncendpoints", r.action());
  EXPECT_EQ(3u, r.members().size());
  EXPECT_EQ(host_ports(etcd), sorted(c.endpoints()));
  EXPECT_EQ(given, s.endpoints()) << "another client's list is its own";
  r = s.sync_endpoints();
  ASSERT_TRUE(r.is_ok()) << r.error_code() << " " << r.error_message();
  EXPECT_EQ(host_ports(etcd), sorted(s.endpoints()));
}

TEST(RuntimeCluster, FailedSyncEndpointsKeepsTheList) {
  etcdtest::EtcdCluster etcd(1);
  etcd::SyncClient s(etcd.endpoint(0));
  etcd.kill(0);
  etcd::Response r = s.sync_endpoints();
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ(std::vector<std::string>{etcd.host_port(0)}, s.endpoints());
}
