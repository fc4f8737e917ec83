// Key-value basics: put, get, ls and rm with etcd::Client (asynchronous, every call returns a
// pplx::task<etcd::Response>) and etcd::SyncClient (blocking).
//
// Usage: kv [endpoints]
//   endpoints: e.g. http://127.0.0.1:2379 (default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
#include <iostream>
#include <string>

#include "etcd/Client.hpp"
#include "etcd/Response.hpp"
#include "etcd/SyncClient.hpp"

namespace {

// Errors are data: every call returns a Response, and only the Response says what went wrong.
void print_status(const std::string& what, const etcd::Response& response) {
  if (response.is_ok()) {
    std::cout << what << ": ok" << std::endl;
  } else {
    std::cout << what << ": error " << response.error_code() << " (" << response.error_message()
              << ")" << std::endl;
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  const std::string endpoints =
      argc > 1 ? argv[1] : etcdv3::detail::resolve_etcd_endpoints("http://127.0.0.1:2379");
  const std::string dir = "/examples/kv/";

  // Asynchronous client: get() on the task waits for the response.
  etcd::Client client(endpoints);
  etcd::Response response = client.put(dir + "color", "blue").get();
  print_status("put " + dir + "color = blue", response);
  if (!response.is_ok()) {
    return 1;
  }

  response = client.get(dir + "color").get();
  if (response.is_ok()) {
    std::cout << "get " << dir << "color: " << response.value().as_string() << " (version "
              << response.value().version() << ")" << std::endl;
  } else {
    print_status("get " + dir + "color", response);
  }

  // A continuation runs when the response arrives; wait() waits for the continuation.
  client.put(dir + "shape", "circle")
      .then([dir](etcd::Response put) { print_status("then: put " + dir + "shape = circle", put); })
      .wait();

  // Blocking client: the same operations, returning the Response directly.
  etcd::SyncClient sync_client(endpoints);
  print_status("put " + dir + "size = large", sync_client.put(dir + "size", "large"));

  response = sync_client.ls(dir);
  std::cout << "ls " << dir << ": " << response.keys().size() << " keys" << std::endl;
  for (size_t i = 0; i < response.keys().size(); ++i) {
    const int index = static_cast<int>(i);
    std::cout << "  " << response.key(index) << " = " << response.value(index).as_string()
              << std::endl;
  }

  response = sync_client.rm(dir + "color");
  print_status("rm " + dir + "color", response);
  std::cout << "  previous value: " << response.prev_value().as_string() << std::endl;

  // A missing key is an error response (code 100), not an exception.
  print_status("get " + dir + "color", sync_client.get(dir + "color"));

  response = client.rmdir(dir, true).get();
  print_status("rmdir " + dir + " (recursive)", response);
  std::cout << "  removed " << response.keys().size() << " keys" << std::endl;
  return 0;
}
