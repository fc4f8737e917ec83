/*
 * Service registration with the C API: publishes services under /service/<name> -> host:port,
 * attached to a lease that an etcd_keepalive keeps alive while the program runs. When the
 * program stops, the lease is left to expire rather than revoked, just as when a service
 * crashes: etcd removes the entries after the lease's TTL and watchers (see discoverer.c)
 * receive DELETE events.
 *
 * Usage: registrar [--endpoints URLS] [--ttl SECONDS] [--for SECONDS] NAME=HOST:PORT...
 *   --endpoints  default: $ETCD_ENDPOINTS, else http://127.0.0.1:2379
 *   --ttl        lease TTL (default 3)
 *   --for        stop after this many seconds (default: run until SIGINT or SIGTERM)
 * Example: registrar user=127.0.0.1:8080 friend=127.0.0.1:9090
 *
 * Build: cc registrar.c $(pkg-config --cflags --libs etcd-cpp-rs) -o registrar
 */
#define _POSIX_C_SOURCE 200809L
#include <etcd/etcd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SERVICES 64

static int usage(void) {
  fprintf(stderr,
          "usage: registrar [--endpoints URLS] [--ttl SECONDS] [--for SECONDS] "
          "NAME=HOST:PORT...\n");
  return 2;
}

/* Runs on a library thread if the keep-alive fails; wakes up main. */
static void on_keepalive_error(void *userdata, etcd_status status, const char *message) {
  (void)userdata;
  (void)status;
  fprintf(stderr, "registrar: keep-alive failed: %s\n", message);
  kill(getpid(), SIGUSR1);
}

int main(int argc, char *argv[]) {
  const char *endpoints = getenv("ETCD_ENDPOINTS");
  long ttl = 3;
  long run_for = -1;
  const char *services[MAX_SERVICES];
  int n_services = 0;
  sigset_t stop_signals;
  etcd_client *client = NULL;
  etcd_keepalive *keepalive = NULL;
  etcd_response *response = NULL;
  int64_t lease;
  int signal_number = 0;
  int rc = 1;
  int i;

  for (i = 1; i < argc; i++) {
    int has_value =
        !strcmp(argv[i], "--endpoints") || !strcmp(argv[i], "--ttl") || !strcmp(argv[i], "--for");
    if (has_value && i + 1 < argc) {
      const char *option = argv[i++];
      if (!strcmp(option, "--endpoints")) {
        endpoints = argv[i];
      } else if (!strcmp(option, "--ttl")) {
        ttl = atol(argv[i]);
      } else {
        run_for = atol(argv[i]);
      }
    } else if (argv[i][0] != '-' && strchr(argv[i], '=') != NULL && n_services < MAX_SERVICES) {
      services[n_services++] = argv[i];
    } else {
      return usage();
    }
  }
  if (n_services == 0 || ttl <= 0) return usage();
  if (endpoints == NULL) endpoints = "http://127.0.0.1:2379";
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* Block the stop signals in every thread (library threads inherit this mask), so that only
   * the sigwait below receives them. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

  if (etcd_client_connect(endpoints, NULL, &client) != ETCD_STATUS_OK) {
    fprintf(stderr, "registrar: invalid endpoints: %s\n", endpoints);
    return 2;
  }
  if (etcd_client_lease_grant(client, ttl, &response) != ETCD_STATUS_OK ||
      !etcd_response_is_ok(response)) {
    fprintf(stderr, "registrar: cannot grant a lease: %s (error %d)\n",
            etcd_response_error_message(response), etcd_response_error_code(response));
    goto cleanup;
  }
  lease = etcd_value_lease(etcd_response_value(response));
  etcd_response_free(response);
  response = NULL;

  /* Refreshes the lease in the background. */
  if (etcd_keepalive_new(client, ttl, lease, on_keepalive_error, NULL, NULL, &keepalive) !=
      ETCD_STATUS_OK) {
    fprintf(stderr, "registrar: cannot start the keep-alive\n");
    goto cleanup;
  }

  for (i = 0; i < n_services; i++) {
    const char *eq = strchr(services[i], '=');
    char key[256];
    int key_len = snprintf(key, sizeof key, "/service/%.*s", (int)(eq - services[i]), services[i]);
    etcd_status status =
        etcd_client_put(client, key, (size_t)key_len, eq + 1, strlen(eq + 1), lease, &response);
    if (status != ETCD_STATUS_OK || !etcd_response_is_ok(response)) {
      fprintf(stderr, "registrar: cannot register %s: %s\n", key,
              etcd_response_error_message(response));
      goto cleanup;
    }
    etcd_response_free(response);
    response = NULL;
    printf("registered %s -> %s\n", key, eq + 1);
  }
  printf("lease %llx (ttl %ld s) kept alive until stopped\n", (unsigned long long)lease, ttl);

  if (run_for >= 0) {
    struct timespec timeout;
    timeout.tv_sec = run_for;
    timeout.tv_nsec = 0;
    signal_number = sigtimedwait(&stop_signals, NULL, &timeout); /* -1 on timeout */
  } else {
    sigwait(&stop_signals, &signal_number);
  }
  /* Freeing the keep-alive stops the refreshes without revoking the lease, so the entries stay
   * visible until the lease expires. */
  printf("stopping; the registrations expire within %ld s\n", ttl);
  rc = signal_number == SIGUSR1 ? 1 : 0;

cleanup:
  etcd_response_free(response);
  etcd_keepalive_free(keepalive);
  etcd_client_free(client);
  return rc;
}
