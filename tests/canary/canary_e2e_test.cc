// End to end with the real mlopsd, mlops-serve and mlctl:
// - supervision: mlopsd with a `serving:` section starts mlops-serve, which
//   keeps answering through `kill -9` of mlopsd; the next mlopsd adopts it
//   (no second server); a killed mlops-serve is started again;
// - canaries by hand: `mlctl models canary` starts one (its folder
//   published), changes its share and stops it, `mlctl serve status` shows
//   it, the audit log records each step, and the alias cannot be moved by
//   `mlctl models alias`.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../e2e/daemon_harness.h"
#include "mlops/common/files.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits up to `limit` for `cond`.
template <typename F>
bool WaitFor(F cond, milliseconds limit = seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return cond();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The pids of mlops-serve processes whose command line names `state_dir`.
std::vector<pid_t> ServePids(const std::string& state_dir) {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* e = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string cmdline;
    if (!ReadFile("/proc/" + std::string(e->d_name) + "/cmdline", &cmdline).ok()) continue;
    if (cmdline.find("mlops-serve") != std::string::npos &&
        cmdline.find(state_dir + '\0') != std::string::npos) {
      std::string stat;
      if (ReadFile("/proc/" + std::string(e->d_name) + "/stat", &stat).ok() &&
          stat.find(") Z ") == std::string::npos) {
        pids.push_back(pid);
      }
    }
  }
  ::closedir(proc);
  return pids;
}

class CanaryE2E : public ::testing::Test {
 protected:
  void TearDown() override {
    for (pid_t pid : ServePids(state())) ::kill(pid, SIGKILL);
  }
  std::string state() const { return dir_.Sub("state"); }
  pid_t PidFromFile() {
    std::string text;
    if (!ReadFile(state() + "/serving/mlops-serve.pid", &text).ok()) return -1;
    return static_cast<pid_t>(std::atoi(text.c_str()));
  }
  std::string ServeAddr() {
    std::string addr;
    (void)ReadFile(state() + "/mlops-serve.addr", &addr);
    return Trim(addr);
  }
  bool Live() {
    const std::string addr = ServeAddr();
    if (addr.empty()) return false;
    auto r = RunCommand({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                         "--max-time", "5", "http://" + addr + "/v2/health/live"});
    return r.out == "200";
  }
  TempDir dir_;
};

