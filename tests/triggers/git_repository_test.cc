#include "triggers/git_repository.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "git_fixture.h"
#include "mlops/common/files.h"
#include "temp_dir.h"

namespace mlops::triggers {
namespace {

using namespace std::chrono_literals;
using testing::Git;
using testing::GitRemote;

class GitRepositoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { testing::IsolateGitEnvironment(); }

  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    remote_ = std::make_unique<GitRemote>(dir_.Join("src"));
  }

  std::unique_ptr<GitRepository> Open(const std::string& url,
                                      std::vector<std::string> branches = {"main"},
                                      Duration timeout = 10s) {
    GitRepository::Options o;
    o.name = "demo";
    o.url = url;
    o.branches = std::move(branches);
    o.cache_dir = dir_.Join("cache");
    o.fetch_timeout = timeout;
    o.fetch_helper = MLOPS_GIT_FETCH_HELPER;
    std::unique_ptr<GitRepository> repo;
    Status st = GitRepository::Open(o, &repo);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return repo;
  }

  std::string Head(GitRepository* repo, const std::string& branch = "main") {
    std::string commit;
    Status st = repo->Head(branch, &commit);
    return st.ok() ? commit : st.ToString();
  }

  // A new, empty, absolute folder for a checkout.
  std::string NewDir(const std::string& name) {
    std::string d = dir_.Join(name);
    EXPECT_TRUE(MakeDirs(d).ok());
    return d;
  }

  testing::TempDir dir_;
  std::unique_ptr<GitRemote> remote_;
};

TEST_F(GitRepositoryTest, FetchSeesEachPushedHead) {
  std::string c1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  auto repo = Open(remote_->bare());
  ASSERT_NE(repo, nullptr);
  EXPECT_EQ(repo->cache_path(), dir_.Join("cache/demo.git"));
  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].branch, "main");
  EXPECT_EQ(heads[0].commit, c1);
  EXPECT_EQ(Head(repo.get()), c1);

  std::string c2 = remote_->CommitAndPush({{"a.txt", "two"}}, "second");
  ASSERT_TRUE(repo->Fetch(&heads).ok());
  EXPECT_EQ(heads[0].commit, c2);
  EXPECT_EQ(Head(repo.get()), c2);
  EXPECT_TRUE(repo->HasCommit(c1));
  // Only the heads are refs; nothing is left in the scratch namespace.
  EXPECT_EQ(Git(repo->cache_path(), {"for-each-ref", "--format=%(refname)"}),
            "refs/mlops/heads/main");
}

TEST_F(GitRepositoryTest, FileUrlWorksToo) {
  std::string c1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  auto repo = Open("file://" + remote_->bare());
  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(heads[0].commit, c1);
}

TEST_F(GitRepositoryTest, BranchAbsentOnTheRemoteHasNoHead) {
  std::string m1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  auto repo = Open(remote_->bare(), {"main", "dev"});
  std::vector<BranchHead> heads;
  ASSERT_TRUE(repo->Fetch(&heads).ok());
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[0].commit, m1);
  EXPECT_EQ(heads[1].branch, "dev");
  EXPECT_EQ(heads[1].commit, "");
  std::string ignored;
  EXPECT_TRUE(repo->Head("dev", &ignored).IsNotFound());

  std::string d1 = remote_->CommitAndPush({{"b.txt", "dev"}}, "on dev", "dev");
  ASSERT_TRUE(repo->Fetch(&heads).ok());
  EXPECT_EQ(heads[1].commit, d1);
  EXPECT_EQ(Head(repo.get(), "dev"), d1);

  Git(remote_->work(), {"push", "-q", "origin", "--delete", "dev"});
  ASSERT_TRUE(repo->Fetch(&heads).ok());
  EXPECT_EQ(heads[1].commit, "");
  EXPECT_TRUE(repo->Head("dev", &ignored).IsNotFound());
  EXPECT_EQ(Head(repo.get()), m1);
}

