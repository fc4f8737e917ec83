/*
 * Service discovery with the C API: lists the services registered under /service/ (see
 * registrar.c), then follows changes with an etcd_watcher and prints every registration (PUT)
 * and removal (DELETE) together with the previous value.
 *
 * The watch starts at the revision right after the listing, so no change between the two is
 * missed.
 *
 * Usage: discoverer [--endpoints URLS] [--events N]
 *   --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
 *   --events     exit after N events (default: run until SIGINT or SIGTERM)
 *
 * Build: cc discoverer.c $(pkg-config --cflags --libs etcd-cpp-rs) -o discoverer
 */
#define _POSIX_C_SOURCE 200809L
#include <etcd/etcd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char prefix[] = "/service/";

/* What the watch callback needs; it runs on a library thread, one call at a time. */
typedef struct {
  long seen;
  long wanted;
} progress;

static void print_bytes(etcd_bytes b) { fwrite(b.data, 1, b.len, stdout); }

static void on_change(void *userdata, const etcd_response *response) {
  progress *p = (progress *)userdata;
  size_t i;
  if (!etcd_response_is_ok(response)) {
    printf("watch error %d: %s\n", etcd_response_error_code(response),
           etcd_response_error_message(response));
    return;
  }
  for (i = 0; i < etcd_response_event_count(response); i++) {
    const etcd_event *event = etcd_response_event_at(response, i);
    const etcd_value *kv = etcd_event_kv(event);
    const etcd_value *prev = etcd_event_prev_kv(event);
    flockfile(stdout);
    if (etcd_event_get_type(event) == ETCD_EVENT_TYPE_PUT) {
      printf("PUT    ");
      print_bytes(etcd_value_key(kv));
      printf(" -> ");
      print_bytes(etcd_value_value(kv));
      if (prev != NULL) {
        printf(" (was ");
        print_bytes(etcd_value_value(prev));
        printf(")\n");
      } else {
        printf(" (new)\n");
      }
    } else if (etcd_event_get_type(event) == ETCD_EVENT_TYPE_DELETE) {
      printf("DELETE ");
      print_bytes(etcd_value_key(kv));
      printf(" (was ");
      print_bytes(etcd_value_value(prev));
      printf(")\n");
    }
    funlockfile(stdout);
    if (++p->seen == p->wanted) kill(getpid(), SIGUSR1);
  }
}

static int usage(void) {
  fprintf(stderr, "usage: discoverer [--endpoints URLS] [--events N]\n");
  return 2;
}

int main(int argc, char *argv[]) {
  const char *endpoints = getenv("ETCD_ENDPOINTS");
  progress p = {0, -1};
  sigset_t stop_signals;
  etcd_client *client = NULL;
  etcd_response *listing = NULL;
  etcd_watcher *watcher = NULL;
  int64_t from;
  size_t i;
  int rc = 1;

  for (i = 1; i < (size_t)argc; i++) {
    if (!strcmp(argv[i], "--endpoints") && i + 1 < (size_t)argc) {
      endpoints = argv[++i];
    } else if (!strcmp(argv[i], "--events") && i + 1 < (size_t)argc) {
      p.wanted = atol(argv[++i]);
    } else {
      return usage();
    }
  }
  if (endpoints == NULL) endpoints = "http://127.0.0.1:2379";
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* Block the stop signals in every thread (library threads inherit this mask); sigwait below
   * receives them. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  if (etcd_client_connect(endpoints, NULL, &client) != ETCD_STATUS_OK) {
    fprintf(stderr, "discoverer: invalid endpoints: %s\n", endpoints);
    return 2;
  }
  if (etcd_client_ls(client, prefix, strlen(prefix), 0, 0, &listing) != ETCD_STATUS_OK ||
      !etcd_response_is_ok(listing)) {
    fprintf(stderr, "discoverer: cannot list %s: %s (error %d)\n", prefix,
            etcd_response_error_message(listing), etcd_response_error_code(listing));
    goto cleanup;
  }
  printf("services under %s: %zu\n", prefix, etcd_response_value_count(listing));
  for (i = 0; i < etcd_response_value_count(listing); i++) {
    const etcd_value *v = etcd_response_value_at(listing, i);
    printf("  ");
    print_bytes(etcd_value_key(v));
    printf(" -> ");
    print_bytes(etcd_value_value(v));
    printf("\n");
  }

  /* The index is the store revision the listing was read at. */
  from = etcd_response_index(listing) + 1;
  if (etcd_watcher_new(client, prefix, strlen(prefix), true, from, on_change, &p, NULL, &watcher) !=
      ETCD_STATUS_OK) {
    fprintf(stderr, "discoverer: cannot watch %s\n", prefix);
    goto cleanup;
  }
  printf("watching %s from revision %lld\n", prefix, (long long)from);

  if (p.wanted != 0) {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
  }
  /* After cancel returns no callback runs, so `p` can be read without a lock. */
  etcd_watcher_cancel(watcher);
  printf("stopped after %ld events\n", p.seen);
  rc = 0;

cleanup:
  etcd_watcher_free(watcher);
  etcd_response_free(listing);
  etcd_client_free(client);
  return rc;
}
