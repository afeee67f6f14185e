// GitRepository: the daemon's bare cache of one watched repository, kept up
// to date with libgit2, and the exact-commit reads runs are made from.
//
// The cache is a bare repository at <cache_dir>/<name>.git that only this
// object writes. Fetch() is two-phase: the remote's branches are first
// fetched into a scratch namespace (refs/mlops/incoming/*); only when that
// fetch succeeded, and each new head's commit and tree are readable, are
// the cache's heads (refs/mlops/heads/*) moved. A missing, refusing,
// hanging or corrupt remote therefore leaves the heads as they were, and
// nothing is ever read from a half-fetched state.
//
// A fetch is bounded by `fetch_timeout`. Phase one runs in a helper
// process (mlops-git-fetch) that is killed at the deadline: libgit2 1.5 has
// no network timeout and can even spin for ever on a corrupt local remote,
// so only a process bounds every case. Inside the helper, sockets (git://,
// http(s)://, ssh://) are cut at the same deadline, for a clearer message.
// Either way Fetch() returns Unavailable ("timed out after N ms").
//
// Nothing from a repository is executed: libgit2 has no hooks and no
// fsmonitor; checkouts apply no filters (no smudge/clean, no CRLF or ident
// conversion), so the files are the commit's blobs byte for byte; submodules
// come out as empty folders and no submodule command runs.
//
// Commit ids are 40 lower-case hex characters (SHA-1 repositories).
// Thread-safety: every method may be called from any thread; calls on one
// object are serialised inside. Keep one object per cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mlops/common/clock.h"
#include "mlops/common/status.h"

namespace mlops::triggers {

struct BranchHead {
  std::string branch;
  std::string commit;  // empty when the remote has no such branch
};

struct CommitDetails {
  std::string commit;
  std::string author_name;
  std::string author_email;
  int64_t author_time_ms = 0;  // wall clock, ms since the Unix epoch
  std::string summary;         // first paragraph of the message, on one line
  std::vector<std::string> parents;
};

class GitRepository {
 public:
  struct Options {
    // Names the cache folder: letters, digits, '.', '_', '-'; not starting
    // with '.'.
    std::string name;
    // Local path, file://, ssh:// or scp-like user@host:path, git://,
    // http(s)://. Credentials for https may be in the URL.
    std::string url;
    std::vector<std::string> branches;  // e.g. {"main"}; no patterns
    std::string cache_dir;              // absolute; created when missing
    Duration fetch_timeout = std::chrono::seconds(60);
    // ssh: private key file (with `ssh_public_key` beside it, optional),
    // else the ssh agent. The host key must be in ~/.ssh/known_hosts.
    std::string ssh_private_key;
    std::string ssh_public_key;
    // Path of mlops-git-fetch; empty: DefaultFetchHelper().
    std::string fetch_helper;
  };

  // Opens the cache, creating it (bare) when missing. InvalidArgument for
  // a bad name, URL, branch or a relative cache_dir; IOError when the
  // folder cannot be created; Corruption when it holds something else.
  static Status Open(Options options, std::unique_ptr<GitRepository>* out);
  ~GitRepository();
  GitRepository(const GitRepository&) = delete;
  GitRepository& operator=(const GitRepository&) = delete;

  const Options& options() const { return options_; }
  // <cache_dir>/<name>.git
  const std::string& cache_path() const { return cache_path_; }

  // Fetches the configured branches from the URL and, on success, sets
  // *heads to each branch's head (configured order) and moves the cache's
  // heads to them. On failure *heads is empty, the cache's heads are as
  // before, and the Status names the URL: NotFound (no repository there),
  // Unavailable (cannot connect, refused, timed out), Corruption (the
  // remote sent or holds unreadable objects), PermissionDenied (auth or
  // host key), IOError (the cache could not be written).
  Status Fetch(std::vector<BranchHead>* heads);

  // The head of `branch` as of the last successful Fetch(). NotFound when
  // no fetch has seen it.
  Status Head(const std::string& branch, std::string* commit);

  // True when `commit` is in the cache and its tree is readable.
  bool HasCommit(const std::string& commit);

  // Writes the tree of `commit` into `dest_dir`, which must be an absolute
  // path to an existing, empty folder. InvalidArgument for a malformed id
  // or a dest_dir that is not so; NotFound when the commit is not in the
  // cache; IOError when writing fails (dest_dir may then hold part of the
  // tree: the caller removes it).
  Status Checkout(const std::string& commit, const std::string& dest_dir);

  // The bytes of the file at `path` (relative, '/'-separated) in `commit`.
  // NotFound when the commit or the path does not exist; InvalidArgument
  // when the path is absolute, has "." or ".." parts, or names a folder, a
  // symbolic link or a submodule.
  Status ReadFile(const std::string& commit, const std::string& path, std::string* content);

  // NotFound when the commit is not in the cache.
  Status GetCommitDetails(const std::string& commit, CommitDetails* out);

 private:
  struct Impl;
  GitRepository(Options options, std::string cache_path);

  const Options options_;
  const std::string cache_path_;
  std::unique_ptr<Impl> impl_;
};

// mlops-git-fetch next to the running executable (build tree), else in
// ../libexec/mlopsd/ from it (installed layout).
std::string DefaultFetchHelper();

// True when `s` is a full commit id: 40 lower-case hex characters.
bool IsCommitId(const std::string& s);

}  // namespace mlops::triggers
