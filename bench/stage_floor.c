/* The floor of a stage under the isolation and records that mlopsd must
 * keep, with nothing else: runs the benchmark's DAG of
 * `touch DIR/out/sI` stages (bench/dag_bench.py's shapes) in one thread of one
 * process, at most JOBS at once, doing per stage only what any such tool must
 * do, in C: no scheduler beyond a ready list, no plugin, no spec, no hand-off
 * between threads, no timeout, no cache key.
 *
 *   host      a forked child per stage (own session and process group) that
 *             posix_spawns the command with stdin from /dev/null, waits for
 *             it, reports a one-byte result on a pipe and exits; the parent
 *             polls the results and reaps the children that have exited.
 *   host-log  as `host`, with the stage's stdout/stderr going to a log file
 *             of its own, created for the stage (DIR/logs/sI.log).
 *   host-record  as `host`, plus the stages' records (as in `full`), with
 *             every stage's stdout/stderr appended to one log file for the
 *             whole run (DIR/logs/run.log, opened once): the cheapest log a
 *             design could keep, with no file created per stage (each
 *             attempt's log would be a segment of that file).
 *   full      as `host-log`, plus the stages' records: one SQLite write
 *             transaction (WAL, synchronous=NORMAL, prepared statements) per
 *             round of results that ends the attempts that finished (status,
 *             exit code, time), records each one's output artifact (SHA-256
 *             of the file) and lineage edge, and creates the attempts about
 *             to start, committed before their commands start.
 *   full-exec as `full`, but each command is posix_spawned directly in a
 *             session of its own with the log on stdout/stderr (make's way,
 *             plus setsid and a log): no host process, so less than point 4
 *             allows, since nothing would be left to report a plugin's
 *             result or end what the command left behind.
 *
 * Usage: mlops_bench_stage_floor chain N DIR MODE [DB]   N stages, one at a time
 *        mlops_bench_stage_floor fan D DIR MODE [DB]     D diamonds of width 50
 *                                                        (root -> 50 -> join),
 *                                                        two at a time
 * The records go to DB when given (kept from one run to the next, as a
 * daemon's registry and its write-ahead log are), else to a new
 * DIR/registry.db.
 * Prints nothing; exits non-zero if a stage fails. bench/floor.sh times it
 * against make, the bare spawn loop and mlopsd. */
#define _GNU_SOURCE  // pipe2, POSIX_SPAWN_SETSID
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

enum Mode { kHost, kHostLog, kHostRecord, kFull, kFullExec };

static int Records(enum Mode mode) { return mode == kHostRecord || mode == kFull || mode == kFullExec; }
static int LogPerStage(enum Mode mode) { return mode == kHostLog || mode == kFull || mode == kFullExec; }

static long long NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int Fail(const char* what) {
  fprintf(stderr, "stage_floor: %s: %s\n", what, strerror(errno));
  return 1;
}

/* The stage host: its own session, the log on stdout/stderr, the command
 * spawned and waited for, its result reported on `result_fd`. */
static void HostMain(int log_fd, int result_fd, char** argv) {
  setsid();
  if (log_fd >= 0) {
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(log_fd);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t command;
  int status = 0;
  char result = 1;
  if (posix_spawnp(&command, argv[0], &fa, NULL, argv, environ) == 0 &&
      waitpid(command, &status, 0) == command && WIFEXITED(status) &&
      WEXITSTATUS(status) == 0) {
    result = 0;
  }
  if (write(result_fd, &result, 1) != 1) _exit(3);
  _exit(result);
}

/* SHA-256 of a file, as lowercase hex, and its size. The algorithm is
 * looked up once. */
static int HashFile(const char* path, char hex[65], long long* size) {
  static EVP_MD* sha256 = NULL;
  if (sha256 == NULL) sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return -1;
  }
  *size = st.st_size;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, sha256, NULL);
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) EVP_DigestUpdate(ctx, buf, (size_t)n);
  close(fd);
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  for (int i = 0; i < 32; ++i) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return n < 0 ? -1 : 0;
}

