/*
 * A distributed lock with the C API: several workers (threads here; processes or machines work
 * the same) increment a counter stored in etcd with a read-modify-write that is only correct
 * while one worker at a time does it. Each increment holds the lock NAME; the lock's lease is
 * kept alive by the library until etcd_client_unlock, and expires by itself (TTL 10 s) if the
 * program dies while holding it.
 *
 * Usage: lock [--endpoints URLS] [--workers N] [--rounds N] [NAME]
 *   --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
 *   --workers    concurrent workers (default 4)
 *   --rounds     increments per worker (default 5)
 *   NAME         lock name (default /examples/lock/<pid>); the counter is NAME-counter
 * Prints the final counter and exits with 0 when it is workers x rounds.
 *
 * Build: cc lock.c $(pkg-config --cflags --libs etcd-cpp-rs) -lpthread -o lock
 */
#define _POSIX_C_SOURCE 200809L
#include <etcd/etcd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORKERS 64

static etcd_client *client;
static char lock_name[256];
static char counter_key[300];
static long rounds = 5;

/* The counter's value, 0 when it does not exist yet; -1 on error. */
static long read_counter(void) {
  etcd_response *r = NULL;
  long value = -1;
  if (etcd_client_get(client, counter_key, strlen(counter_key), 0, &r) != ETCD_STATUS_OK) return -1;
  if (etcd_response_is_ok(r)) {
    etcd_bytes b =
        etcd_response_value(r) ? etcd_value_value(etcd_response_value(r)) : (etcd_bytes){0};
    char text[32] = {0};
    memcpy(text, b.data, b.len < sizeof text - 1 ? b.len : sizeof text - 1);
    value = strtol(text, NULL, 10);
  } else if (etcd_response_error_code(r) == ETCD_ERROR_KEY_NOT_FOUND) {
    value = 0;
  } else {
    fprintf(stderr, "lock: get failed: %s\n", etcd_response_error_message(r));
  }
  etcd_response_free(r);
  return value;
}

static int write_counter(long value) {
  etcd_response *r = NULL;
  char text[32];
  int ok;
  snprintf(text, sizeof text, "%ld", value);
  if (etcd_client_put(client, counter_key, strlen(counter_key), text, strlen(text), 0, &r) !=
      ETCD_STATUS_OK) {
    return 0;
  }
  ok = etcd_response_is_ok(r);
  etcd_response_free(r);
  return ok;
}

static void *worker(void *arg) {
  long i;
  (void)arg;
  for (i = 0; i < rounds; i++) {
    etcd_response *locked = NULL, *unlocked = NULL;
    etcd_bytes key;
    long value;

    /* Waits while another worker holds the lock. */
    if (etcd_client_lock(client, lock_name, strlen(lock_name), 10, &locked) != ETCD_STATUS_OK ||
        !etcd_response_is_ok(locked)) {
      fprintf(stderr, "lock: lock failed: %s\n",
              locked ? etcd_response_error_message(locked) : "bad arguments");
      etcd_response_free(locked);
      return (void *)1;
    }
    /* The critical section: nobody else reads or writes the counter meanwhile. */
    value = read_counter();
    if (value < 0 || !write_counter(value + 1)) fprintf(stderr, "lock: update failed\n");

    /* Unlock with the lock key (not the name), which the lock response owns. */
    key = etcd_response_lock_key(locked);
    if (etcd_client_unlock(client, key.data, key.len, &unlocked) != ETCD_STATUS_OK ||
        !etcd_response_is_ok(unlocked)) {
      fprintf(stderr, "lock: unlock failed\n");
    }
    etcd_response_free(unlocked);
    etcd_response_free(locked);
  }
  return NULL;
}

int main(int argc, char *argv[]) {
  const char *endpoints = getenv("ETCD_ENDPOINTS");
  long workers = 4;
  long expected, got, i;
  pthread_t threads[MAX_WORKERS];
  etcd_response *r = NULL;

  snprintf(lock_name, sizeof lock_name, "/examples/lock/%d", (int)getpid());
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--endpoints") == 0 && i + 1 < argc) {
      endpoints = argv[++i];
    } else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
      workers = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = strtol(argv[++i], NULL, 10);
    } else if (argv[i][0] != '-') {
      snprintf(lock_name, sizeof lock_name, "%s", argv[i]);
    } else {
      fprintf(stderr, "usage: lock [--endpoints URLS] [--workers N] [--rounds N] [NAME]\n");
      return 2;
    }
  }
  if (workers < 1 || workers > MAX_WORKERS || rounds < 1) {
    fprintf(stderr, "lock: --workers must be 1-%d and --rounds positive\n", MAX_WORKERS);
    return 2;
  }
  /* Not under NAME/: etcd's lock waits for every older key under that prefix. */
  snprintf(counter_key, sizeof counter_key, "%s-counter", lock_name);
  if (endpoints == NULL) endpoints = "http://127.0.0.1:2379";
  if (etcd_client_connect(endpoints, NULL, &client) != ETCD_STATUS_OK) {
    fprintf(stderr, "lock: bad endpoints '%s'\n", endpoints);
    return 2;
  }
  /* Start from 0. */
  etcd_client_rm(client, counter_key, strlen(counter_key), &r);
  etcd_response_free(r);

  for (i = 0; i < workers; i++) pthread_create(&threads[i], NULL, worker, NULL);
  for (i = 0; i < workers; i++) pthread_join(threads[i], NULL);

  expected = workers * rounds;
  got = read_counter();
  printf("counter = %ld (expected %ld)\n", got, expected);
  etcd_client_free(client);
  return got == expected ? 0 : 1;
}
