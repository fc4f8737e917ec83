/*
 * The article's registration on etcd_registry: /service/<name> -> <address> under a lease kept
 * alive (and granted again if lost) until stdin closes; then the lease is revoked.
 * Usage: register NAME ADDRESS   (endpoints: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
 */
#include <etcd/etcd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char *argv[]) {
  const char *endpoints = getenv("ETCD_ENDPOINTS");
  etcd_client *client = NULL;
  etcd_registry *registry = NULL;
  etcd_response *r = NULL;
  char key[256];
  if (argc != 3) return 2;
  if (etcd_client_connect(endpoints ? endpoints : "http://127.0.0.1:2379", NULL, &client) ||
      etcd_registry_new(client, 5, true, NULL, NULL, NULL, &registry))
    return 1;
  snprintf(key, sizeof key, "/service/%s", argv[1]);
  etcd_registry_add(registry, key, strlen(key), argv[2], strlen(argv[2]), &r);
  printf("registered %s -> %s: %d\n", key, argv[2], etcd_response_error_code(r));
  fflush(stdout);
  etcd_response_free(r);
  while (getchar() != EOF) {
  }
  etcd_registry_free(registry); /* revokes the lease: discoverers see the removal at once */
  etcd_client_free(client);
  return 0;
}
