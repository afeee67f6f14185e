// End to end: a burst of runs submitted at once through the API, drained by
// the real mlopsd with its fork servers. Every run must end; no run and no
// attempt may be left queued or running.
#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../access/raw_http.h"
#include "daemon_harness.h"
#include "mlops/registry/store.h"

namespace mlops::e2e {
namespace {

using access_test::RawHttp;

constexpr int kRuns = 2000;
constexpr int kClients = 4;

int CountEntries(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return -1;
  while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

TEST(BurstE2E, EveryRunOfABurstEndsAndNothingIsLeftRunning) {
  TempDir dir;
  ::mkdir(dir.Sub("pipelines").c_str(), 0755);
  WriteText(dir.Sub("pipelines/one.yaml"),
            "version: 1\nname: one\nstages:\n  - {name: a, uses: exec, run: \"true\"}\n");
  Daemon d(dir.Sub("state"), dir.Sub("pipelines"));
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  const std::string addr = d.url().substr(7);
  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + d.admin_token()}, {"Content-Type", "application/json"}};

  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < kRuns / kClients; ++i) {
        auto r = RawHttp(addr, "POST", "/api/v1/pipelines/one/runs", auth, R"({"force": true})");
        if (r.status != 201) ++refused;
      }
    });
  }
  for (auto& t : clients) t.join();
  ASSERT_EQ(refused.load(), 0);

  // Wait, with a generous deadline, until no run is queued or running.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(4);
  bool drained = false;
  while (!drained && std::chrono::steady_clock::now() < give_up) {
    auto queued = RawHttp(addr, "GET", "/api/v1/runs?status=queued&limit=1", auth);
    auto running = RawHttp(addr, "GET", "/api/v1/runs?status=running&limit=1", auth);
    drained = queued.status == 200 && running.status == 200 &&
              queued.body.find("\"id\"") == std::string::npos &&
              running.body.find("\"id\"") == std::string::npos;
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(drained) << "runs left queued or running";
  // Ended runs' workspaces are pruned as they end: no folder per queued run.
  EXPECT_LE(CountEntries(dir.Sub("state/workspaces")), 20 + 2);
  ASSERT_EQ(d.Stop(), 0) << ReadText(d.log_path());

  std::unique_ptr<registry::Store> store;
  ASSERT_TRUE(registry::OpenSqliteStore(dir.Sub("state/registry.db"), &store).ok());
  registry::RunFilter all;
  all.limit = 0;
  std::vector<registry::RunRecord> runs;
  ASSERT_TRUE(store->ListRuns(all, &runs).ok());
  ASSERT_EQ(runs.size(), static_cast<size_t>(kRuns));
  int not_succeeded = 0, attempts_not_succeeded = 0;
  for (const auto& run : runs) {
    if (run.status != registry::RunStatus::kSucceeded) {
      if (++not_succeeded <= 3) ADD_FAILURE() << "run " << run.id << " " << ToString(run.status) << ": " << run.error;
    }
    std::vector<registry::StageAttemptRecord> attempts;
    ASSERT_TRUE(store->ListAttempts(run.id, &attempts).ok());
    for (const auto& a : attempts) {
      if (a.status != registry::AttemptStatus::kSucceeded) ++attempts_not_succeeded;
    }
  }
  EXPECT_EQ(not_succeeded, 0);
  EXPECT_EQ(attempts_not_succeeded, 0);
}

}  // namespace
}  // namespace mlops::e2e
