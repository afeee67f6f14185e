// Test harness for end-to-end tests: starts the real mlopsd on 127.0.0.1
// with a fresh state folder, and runs the real mlctl against it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace mlops::e2e {

struct CommandResult {
  int exit_code = -1;   // -1 when killed by a signal
  std::string out;      // stdout
  std::string err;      // stderr
};

// Runs argv to completion (stdin /dev/null), capturing both streams.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {});

// A fresh temporary folder, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Starts argv in the background (stdin /dev/null, stdout and stderr
// appended to `log_path`); -1 on failure.
pid_t SpawnLogged(const std::vector<std::string>& argv, const std::string& log_path);
// Signals *pid and waits for it (SIGKILL after `timeout`); the exit status
// as from waitpid, or -1. *pid becomes -1.
int StopProcess(pid_t* pid, int sig, std::chrono::milliseconds timeout);
// Whether *pid still runs (reaps it, setting -1, when it ended).
bool ProcessRunning(pid_t* pid);

// A self-signed P-256 certificate for 127.0.0.1 (an IP SAN) in
// dir/cert.pem, its key in dir/key.pem (0600); openssl's result.
CommandResult MakeLoopbackCertificate(const TempDir& dir, const std::string& cn);

void WriteText(const std::string& path, const std::string& text);
std::string ReadText(const std::string& path);

// A fast model pipeline in `dir`: seed.txt ("weights-v1"), train.sh (copies
// it to model.bin), eval.sh (gates pass, accuracy 0.97) and
// pipelines/toy.yaml: pipeline and model "toy-model", stages train ->
// evaluate and train -> sign (the signer plugin), promoted to staging on
// gates and to production by hand. REQUIRES: dir/pipelines exists.
void WriteToyModelPipeline(const TempDir& dir);

class Daemon {
 public:
  // `pipelines_dir` holds the pipeline files; `plugin_dirs` the plugin
  // folders (default: the build's first-party plugins).
  Daemon(std::string state_dir, std::string pipelines_dir,
         std::vector<std::string> plugin_dirs = {}, std::vector<std::string> extra_args = {});
  ~Daemon();

  // Starts mlopsd and waits for <state>/mlopsd.addr. False on failure.
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM and wait; returns the exit status as from waitpid (or -1).
  int Stop(int sig = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool Running();
  pid_t pid() const { return pid_; }
  std::string url() const { return "http://" + addr_; }
  const std::string& log_path() const { return log_path_; }

  // Runs mlctl --server <url> args... as admin (MLCTL_TOKEN is the token
  // the daemon bootstrapped into <state>/admin.token).
  CommandResult Ctl(const std::vector<std::string>& args) const;
  // The same with another token ("" sends none).
  CommandResult CtlWithToken(const std::string& token, const std::vector<std::string>& args) const;
  // The bootstrap admin token, read after Start.
  std::string admin_token() const { return admin_token_; }
  // curl arguments that send the admin token from a 0600 header file, so
  // that the token is not in curl's argv: {"-H", "@FILE"}.
  std::vector<std::string> CurlAuth() const;

 private:
  std::string state_dir_, pipelines_dir_, log_path_, addr_, admin_token_;
  std::vector<std::string> plugin_dirs_, extra_args_;
  pid_t pid_ = -1;
};

// Paths of the built binaries (from compile definitions).
std::string MlopsdPath();
std::string MlctlPath();
std::string PluginDir();
std::string FixturePluginDir();

}  // namespace mlops::e2e
