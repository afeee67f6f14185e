// End to end: the registry file agrees with what the API reports while
// external `sqlite3` clients poll it (as a backup tool, a dashboard or
// Litestream would), and kill -9 at random points of bursts of runs loses
// nothing the API acknowledged or reported ended.
//
// MLOPS_CRASH_ROUNDS (default 5) sets the number of kill points and
// MLOPS_CRASH_SEED the random seed (printed); scripts/crash-soak.sh runs
// this with many rounds.
#include <dirent.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "daemon_harness.h"
#include "mlops/registry/store.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;
using Statuses = std::map<int64_t, std::string>;  // run id -> status

bool Ended(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "cancelled";
}

bool HaveSqliteCli() { return RunCommand({"/bin/sh", "-c", "command -v sqlite3"}).exit_code == 0; }

// A `sqlite3 -readonly` client querying the registry every 0.3 s and, each
// second time, a `sqlite3` making an empty write transaction as Litestream
// does (its own bookkeeping); in a process group of its own so that its
// current query goes with it.
class ExternalReader {
 public:
  explicit ExternalReader(const std::string& db) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::execlp("sh", "sh", "-c",
               "while :; do sqlite3 -readonly \"$0\" "
               "'SELECT status, count(*) FROM runs GROUP BY status; "
               "SELECT count(*) FROM stage_attempts;' >/dev/null 2>&1; sleep 0.3; "
               "sqlite3 -cmd '.timeout 2000' \"$0\" 'BEGIN IMMEDIATE; COMMIT;' >/dev/null 2>&1; "
               "sleep 0.3; done",
               db.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid_ > 0) ::setpgid(pid_, pid_);
  }
  ~ExternalReader() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

// Every run the API lists, paging through all of them.
Statuses ApiRuns(const Daemon& d) {
  Statuses out;
  std::string before;
  for (;;) {
    std::vector<std::string> args = {"--json", "runs", "list", "--limit", "1000"};
    if (!before.empty()) args.insert(args.end(), {"--before", before});
    auto r = d.Ctl(args);
    if (r.exit_code != 0) return out;
    json page = json::parse(r.out, nullptr, false);
    if (!page.is_object()) return out;
    for (const auto& run : page["runs"]) out[run["id"].get<int64_t>()] = run["status"];
    if (!page.contains("next_before") || page["next_before"].is_null()) return out;
    before = std::to_string(page["next_before"].get<int64_t>());
  }
}

// What a fresh read-only connection finds in the file.
Statuses FileRuns(const std::string& db_path) {
  Statuses out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT id, status FROM runs", -1, &s, nullptr) == SQLITE_OK) {
      while (sqlite3_step(s) == SQLITE_ROW) {
        out[sqlite3_column_int64(s, 0)] = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
      }
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

// Processes whose working folder or command line is inside `dir`.
std::vector<pid_t> ProcessesIn(const std::string& dir) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* e = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || pid == ::getpid()) continue;
    const std::string base = std::string("/proc/") + e->d_name;
    char cwd[4096];
    ssize_t n = ::readlink((base + "/cwd").c_str(), cwd, sizeof cwd - 1);
    std::string where = n > 0 ? std::string(cwd, static_cast<size_t>(n)) : "";
    std::string cmdline = ReadText(base + "/cmdline");
    for (char& c : cmdline) if (c == '\0') c = ' ';
    if (where.rfind(dir, 0) == 0 || cmdline.find(dir + "/") != std::string::npos) {
      found.push_back(pid);
    }
  }
  ::closedir(proc);
  return found;
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return cond();
}

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

class CrashConsistencyE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveSqliteCli()) GTEST_SKIP() << "no sqlite3 command-line client to act as the reader";
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    // Two short stages: a burst keeps runs queued, running and ending.
    WriteText(dir_.Sub("pipelines/quick.yaml"), R"(version: 1
name: quick
stages:
  - {name: a, uses: exec, run: "sh -c 'sleep 0.4; echo a > a.txt'", outputs: [a.txt]}
  - {name: b, uses: exec, needs: [a], run: "sh -c 'cat a.txt > b.txt'", outputs: [b.txt]}
)");
  }
  std::unique_ptr<Daemon> NewDaemon() {
    return std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"));
  }
  // Triggers `n` forced runs; returns the ids the daemon acknowledged.
  std::vector<int64_t> Burst(const Daemon& d, int n) {
    std::vector<int64_t> ids;
    for (int i = 0; i < n; ++i) {
      auto t = d.Ctl({"trigger", "--force", "quick"});
      if (t.exit_code == 0) ids.push_back(std::stoll(t.out));
    }
    return ids;
  }
  std::string db() const { return dir_.Sub("state/registry.db"); }
  TempDir dir_;
};

