/* The bare posix_spawn baseline of the DAG benchmark: runs `touch DIR/sI` for
 * I in [0, N) with at most J children at once, stdin from /dev/null, and
 * exits non-zero if a spawn or a child fails. No shell, no dependency graph:
 * a lower bound for what make or mlopsd can do with the same commands.
 *
 * Usage: mlops_bench_spawn_loop J N DIR [MODE]
 *   MODE spawn (default): this process posix_spawns each `touch`.
 *   MODE host: each job is a forked child that posix_spawns `touch`, waits
 *     for it and exits with its status: the shape of one stage-host process
 *     per attempt, without any of the host's own work (a floor for it).
 *   MODE host-exec: each job is a forked child that execs `touch` itself:
 *     a host that hands its process over to the command. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static int reap_one(void) {
  int status = 0;
  if (wait(&status) < 0) return 1;
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

enum Mode { kSpawn, kHost, kHostExec };

/* Starts one job for `child_argv`; 0 on success, else an errno value. */
static int start(enum Mode mode, posix_spawn_file_actions_t* fa, char** child_argv) {
  pid_t pid;
  if (mode == kSpawn) return posix_spawnp(&pid, "touch", fa, NULL, child_argv, environ);
  pid = fork();
  if (pid < 0) return errno;
  if (pid > 0) return 0;
  if (mode == kHostExec) {
    execvp("touch", child_argv);
    _exit(127);
  }
  pid_t command;
  int status = 0;
  if (posix_spawnp(&command, "touch", fa, NULL, child_argv, environ) != 0) _exit(127);
  if (waitpid(command, &status, 0) < 0) _exit(127);
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: %s JOBS N DIR [spawn|host|host-exec]\n", argv[0]);
    return 2;
  }
  enum Mode mode = kSpawn;
  if (argc == 5 && strcmp(argv[4], "host") == 0) mode = kHost;
  else if (argc == 5 && strcmp(argv[4], "host-exec") == 0) mode = kHostExec;
  else if (argc == 5 && strcmp(argv[4], "spawn") != 0) return 2;
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
    int err = start(mode, &fa, child_argv);
    if (err != 0) {
      /* posix_spawnp returns its error rather than setting errno. */
      fprintf(stderr, "starting touch: %s\n", strerror(err));
      return 1;
    }
    ++running;
  }
  while (running-- > 0) failed |= reap_one();
  posix_spawn_file_actions_destroy(&fa);
  return failed;
}