TEST_F(GitRepositoryTest, CheckoutGivesExactlyEachCommitsFiles) {
  std::string c1 = remote_->CommitAndPush(
      {{"train.py", "print('v1')\n"}, {"data/params.yaml", "lr: 0.1\n"}, {"crlf.txt", "a\r\nb\r\n"}},
      "v1");
  std::string c2 = remote_->CommitAndPush(
      {{"train.py", "print('v2')\n"}, {"rm:data/params.yaml", ""}, {"eval/run.sh", "#!/bin/sh\n"}},
      "v2");
  ASSERT_EQ(::chmod(JoinPath(remote_->work(), "eval/run.sh").c_str(), 0755), 0);
  std::string c3 = remote_->CommitAndPush({}, "exec bit");
  auto repo = Open(remote_->bare());
  std::vector<BranchHead> heads;
  ASSERT_TRUE(repo->Fetch(&heads).ok());

  std::string old_dir = NewDir("ws-old");
  std::string new_dir = NewDir("ws-new");
  Status st = repo->Checkout(c1, old_dir);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(repo->Checkout(c3, new_dir).ok());
  using Files = std::map<std::string, std::string>;
  EXPECT_EQ(testing::ReadTree(old_dir), (Files{{"train.py", "print('v1')\n"},
                                               {"data/params.yaml", "lr: 0.1\n"},
                                               {"crlf.txt", "a\r\nb\r\n"}}));
  EXPECT_EQ(testing::ReadTree(new_dir), (Files{{"train.py", "print('v2')\n"},
                                               {"crlf.txt", "a\r\nb\r\n"},
                                               {"eval/run.sh", "#!/bin/sh\n"}}));
  struct stat sb {};
  ASSERT_EQ(::stat(JoinPath(new_dir, "eval/run.sh").c_str(), &sb), 0);
  EXPECT_TRUE(sb.st_mode & S_IXUSR);
  EXPECT_FALSE(PathExists(JoinPath(new_dir, ".git")));
  (void)c2;
}

TEST_F(GitRepositoryTest, CheckoutRefusesBadTargetsAndIds) {
  std::string c1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  auto repo = Open(remote_->bare());
  std::vector<BranchHead> heads;
  ASSERT_TRUE(repo->Fetch(&heads).ok());
  EXPECT_TRUE(repo->Checkout(c1, "relative/dir").IsInvalidArgument());
  EXPECT_TRUE(repo->Checkout(c1, dir_.Join("missing")).IsInvalidArgument());
  std::string full = NewDir("full");
  ASSERT_TRUE(WriteFileAtomic(JoinPath(full, "x"), "x").ok());
  Status st = repo->Checkout(c1, full);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("not empty"), std::string::npos);
  EXPECT_TRUE(repo->Checkout(c1.substr(0, 12), NewDir("short")).IsInvalidArgument());
  EXPECT_TRUE(repo->Checkout(std::string(40, 'a'), NewDir("unknown")).IsNotFound());
}

TEST_F(GitRepositoryTest, ReadFileReturnsThePipelineAtThatCommit) {
  std::string c1 = remote_->CommitAndPush({{".mlops/pipeline.yaml", "version: 1\n"}}, "v1");
  std::string c2 = remote_->CommitAndPush({{".mlops/pipeline.yaml", "version: 2\n"}}, "v2");
  ASSERT_EQ(::symlink("pipeline.yaml", JoinPath(remote_->work(), ".mlops/link.yaml").c_str()), 0);
  std::string c3 = remote_->CommitAndPush({}, "link");
  auto repo = Open(remote_->bare());
  std::vector<BranchHead> heads;
  ASSERT_TRUE(repo->Fetch(&heads).ok());
  std::string content;
  ASSERT_TRUE(repo->ReadFile(c1, ".mlops/pipeline.yaml", &content).ok());
  EXPECT_EQ(content, "version: 1\n");
  ASSERT_TRUE(repo->ReadFile(c2, ".mlops/pipeline.yaml", &content).ok());
  EXPECT_EQ(content, "version: 2\n");
  Status missing = repo->ReadFile(c1, "nope.yaml", &content);
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
  EXPECT_TRUE(repo->ReadFile(c1, ".mlops", &content).IsInvalidArgument());
  EXPECT_TRUE(repo->ReadFile(c3, ".mlops/link.yaml", &content).IsInvalidArgument());
  for (const char* bad : {"/etc/passwd", "../x", ".mlops/../x", "a//b", "./a", ""}) {
    EXPECT_TRUE(repo->ReadFile(c1, bad, &content).IsInvalidArgument()) << bad;
  }
  EXPECT_TRUE(repo->ReadFile(std::string(40, 'b'), "a", &content).IsNotFound());
}

