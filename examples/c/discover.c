/*
 * The article's discovery on etcd_discovery: the services under /service/, then every change (no
 * gap, no duplicate, across reconnects and compaction), until COUNT changes were seen.
 * Usage: discover COUNT   (endpoints: $ETCD_ENDPOINTS, else http://127.0.0.1:2379)
 */
#define _POSIX_C_SOURCE 200809L
#include <etcd/etcd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile int left;

static void on_change(void *userdata, etcd_change_kind kind, const etcd_value *value,
                      const etcd_value *prev) {
  static const char *names[] = {"added", "updated", "removed"};
  etcd_bytes k = etcd_value_key(value), v = etcd_value_value(prev ? prev : value);
  (void)userdata;
  printf(kind == ETCD_CHANGE_KIND_ADDED ? "%s %.*s -> %.*s\n" : "%s %.*s (was %.*s)\n", names[kind],
         (int)k.len, k.data, (int)v.len, v.data);
  fflush(stdout);
  __atomic_sub_fetch(&left, 1, __ATOMIC_SEQ_CST);
}

int main(int argc, char *argv[]) {
  const char *endpoints = getenv("ETCD_ENDPOINTS");
  etcd_client *client = NULL;
  etcd_discovery *discovery = NULL;
  etcd_response *snapshot = NULL;
  struct timespec tick = {0, 10000000};
  if (argc != 2) return 2;
  left = atoi(argv[1]);
  if (etcd_client_connect(endpoints ? endpoints : "http://127.0.0.1:2379", NULL, &client) ||
      etcd_discovery_new(client, "/service/", 9, on_change, NULL, NULL, &discovery) ||
      !etcd_discovery_wait_ready(discovery, 10000) || etcd_discovery_snapshot(discovery, &snapshot))
    return 1;
  printf("ready: %zu services\n", etcd_response_value_count(snapshot));
  fflush(stdout);
  etcd_response_free(snapshot);
  while (__atomic_load_n(&left, __ATOMIC_SEQ_CST) > 0) nanosleep(&tick, NULL);
  etcd_discovery_free(discovery);
  etcd_client_free(client);
  return 0;
}