static const char kSchema[] =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY, stage TEXT NOT NULL, status TEXT NOT NULL,"
    " exit_code INTEGER, log_path TEXT NOT NULL, started_ms INTEGER, finished_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS attempts_running ON attempts (id) WHERE status = 'running';"
    "CREATE TABLE IF NOT EXISTS artifacts (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS edges (attempt_id INTEGER NOT NULL REFERENCES attempts (id),"
    " sha256 TEXT NOT NULL REFERENCES artifacts (sha256), name TEXT NOT NULL,"
    " PRIMARY KEY (attempt_id, sha256, name)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS edges_by_artifact ON edges (sha256, attempt_id);";

struct Registry {
  sqlite3* db;
  sqlite3_stmt *begin, *commit, *finish, *artifact, *edge, *create;
};

static int Prepare(sqlite3* db, const char* sql, sqlite3_stmt** out) {
  return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) == SQLITE_OK ? 0 : -1;
}

static int OpenRegistry(const char* path, struct Registry* r) {
  if (sqlite3_open(path, &r->db) != SQLITE_OK) return -1;
  if (sqlite3_exec(r->db, kSchema, NULL, NULL, NULL) != SQLITE_OK) return -1;
  return Prepare(r->db, "BEGIN IMMEDIATE", &r->begin) || Prepare(r->db, "COMMIT", &r->commit) ||
         Prepare(r->db,
                 "UPDATE attempts SET status = ?2, exit_code = ?3, finished_ms = ?4 WHERE id = ?1",
                 &r->finish) ||
         Prepare(r->db, "INSERT OR IGNORE INTO artifacts (sha256, size) VALUES (?1, ?2)",
                 &r->artifact) ||
         Prepare(r->db, "INSERT OR IGNORE INTO edges (attempt_id, sha256, name) VALUES (?1, ?2, ?3)",
                 &r->edge) ||
         Prepare(r->db,
                 "INSERT INTO attempts (stage, status, log_path, started_ms)"
                 " VALUES (?1, 'running', ?2, ?3)",
                 &r->create);
}

static int Step(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? 0 : -1;
}

static int Begin(struct Registry* r) { return Step(r->begin); }
static int Commit(struct Registry* r) { return Step(r->commit); }

