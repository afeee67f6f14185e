/* The bare posix_spawn baseline of the DAG benchmark: runs `touch DIR/sI` for
 * I in [0, N) with at most J children at once, stdin from /dev/null, and
 * exits non-zero if a spawn or a child fails. No shell, no dependency graph:
 * a lower bound for what make or mlopsd can do with the same commands.
 *
 * Usage: mlops_bench_spawn_loop J N DIR */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char** environ;

static int reap_one(void) {
  int status = 0;
  if (wait(&status) < 0) return 1;
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s JOBS N DIR\n", argv[0]);
    return 2;
  }
  long jobs = strtol(argv[1], NULL, 10);
  long n = strtol(argv[2], NULL, 10);
  if (jobs < 1 || n < 0) return 2;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
  int failed = 0;
  long running = 0;
  char path[4096];
  for (long i = 0; i < n; ++i) {
    if (running == jobs) {
      failed |= reap_one();
      --running;
    }
    snprintf(path, sizeof path, "%s/s%ld", argv[3], i);
    char* child_argv[] = {"touch", path, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "touch", &fa, NULL, child_argv, environ) != 0) {
      perror("posix_spawnp touch");
      return 1;
    }
    ++running;
  }
  while (running-- > 0) failed |= reap_one();
  posix_spawn_file_actions_destroy(&fa);
  return failed;
}
