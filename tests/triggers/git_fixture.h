// Helpers for tests against real git: the git CLI with a fixed identity and
// no user or system config, a `git daemon` child, and a TCP listener that
// accepts connections and never answers.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlops::triggers::testing {

// Runs `argv` (argv[0] looked up in PATH) in `cwd` with stdin from
// /dev/null; returns the exit status (-1 when it could not start or was
// killed) and, when `output` is set, stdout and stderr together.
int RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
               std::string* output = nullptr);

// Makes the git CLI deterministic: no global/system config, fixed author
// and committer, no prompts. Call once before running git.
void IsolateGitEnvironment();

// `git <args>` in `cwd`; fails the current test when git fails. Returns the
// output without its trailing newline.
std::string Git(const std::string& cwd, const std::vector<std::string>& args);

// A bare remote ("remote.git", default branch main) and a working clone of
// it ("work"), both under `root`.
class GitRemote {
 public:
  explicit GitRemote(const std::string& root);
  const std::string& bare() const { return bare_; }
  const std::string& work() const { return work_; }

  // Writes `files` (relative path -> content; an empty content with a
  // leading "rm:" key deletes) in the clone, commits everything with
  // `message` on `branch` and pushes it. Returns the new commit id.
  std::string CommitAndPush(const std::map<std::string, std::string>& files,
                            const std::string& message, const std::string& branch = "main");

 private:
  std::string bare_;
  std::string work_;
};

// A free TCP port on 127.0.0.1 (bound and released; small race).
int FreePort();

// True once something accepts TCP connections on 127.0.0.1:port, waiting
// at most `timeout_ms`.
bool WaitForListener(int port, int timeout_ms);

// `git daemon` serving every repository under `base_dir` on 127.0.0.1:port
// as git://127.0.0.1:port/<name>. Stopped (its process group killed) on
// destruction.
class GitDaemon {
 public:
  GitDaemon(const std::string& base_dir, int port);
  ~GitDaemon();
  GitDaemon(const GitDaemon&) = delete;
  GitDaemon& operator=(const GitDaemon&) = delete;
  bool running() const { return pid_ > 0; }
  void Stop();

 private:
  pid_t pid_ = -1;
};

// Accepts connections on 127.0.0.1:port (0: any free port), reads what the
// client sends and never answers. Closes everything on destruction.
class SilentListener {
 public:
  explicit SilentListener(int port = 0);
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }
  // Everything received so far, over all connections.
  std::string Received();
  int connections() const { return connections_.load(); }

 private:
  void Serve();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::string received_;        // protected by mu_
  std::vector<int> clients_;    // protected by mu_
  std::thread thread_;
};

// Everything under `dir`, by relative path: a regular file's content, a
// symlink as "-> target", an empty folder as "<path>/" -> "".
std::map<std::string, std::string> ReadTree(const std::string& dir);

}  // namespace mlops::triggers::testing
