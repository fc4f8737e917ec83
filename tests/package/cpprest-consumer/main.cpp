// Compiles only against cpprestsdk: web::uri and cpprest/base_uri.h are not part of etcd-cpp-rs,
// and pplx/pplxtasks.h must be cpprestsdk's (its task runs on cpprestsdk's scheduler).
#include <cpprest/base_uri.h>
#include <pplx/pplxtasks.h>

#include <iostream>

int main() {
  web::uri uri(U("http://127.0.0.1:2379/v3/kv/range"));
  pplx::task<int> task = pplx::create_task([] { return 42; }).then([](int v) { return v + 1; });
  pplx::task_status status = task.wait();
  std::cout << "cpprestsdk pplx: " << task.get() << " host " << uri.host() << std::endl;
  return status == pplx::completed && task.get() == 43 && uri.host() == U("127.0.0.1") ? 0 : 1;
}
