/* A paced (open-loop) HTTP load generator for bench/serve.sh, since wrk
 * cannot hold a fixed rate: request i is due at start + i / RATE, whatever
 * happened to the ones before, and its latency counts from that due time
 * (so a stall shows as latency, not as fewer requests). THREADS
 * connections, kept alive (a new one after any error), take the due
 * requests in turn.
 *   mlops_bench_serve_paced HOST PORT RATE SECONDS THREADS PATH BODY_FILE [AUTH_HEADER]
 * Prints one line per second (answered, failed, p99, which X-Model-Version
 * answered) and a summary; exit status 0 whatever failed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECONDS 600
#define MAX_VERSIONS 16

static const char *g_host;
static int g_port;
static double g_rate;
static int g_seconds;
static char *g_request;
static size_t g_request_len;
static int64_t g_start_ns;
static atomic_long g_next;
static long g_total;

/* Per second of the run, under g_mu. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static long g_ok[MAX_SECONDS], g_failed[MAX_SECONDS], g_by_version[MAX_SECONDS][MAX_VERSIONS];
static double *g_latency_ms; /* one per request, -1 for a failure */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int connect_to_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
  inet_pton(AF_INET, g_host, &a.sin_addr);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends the request and reads one answer: its status, or -1 on a transport
 * error; *version gets X-Model-Version (0 when absent). */
static int exchange(int fd, int *version) {
  size_t sent = 0;
  while (sent < g_request_len) {
    ssize_t n = send(fd, g_request + sent, g_request_len - sent, MSG_NOSIGNAL);
    if (n <= 0) return -1;
    sent += (size_t)n;
  }
  char buf[65536];
  size_t have = 0;
  char *end = NULL;
  while (!end) {
    if (have == sizeof buf - 1) return -1;
    ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
    if (n <= 0) return -1;
    have += (size_t)n;
    buf[have] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  int status = 0;
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
  long length = 0;
  *version = 0;
  for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "content-length:", 15) == 0) length = strtol(line + 17, NULL, 10);
    if (strncasecmp(line + 2, "x-model-version:", 16) == 0) *version = atoi(line + 18);
  }
  long body = (long)(have - (size_t)(end + 4 - buf));
  while (body < length) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    body += n;
  }
  return status;
}

static void *worker(void *unused) {
  (void)unused;
  int fd = -1;
  for (;;) {
    long i = atomic_fetch_add(&g_next, 1);
    if (i >= g_total) break;
    int64_t due = g_start_ns + (int64_t)((double)i * 1e9 / g_rate);
    int64_t wait = due - now_ns();
    if (wait > 0) {
      struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
      nanosleep(&ts, NULL);
    }
    if (fd < 0) fd = connect_to_server();
    int version = 0;
    int status = fd < 0 ? -1 : exchange(fd, &version);
    if (status < 0 && fd >= 0) {
      close(fd);
      fd = -1;
    }
    double ms = (double)(now_ns() - due) / 1e6;
    int second = (int)((due - g_start_ns) / 1000000000);
    int ok = status >= 200 && status < 300;
    pthread_mutex_lock(&g_mu);
    if (ok) {
      g_ok[second]++;
      g_by_version[second][version >= 0 && version < MAX_VERSIONS ? version : 0]++;
    } else {
      g_failed[second]++;
    }
    g_latency_ms[i] = ok ? ms : -1;
    pthread_mutex_unlock(&g_mu);
  }
  if (fd >= 0) close(fd);
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(double *v, long n, double p) {
  if (n == 0) return 0;
  long i = (long)(p * (double)n);
  return v[i >= n ? n - 1 : i];
}

int main(int argc, char **argv) {
  if (argc < 8 || argc > 9) {
    fprintf(stderr, "usage: %s HOST PORT RATE SECONDS THREADS PATH BODY_FILE [AUTH_HEADER]\n", argv[0]);
    return 2;
  }
  g_host = argv[1];
  g_port = atoi(argv[2]);
  g_rate = atof(argv[3]);
  g_seconds = atoi(argv[4]);
  int threads = atoi(argv[5]);
  if (g_rate <= 0 || g_seconds <= 0 || g_seconds > MAX_SECONDS || threads <= 0) {
    fprintf(stderr, "bad RATE, SECONDS (1..%d) or THREADS\n", MAX_SECONDS);
    return 2;
  }
  FILE *f = fopen(argv[7], "rb");
  if (!f) {
    perror(argv[7]);
    return 1;
  }
  static char body[1 << 22];
  size_t body_len = fread(body, 1, sizeof body, f);
  fclose(f);
  const char *auth = argc == 9 ? argv[8] : "";
  g_request = malloc(body_len + 1024 + strlen(auth));
  int head = sprintf(g_request,
                     "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%s%s\r\n",
                     argv[6], g_host, g_port, body_len, auth, *auth ? "\r\n" : "");
  memcpy(g_request + head, body, body_len);
  g_request_len = (size_t)head + body_len;
  g_total = (long)(g_rate * g_seconds);
  g_latency_ms = calloc((size_t)g_total, sizeof(double));
  g_start_ns = now_ns() + 100000000;
  pthread_t t[256];
  if (threads > 256) threads = 256;
  for (int k = 0; k < threads; ++k) pthread_create(&t[k], NULL, worker, NULL);
  for (int k = 0; k < threads; ++k) pthread_join(t[k], NULL);

  long ok = 0, failed = 0, min_ok = -1;
  for (int s = 0; s < g_seconds; ++s) {
    printf("second %3d: answered %4ld, failed %ld, versions", s, g_ok[s], g_failed[s]);
    for (int v = 0; v < MAX_VERSIONS; ++v)
      if (g_by_version[s][v]) printf(" v%d:%ld", v, g_by_version[s][v]);
    printf("\n");
    ok += g_ok[s];
    failed += g_failed[s];
    if (min_ok < 0 || g_ok[s] < min_ok) min_ok = g_ok[s];
  }
  long n = 0;
  for (long i = 0; i < g_total; ++i)
    if (g_latency_ms[i] >= 0) g_latency_ms[n++] = g_latency_ms[i];
  qsort(g_latency_ms, (size_t)n, sizeof(double), by_value);
  printf("summary: rate %.0f/s for %d s: %ld answered 2xx, %ld failed; lowest second %ld; "
         "latency from due time p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
         g_rate, g_seconds, ok, failed, min_ok, percentile(g_latency_ms, n, 0.5),
         percentile(g_latency_ms, n, 0.99), n ? g_latency_ms[n - 1] : 0.0);
  return 0;
}