/* The end of attempt `attempt`, with its output artifact and lineage edge. */
static int RecordEnd(struct Registry* r, long long attempt, int exit_code, const char* output) {
  char hex[65];
  long long size = 0;
  if (HashFile(output, hex, &size) != 0) return -1;
  sqlite3_bind_int64(r->finish, 1, attempt);
  sqlite3_bind_text(r->finish, 2, exit_code == 0 ? "succeeded" : "failed", -1, SQLITE_STATIC);
  sqlite3_bind_int(r->finish, 3, exit_code);
  sqlite3_bind_int64(r->finish, 4, NowMs());
  sqlite3_bind_text(r->artifact, 1, hex, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(r->artifact, 2, size);
  sqlite3_bind_int64(r->edge, 1, attempt);
  sqlite3_bind_text(r->edge, 2, hex, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(r->edge, 3, output, -1, SQLITE_TRANSIENT);
  return Step(r->finish) || Step(r->artifact) || Step(r->edge) ? -1 : 0;
}

/* A new running attempt of `stage`; *created is its id. */
static int RecordStart(struct Registry* r, const char* stage, const char* log_path,
                       long long* created) {
  sqlite3_bind_text(r->create, 1, stage, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(r->create, 2, log_path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(r->create, 3, NowMs());
  if (Step(r->create) != 0) return -1;
  *created = sqlite3_last_insert_rowid(r->db);
  return 0;
}

enum { kFanWidth = 50, kFanJobs = 2 };

struct Dag {
  long n;
  long* deps_left;     /* per stage: needs not yet succeeded */
  long* first_child;   /* per stage: index into children of its dependents */
  long* child_count;
  long* children;
};

/* deps_left and dependents of the benchmark's chain or fan. */
static int BuildDag(const char* shape, long size, struct Dag* d) {
  long edges = 0;
  if (strcmp(shape, "chain") == 0) {
    d->n = size;
    edges = size > 0 ? size - 1 : 0;
  } else if (strcmp(shape, "fan") == 0) {
    d->n = 1 + size * (kFanWidth + 1);
    edges = size * 2 * kFanWidth;
  } else {
    return -1;
  }
  d->deps_left = calloc((size_t)d->n, sizeof(long));
  d->first_child = calloc((size_t)d->n, sizeof(long));
  d->child_count = calloc((size_t)d->n, sizeof(long));
  d->children = calloc((size_t)edges + 1, sizeof(long));
  long* from = calloc((size_t)edges + 1, sizeof(long));
  long* to = calloc((size_t)edges + 1, sizeof(long));
  long e = 0;
  if (strcmp(shape, "chain") == 0) {
    for (long i = 1; i < d->n; ++i) from[e] = i - 1, to[e++] = i;
  } else {
    long root = 0;
    for (long k = 0; k < size; ++k) {
      const long first = 1 + k * (kFanWidth + 1), join = first + kFanWidth;
      for (long j = first; j < join; ++j) {
        from[e] = root, to[e++] = j;
        from[e] = j, to[e++] = join;
      }
      root = join;
    }
  }
  for (long i = 0; i < e; ++i) ++d->child_count[from[i]], ++d->deps_left[to[i]];
  for (long i = 1; i < d->n; ++i) d->first_child[i] = d->first_child[i - 1] + d->child_count[i - 1];
  long* filled = calloc((size_t)d->n, sizeof(long));
  for (long i = 0; i < e; ++i) d->children[d->first_child[from[i]] + filled[from[i]]++] = to[i];
  free(filled);
  free(from);
  free(to);
  return 0;
}

struct Running {
  long stage;
  long long attempt;
  pid_t pid;
  int result_fd; /* -1 in full-exec */
};

/* Starts stage `i`: its log, then a host (or, in full-exec, the command).
 * `run_log` is the run's one log (host-record), else -1. */
static int Launch(enum Mode mode, const char* dir, long i, int run_log, struct Running* r) {
  char log_path[4096], output[4096];
  snprintf(log_path, sizeof log_path, "%s/logs/s%ld.log", dir, i);
  snprintf(output, sizeof output, "%s/out/s%ld", dir, i);
  char* command[] = {"touch", output, NULL};
  int log_fd = -1;
  if (LogPerStage(mode)) {
    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (log_fd < 0) return Fail("log");
  } else if (run_log >= 0) {
    log_fd = fcntl(run_log, F_DUPFD_CLOEXEC, 3);
    if (log_fd < 0) return Fail("dup log");
  }
  r->stage = i;
  r->result_fd = -1;
  if (mode == kFullExec) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, log_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, log_fd, STDERR_FILENO);
    int rc = posix_spawnp(&r->pid, command[0], &fa, &attr, command, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(log_fd);
    return rc == 0 ? 0 : (errno = rc, Fail("posix_spawn"));
  }
  int result[2];
  if (pipe2(result, O_CLOEXEC) != 0) return Fail("pipe");
  r->pid = fork();
  if (r->pid < 0) return Fail("fork");
  if (r->pid == 0) {
    close(result[0]);
    HostMain(log_fd, result[1], command);
  }
  close(result[1]);
  if (log_fd >= 0) close(log_fd);
  r->result_fd = result[0];
  return 0;
}

/* Waits for at least one running stage to end; moves the ended ones to the
 * end of `running` and returns how many there are. */
static int WaitForResults(enum Mode mode, struct Running* running, int count, int* ended) {
  *ended = 0;
  if (mode == kFullExec) {
    int status = 0;
    pid_t pid = wait(&status);
    if (pid < 0) return Fail("wait");
    for (int k = 0; k < count; ++k) {
      if (running[k].pid != pid) continue;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
      struct Running done = running[k];
      running[k] = running[count - 1];
      running[count - 1] = done;
      *ended = 1;
      return 0;
    }
    return -1;
  }
  struct pollfd fds[kFanJobs];
  for (int k = 0; k < count; ++k) fds[k] = (struct pollfd){running[k].result_fd, POLLIN, 0};
  while (poll(fds, (nfds_t)count, -1) < 0) {
    if (errno != EINTR) return Fail("poll");
  }
  for (int k = count - 1; k >= 0; --k) {
    if (fds[k].revents == 0) continue;
    char outcome = 1;
    ssize_t got = read(running[k].result_fd, &outcome, 1);
    close(running[k].result_fd);
    if (got != 1 || outcome != 0) return -1;
    struct Running done = running[k];
    running[k] = running[count - 1 - *ended];
    running[count - 1 - *ended] = done;
    ++*ended;
  }
  /* As mlopsd does, nothing waits for a host's exit: hosts that have
   * exited meanwhile are reaped, the rest later. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s chain|fan N DIR host|host-log|host-record|full|full-exec [DB]\n",
            argv[0]);
    return 2;
  }
  enum Mode mode;
  if (strcmp(argv[4], "host") == 0) mode = kHost;
  else if (strcmp(argv[4], "host-log") == 0) mode = kHostLog;
  else if (strcmp(argv[4], "host-record") == 0) mode = kHostRecord;
  else if (strcmp(argv[4], "full") == 0) mode = kFull;
  else if (strcmp(argv[4], "full-exec") == 0) mode = kFullExec;
  else return 2;
  struct Dag dag;
  if (BuildDag(argv[1], strtol(argv[2], NULL, 10), &dag) != 0) return 2;
  const int jobs = strcmp(argv[1], "fan") == 0 ? kFanJobs : 1;
  const char* dir = argv[3];
  char path[4096];
  snprintf(path, sizeof path, "%s/out", dir);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) return Fail("mkdir out");
  snprintf(path, sizeof path, "%s/logs", dir);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) return Fail("mkdir logs");
  int run_log = -1;
  if (mode == kHostRecord) {
    snprintf(path, sizeof path, "%s/logs/run.log", dir);
    run_log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (run_log < 0) return Fail("run log");
  }
  struct Registry reg;
  if (Records(mode)) {
    if (argc == 6) {
      snprintf(path, sizeof path, "%s", argv[5]);
    } else {
      snprintf(path, sizeof path, "%s/registry.db", dir);
      unlink(path);
    }
    if (OpenRegistry(path, &reg) != 0) {
      fprintf(stderr, "stage_floor: registry: %s\n", sqlite3_errmsg(reg.db));
      return 1;
    }
  }
  long* ready = calloc((size_t)dag.n, sizeof(long));
  long ready_count = 0;
  for (long i = dag.n - 1; i >= 0; --i) {
    if (dag.deps_left[i] == 0) ready[ready_count++] = i;
  }
  struct Running running[kFanJobs];
  struct Running ended[kFanJobs];
  int running_count = 0, ended_count = 0;
  for (;;) {
    /* One transaction: what ended, and what starts now. */
    int starting = 0;
    while (running_count + starting < jobs && starting < ready_count) ++starting;
    if (Records(mode) && (ended_count > 0 || starting > 0)) {
      if (Begin(&reg) != 0) goto registry_error;
      for (int k = 0; k < ended_count; ++k) {
        char output[4096];
        snprintf(output, sizeof output, "%s/out/s%ld", dir, ended[k].stage);
        if (RecordEnd(&reg, ended[k].attempt, 0, output) != 0) goto registry_error;
      }
      for (int k = 0; k < starting; ++k) {
        const long stage = ready[ready_count - 1 - k];
        char name[32], log_path[4096];
        snprintf(name, sizeof name, "s%ld", stage);
        if (mode == kHostRecord) {
          snprintf(log_path, sizeof log_path, "%s/logs/run.log", dir);
        } else {
          snprintf(log_path, sizeof log_path, "%s/logs/s%ld.log", dir, stage);
        }
        if (RecordStart(&reg, name, log_path, &running[running_count + k].attempt) != 0) {
          goto registry_error;
        }
      }
      if (Commit(&reg) != 0) goto registry_error;
    }
    ended_count = 0;
    for (int k = 0; k < starting; ++k) {
      if (Launch(mode, dir, ready[--ready_count], run_log, &running[running_count]) != 0) return 1;
      ++running_count;
    }
    if (running_count == 0) break;
    int done = 0;
    if (WaitForResults(mode, running, running_count, &done) != 0) {
      fprintf(stderr, "stage_floor: a stage failed\n");
      return 1;
    }
    for (int k = 0; k < done; ++k) {
      const struct Running r = running[--running_count];
      ended[ended_count++] = r;
      for (long c = 0; c < dag.child_count[r.stage]; ++c) {
        const long child = dag.children[dag.first_child[r.stage] + c];
        if (--dag.deps_left[child] == 0) ready[ready_count++] = child;
      }
    }
  }
  int status = 0;
  while (wait(&status) > 0) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  if (Records(mode)) sqlite3_close_v2(reg.db);
  if (run_log >= 0) close(run_log);
  return 0;

registry_error:
  fprintf(stderr, "stage_floor: registry: %s\n", sqlite3_errmsg(reg.db));
  return 1;
}