TEST_F(GitRepositoryTest, CommitDetails) {
  std::string c1 = remote_->CommitAndPush({{"a", "1"}}, "first");
  std::string c2 = remote_->CommitAndPush({{"a", "2"}}, "Retrain with more data\n\nLonger body.");
  auto repo = Open(remote_->bare());
  std::vector<BranchHead> heads;
  ASSERT_TRUE(repo->Fetch(&heads).ok());
  CommitDetails d;
  ASSERT_TRUE(repo->GetCommitDetails(c2, &d).ok());
  EXPECT_EQ(d.commit, c2);
  EXPECT_EQ(d.author_name, "Ada Tester");
  EXPECT_EQ(d.author_email, "ada@example.com");
  EXPECT_EQ(d.summary, "Retrain with more data");
  EXPECT_EQ(d.parents, std::vector<std::string>{c1});
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LE(std::abs(now_ms - d.author_time_ms), 600'000);
  EXPECT_TRUE(repo->GetCommitDetails(std::string(40, 'c'), &d).IsNotFound());
}

// Hooks, filter drivers and fsmonitor configured where a careless
// implementation would run them: none may run. The control at the end
// proves each canary script works when something does run it.
TEST_F(GitRepositoryTest, NothingFromTheRepositoryIsExecuted) {
  std::string canary_dir = dir_.Join("canaries");
  ASSERT_TRUE(MakeDirs(canary_dir).ok());
  auto script = [&](const std::string& path, const std::string& name) {
    ASSERT_TRUE(MakeDirs(DirName(path)).ok());
    ASSERT_TRUE(WriteFileAtomic(path, "#!/bin/sh\ntouch " + JoinPath(canary_dir, name) + "\ncat\n",
                                0755)
                    .ok());
  };
  std::string sub = remote_->CommitAndPush({{"x", "x"}}, "the submodule's commit");
  std::string c = remote_->CommitAndPush(
      {{".gitattributes", "* filter=canary ident\n*.txt text eol=crlf\n"},
       {"keyword.txt", "line $Id$\nsecond\n"},
       {".gitmodules", "[submodule \"sub\"]\n\tpath = sub\n\turl = " + remote_->bare() + "\n"}},
      "attributes");
  Git(remote_->work(), {"update-index", "--add", "--cacheinfo", "160000," + sub + ",sub"});
  Git(remote_->work(), {"commit", "-q", "-m", "gitlink"});
  Git(remote_->work(), {"push", "-q", "origin", "main"});
  std::string with_sub = Git(remote_->work(), {"rev-parse", "HEAD"});

  // Hooks in the remote, installed after the pushes (git itself would run
  // them on a push).
  for (const char* hook : {"post-checkout", "post-merge", "reference-transaction", "pre-upload",
                           "post-update", "post-receive"}) {
    script(JoinPath(remote_->bare(), std::string("hooks/") + hook), std::string("remote-") + hook);
  }
  auto repo = Open(remote_->bare());
  // The cache as a user's global config might leave it: a filter driver
  // (like git-lfs's), fsmonitor, a hooks path.
  std::string cfg = repo->cache_path();
  script(JoinPath(canary_dir, "bin/filter"), "filter");
  script(JoinPath(canary_dir, "bin/fsmonitor"), "fsmonitor");
  Git(cfg, {"config", "filter.canary.smudge", JoinPath(canary_dir, "bin/filter")});
  Git(cfg, {"config", "filter.canary.clean", JoinPath(canary_dir, "bin/filter")});
  Git(cfg, {"config", "filter.canary.process", JoinPath(canary_dir, "bin/filter")});
  Git(cfg, {"config", "filter.canary.required", "true"});
  Git(cfg, {"config", "core.fsmonitor", JoinPath(canary_dir, "bin/fsmonitor")});
  Git(cfg, {"config", "core.hooksPath", JoinPath(cfg, "hooks")});
  for (const char* hook : {"post-checkout", "reference-transaction", "post-merge"}) {
    script(JoinPath(cfg, std::string("hooks/") + hook), std::string("cache-") + hook);
  }
  // Reopen so the configuration is read.
  repo.reset();
  repo = Open(remote_->bare());

  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(heads[0].commit, with_sub);
  std::string ws = NewDir("ws");
  st = repo->Checkout(with_sub, ws);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::string content;
  ASSERT_TRUE(repo->ReadFile(c, "keyword.txt", &content).ok());

  EXPECT_EQ(testing::ReadTree(canary_dir),
            (std::map<std::string, std::string>{
                {"bin/filter", "#!/bin/sh\ntouch " + JoinPath(canary_dir, "filter") + "\ncat\n"},
                {"bin/fsmonitor",
                 "#!/bin/sh\ntouch " + JoinPath(canary_dir, "fsmonitor") + "\ncat\n"}}));
  // No filter ran: no ident expansion, no CRLF conversion.
  std::map<std::string, std::string> files = testing::ReadTree(ws);
  EXPECT_EQ(files["keyword.txt"], "line $Id$\nsecond\n");
  EXPECT_EQ(content, "line $Id$\nsecond\n");
  // The submodule is an empty folder: nothing was cloned into it.
  EXPECT_EQ(files.count("sub/"), 1u);
  EXPECT_EQ(files.count("sub/x"), 0u);

  // Control: the canary scripts do work when run.
  ASSERT_EQ(testing::RunCommand({JoinPath(cfg, "hooks/post-checkout")}, ws), 0);
  EXPECT_TRUE(PathExists(JoinPath(canary_dir, "cache-post-checkout")));
}

TEST_F(GitRepositoryTest, MissingRemoteIsNotFoundAndLeavesTheCache) {
  auto repo = Open(dir_.Join("no/such/repo.git"));
  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_NE(st.message().find(dir_.Join("no/such/repo.git")), std::string::npos);
  EXPECT_TRUE(heads.empty());
  std::string ignored;
  EXPECT_TRUE(repo->Head("main", &ignored).IsNotFound());
}

TEST_F(GitRepositoryTest, FolderThatIsNotARepositoryIsAClearError) {
  std::string plain = NewDir("plain");
  auto repo = Open(plain);
  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("fetch " + plain), std::string::npos) << st.ToString();
}