TEST_F(CrashConsistencyE2E, FileAgreesWithTheApiForEveryEndedRunWhileAReaderPolls) {
  auto d = NewDaemon();
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  ExternalReader reader(db());
  const std::vector<int64_t> ids = Burst(*d, 30);
  ASSERT_EQ(ids.size(), 30u);
  size_t compared = 0;
  // Each poll: every run the API reports ended is ended, the same way, in
  // the file (read after the API answered).
  ASSERT_TRUE(WaitFor([&] {
    Statuses api = ApiRuns(*d);
    Statuses file = FileRuns(db());
    for (const auto& [id, status] : api) {
      if (!Ended(status)) continue;
      ++compared;
      EXPECT_EQ(file[id], status) << "run " << id << ": the API says " << status;
    }
    return api.size() == ids.size() &&
           std::all_of(api.begin(), api.end(), [](const auto& r) { return Ended(r.second); });
  }, std::chrono::seconds(180))) << ReadText(d->log_path());
  EXPECT_GT(compared, 0u);
  for (const auto& [id, status] : FileRuns(db())) EXPECT_EQ(status, "succeeded") << "run " << id;
}

// Another program holds the write lock past mlopsd's busy timeout while
// runs end: their ends wait, /readyz says why, and once the lock is gone
// every end is recorded; none is reported ended before that.
TEST_F(CrashConsistencyE2E, AHeldWriteLockDelaysRunEndsAndLosesNone) {
  const std::string go = dir_.Sub("go");
  WriteText(dir_.Sub("pipelines/slow.yaml"),
            "version: 1\nname: slow\nstages:\n  - {name: a, uses: exec, run: \"sh -c 'while ! test -f " +
                go + "; do sleep 0.1; done'\"}\n");
  auto d = NewDaemon();
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  std::vector<int64_t> ids;
  for (int i = 0; i < 2; ++i) {
    auto t = d->Ctl({"trigger", "--force", "slow"});
    ASSERT_EQ(t.exit_code, 0) << t.err;
    ids.push_back(std::stoll(t.out));
  }
  ASSERT_TRUE(WaitFor([&] {
    Statuses api = ApiRuns(*d);
    return api[ids[0]] == "running" && api[ids[1]] == "running";
  }, std::chrono::seconds(60)));
  // The lock holder: a sqlite3 shell in a write transaction for 12 s.
  pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    ::execlp("sh", "sh", "-c",
             "printf 'BEGIN IMMEDIATE;\nSELECT 1;\n.shell sleep 12\nCOMMIT;\n' | sqlite3 \"$0\" "
             ">/dev/null",
             db().c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  WriteText(go, "");  // the stages end while the lock is held
  const std::vector<std::string> readyz = [&] {
    std::vector<std::string> a = {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"};
    for (const auto& x : d->CurlAuth()) a.push_back(x);
    a.push_back(d->url() + "/readyz");
    return a;
  }();
  EXPECT_TRUE(WaitFor([&] { return RunCommand(readyz).out == "503"; }, std::chrono::seconds(30)))
      << ReadText(d->log_path());
  for (const auto& [id, status] : ApiRuns(*d)) EXPECT_FALSE(Ended(status)) << "run " << id;
  ASSERT_EQ(::waitpid(holder, nullptr, 0), holder);

  ASSERT_TRUE(WaitFor([&] {
    Statuses api = ApiRuns(*d);
    return api[ids[0]] == "succeeded" && api[ids[1]] == "succeeded";
  }, std::chrono::seconds(60))) << ReadText(d->log_path());
  Statuses file = FileRuns(db());
  EXPECT_EQ(file[ids[0]], "succeeded") << ReadText(d->log_path());
  EXPECT_EQ(file[ids[1]], "succeeded");
  EXPECT_TRUE(WaitFor([&] { return RunCommand(readyz).out == "200"; }, std::chrono::seconds(10)));
  const std::string log = ReadText(d->log_path());
  EXPECT_NE(log.find("registry write failed, retrying"), std::string::npos) << log;
  EXPECT_NE(log.find("registry writes recovered"), std::string::npos) << log;
}

TEST_F(CrashConsistencyE2E, KillNineDuringBurstsLosesNothingAcknowledgedOrReportedEnded) {
  const int rounds = EnvInt("MLOPS_CRASH_ROUNDS", 5);
  const unsigned seed = static_cast<unsigned>(
      EnvInt("MLOPS_CRASH_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> wait_ms(0, 2500);
  std::uniform_int_distribution<int> burst(3, 10);

  std::vector<int64_t> acknowledged;
  Statuses reported_ended;  // what the API said before each kill
  size_t recovered = 0, orphans = 0, lost = 0, changed = 0;  // lost, changed: after a restart
  for (int round = 0; round < rounds; ++round) {
    auto d = NewDaemon();
    ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
    // What the previous kill left: each acknowledged run is there, each run
    // reported ended is still ended the same way.
    Statuses api = ApiRuns(*d);
    for (int64_t id : acknowledged) {
      lost += api.count(id) ? 0 : 1;
      EXPECT_TRUE(api.count(id)) << "acknowledged run " << id << " lost";
    }
    for (const auto& [id, status] : reported_ended) {
      changed += api[id] == status ? 0 : 1;
      EXPECT_EQ(api[id], status) << "run " << id << " was reported " << status << " before kill -9";
    }
    {
      ExternalReader reader(db());
      for (int64_t id : Burst(*d, burst(rng))) acknowledged.push_back(id);
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms(rng));
      do {
        for (const auto& [id, status] : ApiRuns(*d)) {
          if (Ended(status)) reported_ended[id] = status;
        }
      } while (std::chrono::steady_clock::now() < until);
      d->Stop(SIGKILL);
      ASSERT_TRUE(registry::CheckSqliteIntegrity(db()).ok()) << "round " << round;
    }
    // The stage processes go with the daemon.
    if (!WaitFor([&] { return ProcessesIn(dir_.Sub("state")).empty(); }, std::chrono::seconds(15))) {
      std::vector<pid_t> left = ProcessesIn(dir_.Sub("state"));
      orphans += left.size();
      for (pid_t pid : left) ::kill(pid, SIGKILL);
    }
  }

  // A last start settles everything: nothing stays queued or running.
  auto d = NewDaemon();
  ASSERT_TRUE(d->Start()) << ReadText(d->log_path());
  Statuses api;
  EXPECT_TRUE(WaitFor([&] {
    api = ApiRuns(*d);
    return std::none_of(api.begin(), api.end(), [](const auto& r) {
      return r.second == "queued" || r.second == "running";
    });
  }, std::chrono::seconds(120))) << ReadText(d->log_path());
  for (int64_t id : acknowledged) {
    lost += api.count(id) ? 0 : 1;
    EXPECT_TRUE(api.count(id)) << "acknowledged run " << id << " lost";
  }
  for (const auto& [id, status] : reported_ended) {
    changed += api[id] == status ? 0 : 1;
    EXPECT_EQ(api[id], status) << "run " << id;
  }
  for (const auto& [id, status] : api) recovered += status == "interrupted" ? 1 : 0;
  const Statuses file = FileRuns(db());
  for (const auto& [id, status] : api) EXPECT_EQ(file.count(id) ? file.at(id) : "", status) << id;
  EXPECT_EQ(orphans, 0u);
  d->Stop();
  EXPECT_TRUE(registry::CheckSqliteIntegrity(db()).ok());
  std::printf("crash consistency: seed %u, %d kill -9 points, %zu runs acknowledged (missing after "
              "a restart: %zu), %zu reported ended before a kill (changed after a restart: %zu), "
              "%zu interrupted and retried, %zu runs in all, %zu orphaned stage processes\n",
              seed, rounds, acknowledged.size(), lost, reported_ended.size(), changed, recovered,
              api.size(), orphans);
}

}  // namespace
}  // namespace mlops::e2e
