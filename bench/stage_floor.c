/* The floor of one chain stage under the isolation and records that mlopsd
 * must keep (issue 2, points 2-4), with nothing else: runs `touch DIR/out/sI`
 * for I in [0, N), one stage after the other, in one thread of one process,
 * doing per stage only what any such tool must do, in C, with no scheduler,
 * no plugin, no hand-off between threads:
 *
 *   host      a forked child per stage (own session and process group) that
 *             posix_spawns the command with stdin from /dev/null, waits for
 *             it, reports a one-byte result on a pipe and exits; the parent
 *             reads the result and reaps the child.
 *   host-log  as `host`, with the stage's stdout/stderr going to a log file
 *             of its own, created for the stage (DIR/logs/sI.log).
 *   full      as `host-log`, plus the stage's record: one SQLite write
 *             transaction per stage (WAL, synchronous=NORMAL, prepared
 *             statements) that ends the previous attempt (status, exit code,
 *             time), records its output artifact (SHA-256 of the file) and
 *             the lineage edge, and creates the next attempt, committed
 *             before the next command starts.
 *   full-exec as `full`, but the command is posix_spawned directly in a
 *             session of its own with the log on stdout/stderr (make's way,
 *             plus setsid and a log): no host process, so less than point 4
 *             allows, since nothing would be left to report a plugin's
 *             result or end what the command left behind.
 *
 * Usage: mlops_bench_stage_floor N DIR MODE
 * Prints nothing; exits non-zero if a stage fails. bench/floor.sh times it
 * against make and the bare spawn loop. */
#define _GNU_SOURCE  // pipe2, POSIX_SPAWN_SETSID
#include <errno.h>
#include <fcntl.h>
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

enum Mode { kHost, kHostLog, kFull, kFullExec };

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

/* SHA-256 of a file, as lowercase hex. */
static int HashFile(const char* path, char hex[65]) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
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
    "CREATE TABLE attempts (id INTEGER PRIMARY KEY, stage TEXT NOT NULL, status TEXT NOT NULL,"
    " exit_code INTEGER, log_path TEXT NOT NULL, started_ms INTEGER, finished_ms INTEGER);"
    "CREATE INDEX attempts_running ON attempts (id) WHERE status = 'running';"
    "CREATE TABLE artifacts (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE edges (attempt_id INTEGER NOT NULL REFERENCES attempts (id),"
    " sha256 TEXT NOT NULL REFERENCES artifacts (sha256), name TEXT NOT NULL,"
    " PRIMARY KEY (attempt_id, sha256, name)) WITHOUT ROWID;"
    "CREATE INDEX edges_by_artifact ON edges (sha256, attempt_id);";

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

/* One transaction: the end of attempt `ended` (0: none) with its output,
 * and the creation of the next attempt for `stage` (NULL: none). */