TEST_F(CanaryE2E, SupervisedServeOutlivesKill9AndIsAdoptedThenRestarted) {
  WriteText(dir_.Sub("mlopsd.yaml"),
            "serving:\n  listen: 127.0.0.1:0\n  restart_backoff_max: 1s\n");
  ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
  auto first = std::make_unique<Daemon>(state(), dir_.Sub("pipelines"), std::vector<std::string>{},
                                        std::vector<std::string>{"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(first->Start()) << ReadText(first->log_path());
  ASSERT_TRUE(WaitFor([&] { return Live(); })) << ReadText(first->log_path());
  const pid_t serve = PidFromFile();
  ASSERT_GT(serve, 0);
  EXPECT_EQ(ServePids(state()), std::vector<pid_t>{serve});

  first->Stop(SIGKILL);
  EXPECT_EQ(::kill(serve, 0), 0) << "kill -9 of mlopsd ended mlops-serve";
  EXPECT_TRUE(Live());

  Daemon second(state(), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(second.Start()) << ReadText(second.log_path());
  CommandResult r;
  json status;
  // "up" once the adopted server's stats file is fresh (it writes it every
  // second; a loaded machine may delay one).
  EXPECT_TRUE(WaitFor([&] {
    r = second.Ctl({"--json", "serve", "status"});
    status = r.exit_code == 0 ? json::parse(r.out) : json::object();
    return status.contains("server") && status["server"].value("status", "") == "up";
  })) << r.err << status.dump(2);
  EXPECT_EQ(status["server"]["supervisor"]["state"], "adopted") << status.dump(2);
  EXPECT_EQ(status["server"]["supervisor"]["pid"], serve);
  EXPECT_EQ(status["server"]["status"], "up") << status.dump(2);
  EXPECT_EQ(ServePids(state()), std::vector<pid_t>{serve});  // no second server

  ::kill(serve, SIGKILL);
  ASSERT_TRUE(WaitFor([&] {
    const pid_t now = PidFromFile();
    return now > 0 && now != serve && Live();
  })) << ReadText(second.log_path());
  EXPECT_EQ(ServePids(state()).size(), 1u);
  r = second.Ctl({"serve", "status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mlops-serve: up"), std::string::npos) << r.out;
  EXPECT_NE(ReadText(second.log_path()).find("restarting"), std::string::npos);
}

// A pid file naming a live process that is not mlops-serve (a reused pid:
// here the test itself, with its true start time) is not adopted.
TEST_F(CanaryE2E, APidFileNamingAnotherProcessIsNotAdopted) {
  WriteText(dir_.Sub("mlopsd.yaml"), "serving:\n  listen: 127.0.0.1:0\n");
  ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
  ::mkdir(state().c_str(), 0700);
  ::mkdir((state() + "/serving").c_str(), 0755);
  std::string stat;
  ASSERT_TRUE(ReadFile("/proc/self/stat", &stat).ok());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field, ticks;
  for (int i = 3; i <= 22 && fields >> field; ++i) ticks = field;
  WriteText(state() + "/serving/mlops-serve.pid", std::to_string(::getpid()) + " " + ticks + "\n");
  Daemon d(state(), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  ASSERT_TRUE(WaitFor([&] { return Live(); })) << ReadText(d.log_path());
  // The supervisor writes the pid file right after the spawn; on a loaded
  // machine the new server may answer first.
  EXPECT_TRUE(WaitFor([&] { return PidFromFile() != ::getpid(); }, seconds(10)));
  auto r = d.Ctl({"--json", "serve", "status"});
  EXPECT_EQ(json::parse(r.out)["server"]["supervisor"]["state"], "running") << r.out;
}

TEST_F(CanaryE2E, CanaryByHandStartsReSharesStopsAndIsAudited) {
  ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
  WriteToyModelPipeline(dir_);
  auto gen = RunCommand({MlctlPath(), "keys", "generate", "--out-dir", dir_.path(), "--name", "sk"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  WriteText(dir_.Sub("mlopsd.yaml"), "signing_key: " + dir_.Sub("sk.key") + "\n");
  Daemon d(state(), dir_.Sub("pipelines"), {}, {"--config", dir_.Sub("mlopsd.yaml")});
  ASSERT_TRUE(d.Start()) << ReadText(d.log_path());
  ASSERT_EQ(d.Ctl({"trigger", "toy-model", "--wait"}).exit_code, 0) << ReadText(d.log_path());
  WriteText(dir_.Sub("seed.txt"), "weights-v2");
  ASSERT_EQ(d.Ctl({"trigger", "toy-model", "--wait"}).exit_code, 0) << ReadText(d.log_path());

  auto r = d.Ctl({"models", "canary", "toy-model", "2", "--share", "10%"});
  EXPECT_NE(r.exit_code, 0);  // no production version to compare with yet
  EXPECT_NE(r.err.find("no production version"), std::string::npos) << r.err;
  ASSERT_EQ(d.Ctl({"models", "promote", "toy-model", "1", "--to", "production", "--reason", "t"})
                .exit_code,
            0);
  r = d.Ctl({"models", "canary", "toy-model", "2", "--share", "10%"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("version 2 is the canary at 10%"), std::string::npos) << r.out;
  EXPECT_EQ(ReadText(state() + "/models/toy-model/versions/2/model.bin"), "weights-v2");
  r = d.Ctl({"serve", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("canary (running)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("90%"), std::string::npos) << r.out;  // production's share

  r = d.Ctl({"models", "canary", "toy-model", "--share", "150%"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("0% to 100%"), std::string::npos) << r.err;
  r = d.Ctl({"models", "canary", "toy-model", "--share", "50%"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at 50%"), std::string::npos) << r.out;
  r = d.Ctl({"models", "alias", "toy-model", "canary", "1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'canary' alias"), std::string::npos) << r.err;
  r = d.Ctl({"models", "canary", "toy-model", "--stop", "--reason", "enough"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("canary stopped"), std::string::npos) << r.out;

  r = d.Ctl({"--json", "audit", "--model", "toy-model"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> actions;
  const json audit = json::parse(r.out);
  for (const json& e : audit.value("entries", json::array())) {
    const std::string a = e["action"];
    if (a.rfind("canary.", 0) == 0) actions.push_back(a);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"canary.stop", "canary.share", "canary.start"}))
      << audit.dump(1);
}

}  // namespace
}  // namespace mlops::e2e
