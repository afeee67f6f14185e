#include "git_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlops/common/files.h"

extern char** environ;

namespace mlops::triggers::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& cwd, int out_fd,
            bool own_group) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  }
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (own_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

}  // namespace

int RunCommand(const std::vector<std::string>& argv, const std::string& cwd, std::string* output) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = Spawn(argv, cwd, fds[1], false);
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (output != nullptr) *output = out;
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void IsolateGitEnvironment() {
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  ::setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  ::setenv("GIT_AUTHOR_NAME", "Ada Tester", 1);
  ::setenv("GIT_AUTHOR_EMAIL", "ada@example.com", 1);
  ::setenv("GIT_COMMITTER_NAME", "Ada Tester", 1);
  ::setenv("GIT_COMMITTER_EMAIL", "ada@example.com", 1);
  ::setenv("GIT_TERMINAL_PROMPT", "0", 1);
  ::signal(SIGPIPE, SIG_IGN);
}

std::string Git(const std::string& cwd, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  int rc = RunCommand(argv, cwd, &out);
  std::string cmd;
  for (const std::string& a : argv) cmd += a + " ";
  EXPECT_EQ(rc, 0) << cmd << "in " << cwd << ":\n" << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

GitRemote::GitRemote(const std::string& root)
    : bare_(JoinPath(root, "remote.git")), work_(JoinPath(root, "work")) {
  EXPECT_TRUE(MakeDirs(root).ok()) << root;
  Git(root, {"init", "-q", "--bare", "-b", "main", bare_});
  Git(root, {"init", "-q", "-b", "main", work_});
  Git(work_, {"remote", "add", "origin", bare_});
}

std::string GitRemote::CommitAndPush(const std::map<std::string, std::string>& files,
                                     const std::string& message, const std::string& branch) {
  std::string current = Git(work_, {"symbolic-ref", "--short", "HEAD"});
  if (current != branch) {
    std::string out;
    if (RunCommand({"git", "rev-parse", "--verify", "-q", branch}, work_, &out) == 0) {
      Git(work_, {"checkout", "-q", branch});
    } else {
      Git(work_, {"checkout", "-q", "-b", branch});
    }
  }
  for (const auto& [rel, content] : files) {
    if (rel.starts_with("rm:")) {
      Git(work_, {"rm", "-q", rel.substr(3)});
      continue;
    }
    std::string path = JoinPath(work_, rel);
    EXPECT_TRUE(MakeDirs(DirName(path)).ok());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  }
  Git(work_, {"add", "-A"});
  Git(work_, {"commit", "-q", "--allow-empty", "-m", message});
  Git(work_, {"push", "-q", "origin", branch});
  return Git(work_, {"rev-parse", "HEAD"});
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool WaitForListener(int port, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

GitDaemon::GitDaemon(const std::string& base_dir, int port) {
  pid_ = Spawn({"git", "daemon", "--reuseaddr", "--export-all", "--informative-errors",
                "--listen=127.0.0.1", "--port=" + std::to_string(port),
                "--base-path=" + base_dir, base_dir},
               "", -1, true);
  if (pid_ > 0 && !WaitForListener(port, 5000)) Stop();
}

GitDaemon::~GitDaemon() { Stop(); }

void GitDaemon::Stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

SilentListener::SilentListener(int port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
      << "port " << port << ": " << std::strerror(errno);
  EXPECT_EQ(::listen(listen_fd_, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

SilentListener::~SilentListener() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
  std::lock_guard lock(mu_);
  for (int fd : clients_) ::close(fd);
}

std::string SilentListener::Received() {
  std::lock_guard lock(mu_);
  return received_;
}

void SilentListener::Serve() {
  while (!stop_) {
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
    {
      std::lock_guard lock(mu_);
      for (int fd : clients_) fds.push_back({fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        ++connections_;
        std::lock_guard lock(mu_);
        clients_.push_back(c);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT);
      std::lock_guard lock(mu_);
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        // The client gave up: stop polling it (keep it open, never answer).
        std::erase(clients_, fds[i].fd);
        ::close(fds[i].fd);
      }
    }
  }
}

std::map<std::string, std::string> ReadTree(const std::string& dir) {
  std::map<std::string, std::string> out;
  namespace fs = std::filesystem;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    std::string rel = fs::relative(it->path(), dir).string();
    if (it->is_symlink()) {
      out[rel] = "-> " + fs::read_symlink(it->path()).string();
    } else if (it->is_regular_file()) {
      std::ifstream in(it->path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out[rel] = ss.str();
    } else if (it->is_directory() && fs::is_empty(it->path())) {
      out[rel + "/"] = "";
    }
  }
  return out;
}

}  // namespace mlops::triggers::testing
