/* The floor under mlops-serve (bench/serve.sh): a CivetWeb server that
 * reads each request's body and answers every request with the same fixed
 * body (a file: mlops-serve's own answer to the benchmark's request), with
 * the same CivetWeb settings as mlops-serve. What mlops-serve adds on top
 * of this is parsing, authentication, the model and the log.
 *   mlops_bench_serve_bare PORT BODY_FILE THREADS
 * Prints "ready" on stdout once listening; stops on SIGTERM or SIGINT. */
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *g_answer; /* status line, headers and body: one write */
static size_t g_answer_len;
static volatile sig_atomic_t g_stop;

static void on_signal(int sig) { (void)sig; g_stop = 1; }

static int answer(struct mg_connection *conn, void *unused) {
  (void)unused;
  char buf[16384];
  while (mg_read(conn, buf, sizeof buf) > 0) {
  }
  mg_write(conn, g_answer, g_answer_len);
  return 200;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT BODY_FILE THREADS\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[2], "rb");
  if (!f) {
    perror(argv[2]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long body_len = ftell(f);
  rewind(f);
  g_answer = malloc((size_t)body_len + 256);
  g_answer_len = (size_t)sprintf(g_answer,
                                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "X-Model-Version: 1\r\nContent-Length: %ld\r\n\r\n",
                                 body_len);
  if (fread(g_answer + g_answer_len, 1, (size_t)body_len, f) != (size_t)body_len) {
    fprintf(stderr, "cannot read %s\n", argv[2]);
    return 1;
  }
  g_answer_len += (size_t)body_len;
  fclose(f);
  char ports[64];
  snprintf(ports, sizeof ports, "127.0.0.1:%s", argv[1]);
  const char *options[] = {"listening_ports", ports, "num_threads", argv[3],
                           "enable_keep_alive", "yes", "keep_alive_timeout_ms", "30000",
                           "request_timeout_ms", "30000", "tcp_nodelay", "1",
                           "listen_backlog", "1024", "decode_url", "no", NULL};
  mg_init_library(0);
  struct mg_callbacks callbacks;
  memset(&callbacks, 0, sizeof callbacks);
  struct mg_context *ctx = mg_start(&callbacks, NULL, options);
  if (!ctx) {
    fprintf(stderr, "cannot listen on %s\n", ports);
    return 1;
  }
  mg_set_request_handler(ctx, "/", answer, NULL);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("ready\n");
  fflush(stdout);
  while (!g_stop) pause();
  mg_stop(ctx);
  mg_exit_library();
  free(g_answer);
  return 0;
}
