#include "triggers/git_repository.h"

#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "mlops/common/files.h"
#include "process/captured_command.h"
#include "triggers/git_fetch_child.h"

namespace mlops::triggers {
namespace {

constexpr const char* kHeads = "refs/mlops/heads/";
constexpr const char* kIncoming = internal::kIncomingRefs;
// The helper's own network deadline is the fetch timeout; the parent kills
// it this much later, for what no socket deadline reaches.
constexpr Duration kHelperGrace = std::chrono::seconds(2);

// Owners of libgit2 objects.
template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  Owned() = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (p != nullptr) Free(p);
  }
};
using Repo = Owned<git_repository, git_repository_free>;
using Commit = Owned<git_commit, git_commit_free>;
using Tree = Owned<git_tree, git_tree_free>;
using TreeEntry = Owned<git_tree_entry, git_tree_entry_free>;
using Blob = Owned<git_blob, git_blob_free>;
using Reference = Owned<git_reference, git_reference_free>;

std::string GitMessage() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

std::string Hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

bool ValidName(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.size() > 200) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool ValidBranch(const std::string& branch) {
  int valid = 0;
  return branch.find_first_of("*?[") == std::string::npos &&
         git_reference_name_is_valid(&valid, ("refs/heads/" + branch).c_str()) == 0 && valid;
}

// The local folder a URL names, or "" when it is not a local one.
std::string LocalPath(const std::string& url) {
  if (url.starts_with("file://")) return url.substr(7);
  if (url.starts_with("/")) return url;
  return "";
}

// Removes what a killed fetch may have left in the cache: lock files
// (libgit2 would refuse to update those refs for ever) and unfinished packs.
// REQUIRES: no fetch of this cache is running.
void RemoveLeftovers(const std::string& cache) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove(cache + "/packed-refs.lock", ec);
  std::vector<fs::path> doomed;
  for (fs::recursive_directory_iterator it(cache + "/refs", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".lock") doomed.push_back(it->path());
  }
  for (fs::directory_iterator it(cache + "/objects/pack", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with("pack_git2_") || name.starts_with("tmp_")) doomed.push_back(it->path());
  }
  for (const fs::path& p : doomed) fs::remove(p, ec);
}

// Writes the helper's request, readable by this user only.
Status WriteRequest(const std::string& path, const std::string& text) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("cannot create " + path, errno);
  ssize_t n = ::write(fd, text.data(), text.size());
  int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) return Status::FromErrno("cannot write " + path, e);
  return Status::OK();
}

Status ParseCommitId(const std::string& commit, git_oid* oid) {
  if (!IsCommitId(commit)) {
    return Status::InvalidArgument("'" + commit + "' is not a commit id (40 lower-case hex)");
  }
  git_oid_fromstr(oid, commit.c_str());
  return Status::OK();
}

}  // namespace

std::string DefaultFetchHelper() {
  // Build tree: next to the executable; installed: <prefix>/bin/mlopsd and
  // <prefix>/libexec/mlopsd/mlops-git-fetch.
  const std::string dir = ExecutableDir();
  std::string beside = JoinPath(dir, "mlops-git-fetch");
  std::string installed = JoinPath(dir, "../libexec/mlopsd/mlops-git-fetch");
  return !PathExists(beside) && PathExists(installed) ? installed : beside;
}