static int Record(struct Registry* r, long long ended, int exit_code, const char* output,
                  const char* stage, const char* log_path, long long* created) {
  if (Step(r->begin) != 0) return -1;
  if (ended != 0) {
    char hex[65];
    struct stat st;
    if (HashFile(output, hex) != 0 || stat(output, &st) != 0) return -1;
    sqlite3_bind_int64(r->finish, 1, ended);
    sqlite3_bind_text(r->finish, 2, exit_code == 0 ? "succeeded" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_int(r->finish, 3, exit_code);
    sqlite3_bind_int64(r->finish, 4, NowMs());
    sqlite3_bind_text(r->artifact, 1, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(r->artifact, 2, st.st_size);
    sqlite3_bind_int64(r->edge, 1, ended);
    sqlite3_bind_text(r->edge, 2, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(r->edge, 3, output, -1, SQLITE_TRANSIENT);
    if (Step(r->finish) || Step(r->artifact) || Step(r->edge)) return -1;
  }
  if (stage != NULL) {
    sqlite3_bind_text(r->create, 1, stage, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(r->create, 2, log_path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(r->create, 3, NowMs());
    if (Step(r->create) != 0) return -1;
    *created = sqlite3_last_insert_rowid(r->db);
  }
  return Step(r->commit);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s N DIR host|host-log|full|full-exec\n", argv[0]);
    return 2;
  }
  enum Mode mode;
  if (strcmp(argv[3], "host") == 0) mode = kHost;
  else if (strcmp(argv[3], "host-log") == 0) mode = kHostLog;
  else if (strcmp(argv[3], "full") == 0) mode = kFull;
  else if (strcmp(argv[3], "full-exec") == 0) mode = kFullExec;
  else return 2;
  const long n = strtol(argv[1], NULL, 10);
  const char* dir = argv[2];
  char path[4096], log_path[4096], prev_output[4096] = "", stage[64];
  snprintf(path, sizeof path, "%s/out", dir);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) return Fail("mkdir out");
  snprintf(path, sizeof path, "%s/logs", dir);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) return Fail("mkdir logs");
  struct Registry reg;
  if (mode >= kFull) {
    snprintf(path, sizeof path, "%s/registry.db", dir);
    unlink(path);
    if (OpenRegistry(path, &reg) != 0) {
      fprintf(stderr, "stage_floor: registry: %s\n", sqlite3_errmsg(reg.db));
      return 1;
    }
  }
  long long attempt = 0;
  int last_exit = 0;
  for (long i = 0; i <= n; ++i) {
    snprintf(stage, sizeof stage, "s%ld", i);
    snprintf(log_path, sizeof log_path, "%s/logs/s%ld.log", dir, i);
    if (mode >= kFull) {
      long long created = 0;
      if (Record(&reg, attempt, last_exit, prev_output, i < n ? stage : NULL, log_path,
                 &created) != 0) {
        fprintf(stderr, "stage_floor: registry: %s\n", sqlite3_errmsg(reg.db));
        return 1;
      }
      attempt = created;
    }
    if (i == n) break;
    int log_fd = -1;
    if (mode != kHost) {
      log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (log_fd < 0) return Fail("log");
    }
    int result[2] = {-1, -1};
    if (mode != kFullExec && pipe2(result, O_CLOEXEC) != 0) return Fail("pipe");
    snprintf(prev_output, sizeof prev_output, "%s/out/s%ld", dir, i);
    char* command[] = {"touch", prev_output, NULL};
    if (mode == kFullExec) {
      posix_spawn_file_actions_t fa;
      posix_spawnattr_t attr;
      posix_spawn_file_actions_init(&fa);
      posix_spawnattr_init(&attr);
      posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
      posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
      posix_spawn_file_actions_adddup2(&fa, log_fd, STDOUT_FILENO);
      posix_spawn_file_actions_adddup2(&fa, log_fd, STDERR_FILENO);
      pid_t pid;
      int status = 0;
      int rc = posix_spawnp(&pid, command[0], &fa, &attr, command, environ);
      posix_spawnattr_destroy(&attr);
      posix_spawn_file_actions_destroy(&fa);
      close(log_fd);
      if (rc != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
          WEXITSTATUS(status) != 0) {
        fprintf(stderr, "stage_floor: stage %ld failed\n", i);
        return 1;
      }
      last_exit = 0;
      continue;
    }
    const pid_t host = fork();
    if (host < 0) return Fail("fork");
    if (host == 0) {
      close(result[0]);
      HostMain(log_fd, result[1], command);
    }
    close(result[1]);
    if (log_fd >= 0) close(log_fd);
    char outcome = 1;
    ssize_t got = read(result[0], &outcome, 1);
    close(result[0]);
    /* As mlopsd does, the next stage does not wait for this host's exit:
     * hosts that have exited meanwhile are reaped, the rest at the end. */
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (got != 1 || outcome != 0) {
      fprintf(stderr, "stage_floor: stage %ld failed\n", i);
      return 1;
    }
    last_exit = 0;
  }
  int status = 0;
  while (wait(&status) > 0) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
  if (mode >= kFull) sqlite3_close_v2(reg.db);
  return 0;
}