TEST_F(GitRepositoryTest, RemoteRemovedThenRestored) {
  std::string c1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  auto repo = Open(remote_->bare());
  std::vector<BranchHead> heads;
  ASSERT_TRUE(repo->Fetch(&heads).ok());

  std::string moved = remote_->bare() + ".away";
  ASSERT_EQ(::rename(remote_->bare().c_str(), moved.c_str()), 0);
  Status st = repo->Fetch(&heads);
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_EQ(Head(repo.get()), c1);
  EXPECT_TRUE(repo->Checkout(c1, NewDir("still-works")).ok());

  ASSERT_EQ(::rename(moved.c_str(), remote_->bare().c_str()), 0);
  std::string c2 = remote_->CommitAndPush({{"a.txt", "two"}}, "second");
  st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(heads[0].commit, c2);
  EXPECT_EQ(Head(repo.get()), c2);
}

// Two ways an object file of the remote goes bad. Scribbled-over bytes make
// zlib fail: Corruption. A truncated object makes libgit2 1.5 spin for
// ever: the helper is killed at the deadline (Unavailable, "timed out").
// Either way the heads stay, nothing of the half fetch is visible, and a
// repaired remote fetches again.
class CorruptRemoteTest : public GitRepositoryTest,
                          public ::testing::WithParamInterface<bool> {};