bool IsCommitId(const std::string& s) {
  return s.size() == GIT_OID_HEXSZ && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// libgit2's reference-counted global state, held for as long as a
// GitRepository lives.
struct LibGit2 {
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
  LibGit2(const LibGit2&) = delete;
  LibGit2& operator=(const LibGit2&) = delete;
};

struct GitRepository::Impl {
  // REQUIRES: mu held.
  Status LookupCommit(const std::string& commit, Commit* out, Tree* tree);
  Status ClearIncoming();

  LibGit2 lib;  // first in, last out: the repository is freed before shutdown
  std::mutex mu;
  Repo repo;  // protected by mu
};

Status GitRepository::Impl::LookupCommit(const std::string& commit, Commit* out, Tree* tree) {
  git_oid oid;
  MLOPS_RETURN_IF_ERROR(ParseCommitId(commit, &oid));
  int rc = git_commit_lookup(&out->p, repo.p, &oid);
  if (rc == GIT_ENOTFOUND) return Status::NotFound("commit " + commit + " is not in the cache");
  if (rc < 0) return Status::Corruption("commit " + commit + ": " + GitMessage());
  if (tree != nullptr && git_commit_tree(&tree->p, out->p) < 0) {
    return Status::Corruption("tree of commit " + commit + ": " + GitMessage());
  }
  return Status::OK();
}

Status GitRepository::Impl::ClearIncoming() {
  git_strarray names{};
  if (git_reference_list(&names, repo.p) < 0) {
    return Status::IOError("cannot list the cache's refs: " + GitMessage());
  }
  Status st;
  for (size_t i = 0; i < names.count && st.ok(); ++i) {
    if (std::string_view(names.strings[i]).starts_with(kIncoming) &&
        git_reference_remove(repo.p, names.strings[i]) < 0) {
      st = Status::IOError("cannot remove " + std::string(names.strings[i]) + ": " + GitMessage());
    }
  }
  git_strarray_dispose(&names);
  return st;
}

GitRepository::GitRepository(Options options, std::string cache_path)
    : options_(std::move(options)),
      cache_path_(std::move(cache_path)),
      impl_(std::make_unique<Impl>()) {}

GitRepository::~GitRepository() = default;

Status GitRepository::Open(Options options, std::unique_ptr<GitRepository>* out) {
  if (!ValidName(options.name)) {
    return Status::InvalidArgument("repository name '" + options.name +
                                   "' must be letters, digits, '.', '_' or '-' and not start "
                                   "with '.'");
  }
  for (const std::string* v : {&options.url, &options.cache_dir, &options.ssh_private_key,
                                &options.ssh_public_key, &options.fetch_helper}) {
    if (std::any_of(v->begin(), v->end(), [](char c) { return c == '\n' || c == '\r' || c == '\0'; })) {
      return Status::InvalidArgument("repository " + options.name +
                                     ": line break in a URL or path");
    }
  }
  if (options.url.empty()) return Status::InvalidArgument("repository " + options.name + ": no URL");
  if (options.cache_dir.empty() || options.cache_dir[0] != '/') {
    return Status::InvalidArgument("git cache folder '" + options.cache_dir +
                                   "' is not absolute");
  }
  if (options.branches.empty()) {
    return Status::InvalidArgument("repository " + options.name + ": no branches to watch");
  }
  std::string cache = JoinPath(options.cache_dir, options.name + ".git");
  std::unique_ptr<GitRepository> r(new GitRepository(std::move(options), cache));
  for (const std::string& b : r->options_.branches) {
    if (!ValidBranch(b)) {
      return Status::InvalidArgument("repository " + r->options_.name + ": '" + b +
                                     "' is not a branch name");
    }
  }
  MLOPS_RETURN_IF_ERROR(MakeDirs(r->options_.cache_dir, 0700));
  Impl& impl = *r->impl_;
  if (!PathExists(cache)) {
    // Made beside and renamed, so a crash never leaves half a cache.
    std::string tmp = cache + ".init-" + std::to_string(::getpid());
    MLOPS_RETURN_IF_ERROR(RemoveTree(tmp));
    Repo init;
    if (git_repository_init(&init.p, tmp.c_str(), /*is_bare=*/1) < 0) {
      return Status::IOError("cannot create git cache " + tmp + ": " + GitMessage());
    }
    if (::rename(tmp.c_str(), cache.c_str()) != 0) {
      return Status::FromErrno("cannot rename " + tmp + " to " + cache, errno);
    }
  }
  if (git_repository_open_bare(&impl.repo.p, cache.c_str()) < 0) {
    return Status::Corruption(cache + " is not a usable bare git repository: " + GitMessage());
  }
  RemoveLeftovers(cache);
  *out = std::move(r);
  return Status::OK();
}

Status GitRepository::Fetch(std::vector<BranchHead>* heads) {
  heads->clear();
  std::lock_guard lock(impl_->mu);
  const std::string& url = options_.url;
  std::string local = LocalPath(url);
  if (!local.empty() && !PathExists(local)) {
    return Status::NotFound("fetch " + url + ": no repository at " + local);
  }
  RemoveLeftovers(cache_path_);
  MLOPS_RETURN_IF_ERROR(impl_->ClearIncoming());

  // Phase one, in the helper: objects and refs/mlops/incoming/*.
  internal::FetchRequest req;
  req.cache_path = cache_path_;
  req.url = url;
  req.branches = options_.branches;
  req.timeout = options_.fetch_timeout;
  req.ssh_private_key = options_.ssh_private_key;
  req.ssh_public_key = options_.ssh_public_key;
  std::string request_file = JoinPath(cache_path_, "mlops-fetch.request");
  MLOPS_RETURN_IF_ERROR(WriteRequest(request_file, internal::FormatFetchRequest(req)));
  const std::string helper =
      options_.fetch_helper.empty() ? DefaultFetchHelper() : options_.fetch_helper;
  CapturedRun run;
  Status st = RunCaptured({helper, request_file}, options_.fetch_timeout + kHelperGrace, &run);
  ::unlink(request_file.c_str());
  if (!st.ok()) return Status::IOError("fetch " + url + ": " + st.message());
  if (run.timed_out) {
    st = Status::Unavailable("fetch " + url + ": timed out after " +
                             std::to_string(options_.fetch_timeout.count()) +
                             " ms (the fetch was killed)");
  } else if (run.exit_code == 0 || run.exit_code == 1) {
    st = internal::ParseFetchAnswer(run.out);
    if (st.ok() != (run.exit_code == 0)) {
      st = Status::IOError("fetch " + url + ": " + helper + " answered '" + run.out + "'");
    }
  } else {
    st = Status::IOError("fetch " + url + ": " + helper +
                         (run.signal != 0 ? " died of signal " + std::to_string(run.signal)
                                          : " exited with " + std::to_string(run.exit_code)) +
                         (run.err.empty() ? "" : ": " + run.err));
  }
  if (!st.ok()) {
    RemoveLeftovers(cache_path_);
    (void)impl_->ClearIncoming();
    return st;
  }

  // Phase two: check what arrived, then move the heads.
  std::vector<BranchHead> fetched;
  std::vector<git_oid> oids;
  for (const std::string& b : options_.branches) {
    git_oid oid{};
    int found = git_reference_name_to_id(&oid, impl_->repo.p, (kIncoming + b).c_str());
    if (found == GIT_ENOTFOUND) {
      fetched.push_back({b, ""});
      oids.push_back(oid);
      continue;
    }
    if (found < 0) {
      (void)impl_->ClearIncoming();
      return Status::IOError("fetch " + url + ": reading " + kIncoming + b + ": " + GitMessage());
    }
    Commit commit;
    Tree tree;
    Status arrived = impl_->LookupCommit(Hex(oid), &commit, &tree);
    if (!arrived.ok()) {
      (void)impl_->ClearIncoming();
      return Status::Corruption("fetch " + url + ": branch " + b + " arrived incomplete: " +
                                arrived.message());
    }
    fetched.push_back({b, Hex(oid)});
    oids.push_back(oid);
  }
  for (size_t i = 0; i < fetched.size(); ++i) {
    std::string ref = kHeads + fetched[i].branch;
    if (fetched[i].commit.empty()) {
      Reference existing;
      if (git_reference_lookup(&existing.p, impl_->repo.p, ref.c_str()) == 0 &&
          git_reference_delete(existing.p) < 0) {
        return Status::IOError("cannot remove " + ref + ": " + GitMessage());
      }
      continue;
    }
    Reference moved;
    if (git_reference_create(&moved.p, impl_->repo.p, ref.c_str(), &oids[i], /*force=*/1,
                             nullptr) < 0) {
      return Status::IOError("cannot move " + ref + ": " + GitMessage());
    }
  }
  (void)impl_->ClearIncoming();
  *heads = std::move(fetched);
  return Status::OK();
}

Status GitRepository::Head(const std::string& branch, std::string* commit) {
  std::lock_guard lock(impl_->mu);
  git_oid oid;
  int rc = git_reference_name_to_id(&oid, impl_->repo.p, (kHeads + branch).c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    return Status::NotFound("branch " + branch + " of " + options_.name + " has not been fetched");
  }
  if (rc < 0) return Status::IOError("branch " + branch + ": " + GitMessage());
  *commit = Hex(oid);
  return Status::OK();
}

bool GitRepository::HasCommit(const std::string& commit) {
  std::lock_guard lock(impl_->mu);
  Commit c;
  Tree t;
  return impl_->LookupCommit(commit, &c, &t).ok();
}

Status GitRepository::Checkout(const std::string& commit, const std::string& dest_dir) {
  if (dest_dir.empty() || dest_dir[0] != '/') {
    return Status::InvalidArgument("checkout folder '" + dest_dir + "' is not absolute");
  }
  struct stat st {};
  if (::stat(dest_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("checkout folder " + dest_dir + " is not an existing folder");
  }
  if (DIR* d = ::opendir(dest_dir.c_str())) {
    bool empty = true;
    while (dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") empty = false;
    }
    ::closedir(d);
    if (!empty) {
      return Status::InvalidArgument("checkout folder " + dest_dir + " is not empty");
    }
  }
  std::lock_guard lock(impl_->mu);
  // libgit2 refuses a tree with a submodule in a repository without a
  // working tree, so the checkout gets a handle of its own whose working
  // tree is dest_dir (in memory only: nothing is written to the cache).
  Impl handle;
  if (git_repository_open_bare(&handle.repo.p, cache_path_.c_str()) < 0 ||
      git_repository_set_workdir(handle.repo.p, dest_dir.c_str(), /*update_gitlink=*/0) < 0) {
    return Status::IOError("checkout of " + commit + ": " + GitMessage());
  }
  Commit c;
  Tree tree;
  MLOPS_RETURN_IF_ERROR(handle.LookupCommit(commit, &c, &tree));
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy =
      GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_NO_REFRESH;
  co.disable_filters = 1;
  co.target_directory = dest_dir.c_str();
  if (git_checkout_tree(handle.repo.p, reinterpret_cast<git_object*>(tree.p), &co) < 0) {
    return Status::IOError("checkout of " + commit + " into " + dest_dir + ": " + GitMessage());
  }
  return Status::OK();
}

Status GitRepository::ReadFile(const std::string& commit, const std::string& path,
                               std::string* content) {
  bool bad_part = path.empty() || path[0] == '/';
  for (size_t start = 0; !bad_part && start <= path.size();) {
    size_t slash = std::min(path.find('/', start), path.size());
    std::string_view part(path.data() + start, slash - start);
    bad_part = part.empty() || part == "." || part == "..";
    start = slash + 1;
  }
  if (bad_part) {
    return Status::InvalidArgument("'" + path + "' is not a relative path inside the repository");
  }
  std::lock_guard lock(impl_->mu);
  Commit c;
  Tree tree;
  MLOPS_RETURN_IF_ERROR(impl_->LookupCommit(commit, &c, &tree));
  TreeEntry entry;
  int rc = git_tree_entry_bypath(&entry.p, tree.p, path.c_str());
  if (rc == GIT_ENOTFOUND) {
    return Status::NotFound(path + " does not exist in commit " + commit);
  }
  if (rc < 0) return Status::Corruption(path + " in commit " + commit + ": " + GitMessage());
  if (git_tree_entry_type(entry.p) != GIT_OBJECT_BLOB ||
      git_tree_entry_filemode(entry.p) == GIT_FILEMODE_LINK) {
    return Status::InvalidArgument(path + " in commit " + commit + " is not a regular file");
  }
  Blob blob;
  if (git_blob_lookup(&blob.p, impl_->repo.p, git_tree_entry_id(entry.p)) < 0) {
    return Status::Corruption(path + " in commit " + commit + ": " + GitMessage());
  }
  content->assign(static_cast<const char*>(git_blob_rawcontent(blob.p)),
                  static_cast<size_t>(git_blob_rawsize(blob.p)));
  return Status::OK();
}

Status GitRepository::GetCommitDetails(const std::string& commit, CommitDetails* out) {
  std::lock_guard lock(impl_->mu);
  Commit c;
  MLOPS_RETURN_IF_ERROR(impl_->LookupCommit(commit, &c, nullptr));
  *out = CommitDetails();
  out->commit = commit;
  if (const git_signature* a = git_commit_author(c.p)) {
    out->author_name = a->name ? a->name : "";
    out->author_email = a->email ? a->email : "";
    out->author_time_ms = static_cast<int64_t>(a->when.time) * 1000;
  }
  if (const char* summary = git_commit_summary(c.p)) out->summary = summary;
  for (unsigned i = 0; i < git_commit_parentcount(c.p); ++i) {
    out->parents.push_back(Hex(*git_commit_parent_id(c.p, i)));
  }
  return Status::OK();
}

}  // namespace mlops::triggers
