#include "daemon_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace mlops::e2e {

std::string MlopsdPath() { return MLOPSD_BIN; }
std::string MlctlPath() { return MLCTL_BIN; }
std::string PluginDir() { return MLOPS_PLUGIN_DIR; }
std::string FixturePluginDir() { return MLOPS_FIXTURE_PLUGIN_DIR; }

namespace {

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> EnvWith(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  // An inherited variable that `extra` sets is left out: getenv would
  // otherwise find the inherited one first.
  for (char** e = environ; *e; ++e) {
    const std::string var = *e;
    const std::string key = var.substr(0, var.find('=') + 1);
    bool overridden = false;
    for (const auto& x : extra) overridden = overridden || x.rfind(key, 0) == 0;
    if (!overridden) env.push_back(var);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv_in,
                         const std::vector<std::string>& extra_env) {
  CommandResult r;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = EnvWith(extra_env);
  auto cargv = CStrings(argv);
  auto cenv = CStrings(env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    r.err = std::string("spawn failed: ") + std::strerror(rc);
    return r;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/mlops-e2e-XXXXXX";
  path_ = ::mkdtemp(tmpl);
}

TempDir::~TempDir() {
  if (std::getenv("MLOPS_KEEP_TEST_DIRS")) return;
  RunCommand({"/bin/rm", "-rf", path_});
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void WriteToyModelPipeline(const TempDir& dir) {
  WriteText(dir.Sub("seed.txt"), "weights-v1\n");
  WriteText(dir.Sub("train.sh"), "cp " + dir.Sub("seed.txt") + " model.bin\n");
  WriteText(dir.Sub("eval.sh"),
            "printf '{\"version\": 1, \"passed\": true, \"metrics\": {\"values\": "
            "{\"accuracy\": 0.97}}}' > evaluation.json\n");
  WriteText(dir.Sub("pipelines/toy.yaml"), R"(version: 1
name: toy-model
stages:
  - name: train
    uses: exec
    run: /bin/sh )" + dir.Sub("train.sh") + R"(
    inputs: [)" + dir.Sub("seed.txt") + R"(]
    outputs: [model.bin]
  - name: evaluate
    uses: exec
    needs: [train]
    run: /bin/sh )" + dir.Sub("eval.sh") + R"(
    outputs: [evaluation.json]
  - name: sign
    uses: signer
    needs: [train]
    inputs: [model.bin]
model:
  name: toy-model
  artifact: train.model.bin
  promote: { staging: on_gates, production: manual }
)");
}

Daemon::Daemon(std::string state_dir, std::string pipelines_dir,
               std::vector<std::string> plugin_dirs, std::vector<std::string> extra_args)
    : state_dir_(std::move(state_dir)),
      pipelines_dir_(std::move(pipelines_dir)),
      log_path_(state_dir_ + ".log"),
      plugin_dirs_(std::move(plugin_dirs)),
      extra_args_(std::move(extra_args)) {
  if (plugin_dirs_.empty()) plugin_dirs_.push_back(PluginDir());
}

Daemon::~Daemon() {
  if (pid_ > 0) Stop(SIGKILL, std::chrono::seconds(5));
}

bool Daemon::Start(std::chrono::milliseconds timeout) {
  std::string addr_file = state_dir_ + "/mlopsd.addr";
  ::unlink(addr_file.c_str());
  std::vector<std::string> argv = {MlopsdPath(), "--state-dir", state_dir_, "--listen",
                                   "127.0.0.1:0", "--pipelines", pipelines_dir_, "--cpus", "2"};
  for (const auto& d : plugin_dirs_) {
    argv.push_back("--plugin-dir");
    argv.push_back(d);
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  pid_ = SpawnLogged(argv, log_path_);
  if (pid_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string addr = ReadText(addr_file);
    if (!addr.empty() && addr.back() == '\n') {
      addr_ = addr.substr(0, addr.size() - 1);
      admin_token_ = ReadText(state_dir_ + "/admin.token");
      while (!admin_token_.empty() && admin_token_.back() == '\n') admin_token_.pop_back();
      const std::string header_file = state_dir_ + ".auth-header";
      const int fd = ::open(header_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd >= 0) {
        const std::string line = "Authorization: Bearer " + admin_token_ + "\n";
        const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        ::close(fd);
        if (!ok) return false;
      }
      return !admin_token_.empty();
    }
    if (!Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool Daemon::Running() { return ProcessRunning(&pid_); }

int Daemon::Stop(int sig, std::chrono::milliseconds timeout) {
  return StopProcess(&pid_, sig, timeout);
}

CommandResult MakeLoopbackCertificate(const TempDir& dir, const std::string& cn) {
  CommandResult r = RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=" + cn,
                                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", dir.Sub("key.pem"),
                                "-out", dir.Sub("cert.pem")});
  ::chmod(dir.Sub("key.pem").c_str(), 0600);
  return r;
}

pid_t SpawnLogged(const std::vector<std::string>& argv_in, const std::string& log_path) {
  std::vector<std::string> argv = argv_in;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  auto cargv = CStrings(argv);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

bool ProcessRunning(pid_t* pid) {
  if (*pid <= 0) return false;
  int status = 0;
  if (::waitpid(*pid, &status, WNOHANG) == *pid) {
    *pid = -1;
    return false;
  }
  return true;
}

int StopProcess(pid_t* pid, int sig, std::chrono::milliseconds timeout) {
  if (*pid <= 0) return -1;
  ::kill(*pid, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(*pid, &status, WNOHANG) == *pid) {
      *pid = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(*pid, SIGKILL);
  ::waitpid(*pid, &status, 0);
  *pid = -1;
  return -1;
}

CommandResult Daemon::Ctl(const std::vector<std::string>& args) const {
  return CtlWithToken(admin_token_, args);
}

CommandResult Daemon::CtlWithToken(const std::string& token,
                                   const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {MlctlPath(), "--server", url()};
  argv.insert(argv.end(), args.begin(), args.end());
  // The environment, not argv: tokens never appear in process arguments.
  // An inherited MLCTL_TOKEN_FILE must not override the token chosen here.
  return RunCommand(argv, {"MLCTL_TOKEN=" + token, "MLCTL_TOKEN_FILE="});
}

std::vector<std::string> Daemon::CurlAuth() const {
  return {"-H", "@" + state_dir_ + ".auth-header"};
}

}  // namespace mlops::e2e