TEST_P(CorruptRemoteTest, LeavesTheHeadsAsTheyWere) {
  const bool truncate = GetParam();
  std::string c1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  auto repo = Open(remote_->bare(), {"main"}, 1s);
  std::vector<BranchHead> heads;
  ASSERT_TRUE(repo->Fetch(&heads).ok());

  std::string c2 = remote_->CommitAndPush({{"big.txt", std::string(20000, 'q') + "unique"}}, "big");
  std::string blob = Git(remote_->work(), {"rev-parse", c2 + ":big.txt"});
  std::string object =
      JoinPath(remote_->bare(), "objects/" + blob.substr(0, 2) + "/" + blob.substr(2));
  ASSERT_TRUE(PathExists(object)) << "expected a loose object at " << object;
  std::string good;
  ASSERT_TRUE(ReadFile(object, &good).ok());
  ASSERT_EQ(::chmod(object.c_str(), 0644), 0);
  if (truncate) {
    ASSERT_EQ(::truncate(object.c_str(), static_cast<off_t>(good.size() / 2)), 0);
  } else {
    std::string bad = good;
    for (size_t i = 2; i < bad.size(); ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    ASSERT_TRUE(WriteFileAtomic(object, bad, 0644).ok());
  }

  auto start = std::chrono::steady_clock::now();
  Status st = repo->Fetch(&heads);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 6s);
  if (truncate) {
    EXPECT_TRUE(st.IsUnavailable()) << st.ToString();
    EXPECT_NE(st.message().find("timed out after 1000 ms"), std::string::npos) << st.ToString();
  } else {
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  }
  EXPECT_NE(st.message().find(remote_->bare()), std::string::npos) << st.ToString();
  EXPECT_TRUE(heads.empty());
  EXPECT_EQ(Head(repo.get()), c1);
  EXPECT_EQ(Git(repo->cache_path(), {"for-each-ref", "refs/mlops/incoming"}), "");

  // Repaired: the next fetch completes.
  ASSERT_TRUE(WriteFileAtomic(object, good, 0444).ok());
  st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Head(repo.get()), c2);
  std::string content;
  ASSERT_TRUE(repo->ReadFile(c2, "big.txt", &content).ok());
  EXPECT_EQ(content.size(), 20006u);
}

INSTANTIATE_TEST_SUITE_P(Damage, CorruptRemoteTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Truncated" : "Scribbled";
                         });

TEST_F(GitRepositoryTest, ReopenKeepsHeadsAndClearsStaleLocks) {
  std::string c1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  std::string cache;
  {
    auto repo = Open(remote_->bare());
    std::vector<BranchHead> heads;
    ASSERT_TRUE(repo->Fetch(&heads).ok());
    cache = repo->cache_path();
  }
  // A daemon killed during a ref update leaves its lock file behind.
  ASSERT_TRUE(WriteFileAtomic(JoinPath(cache, "refs/mlops/heads/main.lock"), "").ok());
  ASSERT_TRUE(MakeDirs(JoinPath(cache, "refs/mlops/incoming")).ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(cache, "refs/mlops/incoming/main.lock"), "").ok());
  std::string half_pack = JoinPath(cache, "objects/pack/pack_git2_1b2c3d");
  ASSERT_TRUE(WriteFileAtomic(half_pack, "PACK").ok());
  auto repo = Open(remote_->bare());
  EXPECT_EQ(Head(repo.get()), c1);
  std::string c2 = remote_->CommitAndPush({{"a.txt", "two"}}, "second");
  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Head(repo.get()), c2);
  EXPECT_FALSE(PathExists(half_pack));
}

