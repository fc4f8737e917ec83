// Uses the library the way an application does, without needing an etcd server: every call goes
// to a loopback port where nothing listens, so each one must come back as a Response carrying
// error 14 (UNAVAILABLE) instead of hanging or throwing.
//
// Usage: etcd-consumer [endpoint]   (default http://127.0.0.1:1)
#include <iostream>
#include <string>

#include "etcd/Client.hpp"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"

namespace {

int failures = 0;

void expect(bool condition, const std::string& what) {
  std::cout << (condition ? "ok:   " : "FAIL: ") << what << std::endl;
  if (!condition) {
    ++failures;
  }
}

void expect_unavailable(const std::string& what, const etcd::Response& response) {
  std::cout << what << ": error " << response.error_code() << " \"" << response.error_message()
            << "\"" << std::endl;
  expect(!response.is_ok(), what + " fails");
  expect(response.error_code() == 14, what + " reports code 14 (UNAVAILABLE)");
  expect(response.is_network_unavailable(), what + " is_network_unavailable()");
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string endpoint = argc > 1 ? argv[1] : "http://127.0.0.1:1";

  etcd::Client client(endpoint);
  expect_unavailable("Client::get", client.get("/consumer/key").get());

  etcd::SyncClient sync_client(endpoint);
  expect_unavailable("SyncClient::put", sync_client.put("/consumer/key", "value"));

  expect(etcdv3::detail::string_plus_one("/service/") == "/service0",
         "etcdv3::detail::string_plus_one(\"/service/\") == \"/service0\"");

  if (failures != 0) {
    std::cout << failures << " check(s) failed" << std::endl;
    return 1;
  }
  std::cout << "consumer: all checks passed" << std::endl;
  return 0;
}
