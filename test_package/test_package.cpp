// The packaged library links and answers: a call to a port where nothing listens comes back as
// a Response with error 14 (UNAVAILABLE); pplx comes from the bundled header.
#include <iostream>

#include "etcd/Client.hpp"
#include "pplx/pplxtasks.h"

int main() {
  etcd::Client client("http://127.0.0.1:1");
  pplx::task<etcd::Response> task = client.get("/test_package");
  etcd::Response response = task.get();
  std::cout << "error " << response.error_code() << ": " << response.error_message() << std::endl;
  return response.error_code() == 14 ? 0 : 1;
}
