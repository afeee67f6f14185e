// A writer process killed with SIGKILL at an arbitrary moment must leave a
// registry that passes its integrity check and holds every attempt whose
// FinishAttempt had returned, complete (metrics, params, edges).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "mlops/common/sha256.h"
#include "mlops/registry/store.h"
#include "temp_dir.h"

namespace mlops::registry {
namespace {

constexpr size_t kMetrics = 3;
constexpr size_t kParams = 2;

// Child: records finished attempts forever, writing each attempt id to `fd`
// once FinishAttempt has returned OK. Never returns.
[[noreturn]] void WriteAttemptsForever(const std::string& path, int64_t run_id, int round, int fd) {
  std::unique_ptr<Store> store;
  if (!OpenSqliteStore(path, &store).ok()) _exit(2);
  for (int i = 0;; ++i) {
    StageAttemptRecord a;
    a.run_id = run_id;
    a.stage = "stage-" + std::to_string(i);
    if (!store->CreateAttempt(&a).ok()) _exit(3);
    AttemptResult r;
    r.attempt = a;
    r.attempt.status = AttemptStatus::kSucceeded;
    r.attempt.exit_code = 0;
    for (size_t m = 0; m < kMetrics; ++m) r.metrics.push_back({"m", 1.0 * m, int64_t(m), 0});
    for (size_t p = 0; p < kParams; ++p) r.params.push_back({"p" + std::to_string(p), "1"});
    std::string in = Sha256Hex("in");
    std::string out = Sha256Hex(std::to_string(round) + "/" + std::to_string(i));
    r.artifacts = {{in, 2, "", 0}, {out, 1, "", 0}};
    r.edges = {{0, in, EdgeKind::kConsumed, "in"}, {0, out, EdgeKind::kProduced, "out"}};
    if (!store->FinishAttempt(r).ok()) _exit(4);
    if (::write(fd, &a.id, sizeof a.id) != sizeof a.id) _exit(5);
  }
}

TEST(SqliteCrashTest, KillNineMidWriteLosesNoFinishedAttempt) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.Join("registry.db");
  int64_t run_id = 0;
  {
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenSqliteStore(path, &store).ok());
    PipelineRecord p;
    p.name = "crash";
    p.definition_sha256 = Sha256Hex("crash");
    ASSERT_TRUE(store->UpsertPipeline(&p).ok());
    RunRecord run;
    run.pipeline_id = p.id;
    ASSERT_TRUE(store->CreateRun(&run).ok());
    run_id = run.id;
  }  // no connection may cross the fork

  std::set<int64_t> committed;
  // Several rounds on the same file, each reopening what the last kill left.
  // The kill waits a different few hundred microseconds after the last id
  // read: killed straight away, the child would always be caught just after
  // a commit, never inside one.
  const int kKillDelayUs[] = {0, 150, 400, 900, 1700, 3100};
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      WriteAttemptsForever(path, run_id, round, fds[1]);
    }
    ::close(fds[1]);
    const size_t wanted = committed.size() + 50 + 20 * round;
    int64_t id = 0;
    bool child_alive = true;
    while (committed.size() < wanted) {
      ssize_t n = ::read(fds[0], &id, sizeof id);
      if (n < 0 && errno == EINTR) continue;
      if (n != sizeof id) {
        child_alive = false;
        break;
      }
      committed.insert(id);
    }
    if (kKillDelayUs[round] > 0) ::usleep(kKillDelayUs[round]);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(child_alive) << "writer exited early with status " << wstatus;
    ASSERT_TRUE(WIFSIGNALED(wstatus));
    EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
    // Ids written after the last read were committed too.
    ssize_t n;
    while ((n = ::read(fds[0], &id, sizeof id)) == sizeof id) committed.insert(id);
    ::close(fds[0]);

    Status integrity = CheckSqliteIntegrity(path);
    ASSERT_TRUE(integrity.ok()) << integrity.ToString();

    std::unique_ptr<Store> store;
    Status st = OpenSqliteStore(path, &store);
    ASSERT_TRUE(st.ok()) << st.ToString();
    std::vector<StageAttemptRecord> attempts;
    ASSERT_TRUE(store->ListAttempts(run_id, &attempts).ok());
    std::set<int64_t> present;
    for (const StageAttemptRecord& a : attempts) {
      present.insert(a.id);
      std::vector<MetricRecord> metrics;
      std::vector<ParamRecord> params;
      std::vector<ArtifactEdge> edges;
      ASSERT_TRUE(store->ListMetrics(a.id, &metrics).ok());
      ASSERT_TRUE(store->ListParams(a.id, &params).ok());
      ASSERT_TRUE(store->ListEdges(a.id, &edges).ok());
      if (a.status == AttemptStatus::kSucceeded) {
        EXPECT_EQ(metrics.size(), kMetrics) << "attempt " << a.id;
        EXPECT_EQ(params.size(), kParams) << "attempt " << a.id;
        EXPECT_EQ(edges.size(), 2u) << "attempt " << a.id;
      } else {
        // Created but not finished when the kill came: nothing half-written.
        EXPECT_EQ(a.status, AttemptStatus::kRunning);
        EXPECT_TRUE(metrics.empty() && params.empty() && edges.empty()) << "attempt " << a.id;
        EXPECT_EQ(committed.count(a.id), 0u);
      }
    }
    for (int64_t c : committed) EXPECT_EQ(present.count(c), 1u) << "lost attempt " << c;
  }
  EXPECT_GE(committed.size(), 600u);
}

}  // namespace
}  // namespace mlops::registry
