/*
 * A program built against the installed C API only (header and library found by pkg-config):
 * it links, loads the shared library and gets a response. Needs no etcd: it talks to a port
 * nothing listens on and expects error 14 (unavailable).
 */
#include <etcd/etcd.h>
#include <stdio.h>

int main(void) {
  etcd_client *client = NULL;
  etcd_response *response = NULL;
  int ok;
  printf("etcd-cpp-rs %s\n", etcd_version());
  if (etcd_client_connect("http://127.0.0.1:1", NULL, &client) != ETCD_STATUS_OK) return 1;
  ok = etcd_client_get(client, "k", 1, 0, &response) == ETCD_STATUS_OK &&
       etcd_response_error_code(response) == ETCD_ERROR_GRPC_UNAVAILABLE;
  printf("get: error %d (%s)\n", etcd_response_error_code(response),
         etcd_response_error_message(response));
  etcd_response_free(response);
  etcd_client_free(client);
  return ok ? 0 : 1;
}