TEST_F(GitRepositoryTest, HelperIsFoundBesideTheExecutable) {
  // The executable's folder comes from /proc/self/exe, a resolved path; the
  // build may have been configured through a symlink.
  EXPECT_EQ(std::filesystem::weakly_canonical(DefaultFetchHelper()),
            std::filesystem::weakly_canonical(MLOPS_GIT_FETCH_HELPER));
}

TEST_F(GitRepositoryTest, MissingHelperIsAClearError) {
  remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  GitRepository::Options o;
  o.name = "demo";
  o.url = remote_->bare();
  o.branches = {"main"};
  o.cache_dir = dir_.Join("cache");
  o.fetch_helper = dir_.Join("no-such-helper");
  std::unique_ptr<GitRepository> repo;
  ASSERT_TRUE(GitRepository::Open(o, &repo).ok());
  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
  EXPECT_NE(st.message().find("no-such-helper"), std::string::npos) << st.ToString();
  // The request (which may hold a token in its URL) does not stay behind.
  EXPECT_FALSE(PathExists(JoinPath(repo->cache_path(), "mlops-fetch.request")));
}

TEST_F(GitRepositoryTest, BadOptionsAreRefused) {
  GitRepository::Options o;
  o.name = "demo";
  o.url = remote_->bare();
  o.branches = {"main"};
  o.cache_dir = dir_.Join("cache");
  o.fetch_helper = MLOPS_GIT_FETCH_HELPER;
  std::unique_ptr<GitRepository> repo;
  for (const char* name : {"", "../evil", ".hidden", "a/b", "sp ace"}) {
    GitRepository::Options bad = o;
    bad.name = name;
    EXPECT_TRUE(GitRepository::Open(bad, &repo).IsInvalidArgument()) << name;
  }
  for (const char* branch : {"ma*in", "a..b", "", "-x/.lock"}) {
    GitRepository::Options bad = o;
    bad.branches = {branch};
    EXPECT_TRUE(GitRepository::Open(bad, &repo).IsInvalidArgument()) << branch;
  }
  GitRepository::Options newline = o;
  newline.url = remote_->bare() + "\nbranch evil";
  EXPECT_TRUE(GitRepository::Open(newline, &repo).IsInvalidArgument());
  GitRepository::Options relative = o;
  relative.cache_dir = "cache";
  EXPECT_TRUE(GitRepository::Open(relative, &repo).IsInvalidArgument());
  GitRepository::Options no_branches = o;
  no_branches.branches.clear();
  EXPECT_TRUE(GitRepository::Open(no_branches, &repo).IsInvalidArgument());
  // Something that is not a repository where the cache should be.
  ASSERT_TRUE(MakeDirs(dir_.Join("cache/demo.git")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.Join("cache/demo.git/junk"), "x").ok());
  EXPECT_TRUE(GitRepository::Open(o, &repo).IsCorruption());
}

// --- Network remotes ---------------------------------------------------

class GitNetworkTest : public GitRepositoryTest {
 protected:
  // Fetch must return Unavailable ("timed out") after about `timeout`.
  void ExpectTimesOut(GitRepository* repo, Duration timeout) {
    std::vector<BranchHead> heads;
    auto start = std::chrono::steady_clock::now();
    Status st = repo->Fetch(&heads);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(st.IsUnavailable()) << st.ToString();
    EXPECT_NE(st.message().find("timed out after " + std::to_string(timeout.count()) + " ms"),
              std::string::npos)
        << st.ToString();
    EXPECT_GE(took, timeout - 50ms);
    EXPECT_LT(took, timeout + 30s);  // it gave up, rather than hang; room for a loaded machine
    EXPECT_TRUE(heads.empty());
  }
};

TEST_F(GitNetworkTest, GitProtocolThroughTheDeadlineSocket) {
  std::string c1 = remote_->CommitAndPush({{"a.txt", std::string(300000, 'z')}}, "first");
  int port = testing::FreePort();
  testing::GitDaemon daemon(dir_.Join("src"), port);
  ASSERT_TRUE(daemon.running());
  auto repo = Open("git://127.0.0.1:" + std::to_string(port) + "/remote.git");
  std::vector<BranchHead> heads;
  Status st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(heads[0].commit, c1);
  std::string content;
  ASSERT_TRUE(repo->ReadFile(c1, "a.txt", &content).ok());
  EXPECT_EQ(content.size(), 300000u);
}

TEST_F(GitNetworkTest, RefusedConnectionIsUnavailable) {
  int port = testing::FreePort();  // nothing listens there
  auto repo = Open("git://127.0.0.1:" + std::to_string(port) + "/remote.git");
  std::vector<BranchHead> heads;
  auto start = std::chrono::steady_clock::now();
  Status st = repo->Fetch(&heads);
  EXPECT_TRUE(st.IsUnavailable()) << st.ToString();
  EXPECT_NE(st.message().find("127.0.0.1"), std::string::npos) << st.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(GitNetworkTest, SilentGitRemoteIsCutAtTheDeadline) {
  testing::SilentListener listener;
  auto repo = Open("git://127.0.0.1:" + std::to_string(listener.port()) + "/remote.git",
                   {"main"}, 700ms);
  ExpectTimesOut(repo.get(), 700ms);
  EXPECT_NE(listener.Received().find("git-upload-pack /remote.git"), std::string::npos);
}

TEST_F(GitNetworkTest, SilentHttpRemoteIsCutAtTheDeadline) {
  testing::SilentListener listener;
  auto repo = Open("http://127.0.0.1:" + std::to_string(listener.port()) + "/remote.git",
                   {"main"}, 700ms);
  ExpectTimesOut(repo.get(), 700ms);
  EXPECT_NE(listener.Received().find("GET /remote.git/info/refs?service=git-upload-pack"),
            std::string::npos)
      << listener.Received();
}

// libssh2 reads the socket directly; the deadline must still cut it, and
// the bytes prove it talked on the socket this library made.
TEST_F(GitNetworkTest, SilentSshRemoteIsCutAtTheDeadline) {
  testing::SilentListener listener;
  auto repo = Open("ssh://git@127.0.0.1:" + std::to_string(listener.port()) + "/remote.git",
                   {"main"}, 700ms);
  ExpectTimesOut(repo.get(), 700ms);
  EXPECT_TRUE(listener.Received().starts_with("SSH-2.0-")) << listener.Received();
}

TEST_F(GitNetworkTest, RemoteThatHangsThenComesBack) {
  std::string c1 = remote_->CommitAndPush({{"a.txt", "one"}}, "first");
  int port = testing::FreePort();
  auto repo = Open("git://127.0.0.1:" + std::to_string(port) + "/remote.git", {"main"}, 700ms);
  std::vector<BranchHead> heads;
  {
    testing::GitDaemon daemon(dir_.Join("src"), port);
    ASSERT_TRUE(daemon.running());
    Status st = repo->Fetch(&heads);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  std::string c2 = remote_->CommitAndPush({{"a.txt", "two"}}, "second");
  {
    testing::SilentListener hanging(port);
    ASSERT_EQ(hanging.port(), port);
    ExpectTimesOut(repo.get(), 700ms);
    EXPECT_EQ(Head(repo.get()), c1);
  }
  testing::GitDaemon daemon(dir_.Join("src"), port);
  ASSERT_TRUE(daemon.running());
  Status st = repo->Fetch(&heads);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Head(repo.get()), c2);
}

}  // namespace
}  // namespace mlops::triggers
