// End to end: a real bare repository, real `git push`es, and the real
// mlopsd reacting to them (poll, post-receive hook, GitLab/GitHub webhooks).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <thread>

#include "daemon_harness.h"
#include "triggers/webhook.h"

namespace mlops::e2e {
namespace {

using nlohmann::json;

const char kPipeline[] = R"(version: 1
name: from-git
on:
  git: { branches: [main] }
stages:
  - name: build
    uses: exec
    run: "sh -c 'cat version.txt > out.txt'"
    inputs: [version.txt]
    outputs: [out.txt]
)";

class GitE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    bare_ = dir_.Sub("origin.git");
    work_ = dir_.Sub("work");
    ASSERT_EQ(Git({"init", "-q", "--bare", "-b", "main", bare_}).exit_code, 0);
    ASSERT_EQ(Git({"clone", "-q", bare_, work_}).exit_code, 0);
    ::mkdir((work_ + "/.mlops").c_str(), 0755);
    WriteText(work_ + "/.mlops/pipeline.yaml", kPipeline);
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
  }

  CommandResult Git(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/git");
    return RunCommand(args, {"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
                             "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"});
  }

  // Commits version.txt = `text` and pushes; returns the commit id.
  // A commit in the work clone, not pushed; returns its id.
  std::string Commit(const std::string& text) {
    WriteText(work_ + "/version.txt", text);
    EXPECT_EQ(Git({"-C", work_, "add", "-A"}).exit_code, 0);
    EXPECT_EQ(Git({"-C", work_, "commit", "-q", "-m", "version " + text}).exit_code, 0);
    std::string sha = Git({"-C", work_, "rev-parse", "HEAD"}).out;
    return sha.substr(0, 40);
  }

  // Moves the origin's main to `commit` (a descendant of what it holds).
  void PushCommit(const std::string& commit) {
    auto push = Git({"-C", work_, "push", "-q", "origin", commit + ":refs/heads/main"});
    EXPECT_EQ(push.exit_code, 0) << push.err;
  }

  std::string CommitAndPush(const std::string& text) {
    const std::string sha = Commit(text);
    PushCommit(sha);
    return sha;
  }

  std::unique_ptr<Daemon> StartDaemon(const std::string& poll, const std::string& window = "200ms") {
    WriteText(dir_.Sub("mlopsd.yaml"),
              "repositories:\n  - name: demo\n    url: " + bare_ + "\n    branches: [main]\n"
              "    poll_interval: " + poll + "\n    coalesce_window: " + window +
              "\n    webhook_secret: It's a Secret to Everybody\n    fetch_timeout: 5s\n");
    auto d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"),
                                      std::vector<std::string>{},
                                      std::vector<std::string>{"--config", dir_.Sub("mlopsd.yaml")});
    EXPECT_TRUE(d->Start()) << ReadText(d->log_path());
    return d;
  }

  // Waits until a run for `commit` exists and has ended; returns it.
  json WaitForRunOf(const Daemon& d, const std::string& commit, int seconds = 30) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = d.Ctl({"--json", "runs", "list", "--limit", "50"});
      if (r.exit_code == 0) {
        json runs = json::parse(r.out)["runs"];
        for (const auto& run : runs) {
          if (run["commit"] == commit) {
            auto w = d.Ctl({"--json", "runs", "wait", std::to_string(run["id"].get<int64_t>()),
                            "--timeout", "30"});
            return json::parse(w.out, nullptr, false);
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return json();
  }

  // Waits until `repos show` lists `commit` with `status`.
  bool WaitForCommitStatus(const Daemon& d, const std::string& commit, const std::string& status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = d.Ctl({"--json", "repos", "show", "demo"});
      if (r.exit_code == 0) {
        const json repo = json::parse(r.out);
        for (const auto& c : repo["commits"]) {
          if (c["commit"] == commit && c["status"] == status) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  int RunCount(const Daemon& d) {
    auto r = d.Ctl({"--json", "runs", "list", "--limit", "100"});
    return r.exit_code == 0 ? static_cast<int>(json::parse(r.out)["runs"].size()) : -1;
  }

  TempDir dir_;
  std::string bare_, work_;
};

TEST_F(GitE2E, PushStartsARunOnTheExactCommit) {
  const std::string first = CommitAndPush("v1");
  auto d = StartDaemon("200ms");
  json run = WaitForRunOf(*d, first);
  ASSERT_TRUE(run.is_object()) << ReadText(d->log_path());
  EXPECT_EQ(run["status"], "succeeded") << run.dump(2);
  EXPECT_EQ(run["trigger"], "git");
  // A new push: a new run whose workspace holds that commit's files.
  const std::string second = CommitAndPush("v2");
  json run2 = WaitForRunOf(*d, second);
  ASSERT_TRUE(run2.is_object()) << ReadText(d->log_path());
  EXPECT_EQ(run2["status"], "succeeded");
  std::string out_sha;
  for (const auto& e : run2["stages"][0]["artifacts"]) {
    if (e["kind"] == "produced") out_sha = e["artifact"];
  }
  auto content = d->Ctl({"artifacts", "get", out_sha});
  EXPECT_EQ(content.out, "v2");
  auto repos = d->Ctl({"--json", "repos", "show", "demo"});
  ASSERT_EQ(repos.exit_code, 0) << repos.err;
  EXPECT_EQ(json::parse(repos.out)["heads"]["main"], second);
}

// With no window (the default), a push starts a run at once; pushes that
// arrive while that run is queued become one run for the newest commit,
// started as soon as the queued run starts. Each stage holds both CPU slots
// until cancelled, so the test decides when a queued run may start.
TEST_F(GitE2E, WithNoWindowPushesWhileARunIsQueuedBecomeOneRun) {
  WriteText(work_ + "/.mlops/pipeline.yaml",
            "version: 1\nname: held\non:\n  git: { branches: [main] }\nstages:\n"
            "  - {name: hold, uses: exec, run: \"sleep 60\", resources: {cpus: 2}}\n");
  const std::string c1 = CommitAndPush("v1");
  auto d = StartDaemon("100ms", "0s");
  auto run_of = [&](const std::string& commit) -> json {
    auto r = d->Ctl({"--json", "runs", "list", "--limit", "50"});
    if (r.exit_code != 0) return json();
    const json page = json::parse(r.out);
    for (const auto& run : page["runs"]) {
      if (run["commit"] == commit) return run;
    }
    return json();
  };
  auto wait_status = [&](const std::string& commit, const std::string& status) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      json run = run_of(commit);
      if (run.is_object() && run["status"] == status) return run;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return json();
  };
  json run1 = wait_status(c1, "running");
  ASSERT_TRUE(run1.is_object()) << ReadText(d->log_path());
  const std::string c2 = CommitAndPush("v2");
  ASSERT_TRUE(WaitForCommitStatus(*d, c2, "triggered")) << "no run started for a lone push";
  ASSERT_TRUE(wait_status(c2, "queued").is_object());
  const std::string c3 = CommitAndPush("v3");
  ASSERT_TRUE(WaitForCommitStatus(*d, c3, "pending"));
  const std::string c4 = CommitAndPush("v4");
  ASSERT_TRUE(WaitForCommitStatus(*d, c3, "superseded"));
  ASSERT_TRUE(WaitForCommitStatus(*d, c4, "pending"));
  EXPECT_EQ(RunCount(*d), 2) << "nothing more starts while a run of the branch is queued";
  // The queued run starts: the newest commit gets its run at once.
  ASSERT_EQ(d->Ctl({"runs", "cancel", std::to_string(run1["id"].get<int64_t>())}).exit_code, 0);
  ASSERT_TRUE(WaitForCommitStatus(*d, c4, "triggered")) << ReadText(d->log_path());
  EXPECT_TRUE(run_of(c4).is_object());
  EXPECT_FALSE(run_of(c3).is_object());
  EXPECT_EQ(RunCount(*d), 3);
}

TEST_F(GitE2E, BurstOfPushesCoalescesIntoOneRunForTheNewest) {
  CommitAndPush("v0");
  auto d = StartDaemon("100ms", "10s");
  json first = WaitForRunOf(*d, Git({"-C", work_, "rev-parse", "HEAD"}).out.substr(0, 40));
  ASSERT_TRUE(first.is_object());
  const int before = RunCount(*d);
  // The daemon must have seen the burst's first commit (pending in the
  // window) before the others land; otherwise a fast machine pushes all five
  // between two polls and there is nothing to coalesce.
  // The other four commits are made beforehand, so that only four pushes
  // fall inside the window, and the window is long enough for them on a
  // loaded machine; the test waits for the run, not for the window.
  std::vector<std::string> burst;
  for (int i = 1; i <= 5; ++i) burst.push_back(Commit("burst" + std::to_string(i)));
  const std::string opening = burst[0];
  PushCommit(opening);
  ASSERT_TRUE(WaitForCommitStatus(*d, opening, "pending")) << ReadText(d->log_path());
  for (int i = 1; i < 5; ++i) PushCommit(burst[i]);
  const std::string last = burst.back();
  json run = WaitForRunOf(*d, last);
  ASSERT_TRUE(run.is_object()) << ReadText(d->log_path());
  EXPECT_EQ(run["status"], "succeeded");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(RunCount(*d), before + 1) << "a burst must start exactly one run";
  // The registry keeps each commit's fate: the newest triggered the run,
  // those it replaced are superseded by a newer one.
  json repo = json::parse(d->Ctl({"--json", "repos", "show", "demo"}).out);
  int superseded = 0;
  for (const auto& c : repo["commits"]) {
    if (c["commit"] == last) {
      EXPECT_EQ(c["status"], "triggered");
      EXPECT_EQ(c["runs"][0], run["id"]);
    }
    if (c["commit"] == opening) {
      EXPECT_EQ(c["status"], "superseded");
    }
    if (c["status"] == "superseded") {
      ++superseded;
      EXPECT_EQ(c["superseded_by"].get<std::string>().size(), 40u);
    }
  }
  EXPECT_GE(superseded, 1) << repo.dump(2);
}

TEST_F(GitE2E, WebhooksAuthenticateAndIgnoreReplays) {
  const std::string c1 = CommitAndPush("v1");
  auto d = StartDaemon("1h");  // no polling after the first fetch: only webhooks move it
  ASSERT_TRUE(WaitForRunOf(*d, c1).is_object());
  const std::string c2 = CommitAndPush("v2");
  const std::string body = json{{"object_kind", "push"}, {"ref", "refs/heads/main"},
                                {"before", c1}, {"after", c2}, {"checkout_sha", c2},
                                {"project", {{"git_http_url", "file://" + bare_},
                                             {"git_ssh_url", bare_},
                                             {"path_with_namespace", "x/origin"}}}}.dump();
  auto post = [&](const std::vector<std::string>& headers, const std::string& path) {
    std::vector<std::string> args = {"/usr/bin/curl", "-s", "-o", "-", "-w", "\n%{http_code}",
                                     "-X", "POST", d->url() + path, "--data-binary", body};
    for (const auto& h : headers) {
      args.push_back("-H");
      args.push_back(h);
    }
    auto r = RunCommand(args);
    return r.out.substr(r.out.rfind('\n') + 1);
  };
  EXPECT_EQ(post({"X-Gitlab-Event: Push Hook", "X-Gitlab-Token: wrong", "X-Gitlab-Event-UUID: u1"},
                 "/api/v1/webhooks/gitlab/demo"), "401");
  EXPECT_EQ(post({"X-Gitlab-Event: Push Hook", "X-Gitlab-Event-UUID: u1"},
                 "/api/v1/webhooks/gitlab/demo"), "401");
  const std::string ok_headers = "X-Gitlab-Token: It's a Secret to Everybody";
  EXPECT_EQ(post({"X-Gitlab-Event: Push Hook", ok_headers, "X-Gitlab-Event-UUID: u2"},
                 "/api/v1/webhooks/gitlab/demo"), "202");
  json run = WaitForRunOf(*d, c2);
  ASSERT_TRUE(run.is_object()) << ReadText(d->log_path());
  EXPECT_EQ(run["trigger"], "gitlab");
  const int runs = RunCount(*d);
  EXPECT_EQ(post({"X-Gitlab-Event: Push Hook", ok_headers, "X-Gitlab-Event-UUID: u2"},
                 "/api/v1/webhooks/gitlab/demo"), "200");
  // GitHub: HMAC over the raw body.
  const std::string gh_body = json{{"ref", "refs/heads/main"}, {"before", c1}, {"after", c2},
                                   {"deleted", false},
                                   {"repository", {{"clone_url", "file://" + bare_},
                                                   {"ssh_url", bare_},
                                                   {"full_name", "x/origin"}}}}.dump();
  const std::string sig = "sha256=" + triggers::HmacSha256Hex("It's a Secret to Everybody", gh_body);
  auto gh = RunCommand({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        d->url() + "/api/v1/webhooks/github/demo", "--data-binary", gh_body,
                        "-H", "Content-Type: application/json",
                        "-H", "X-GitHub-Event: push", "-H", "X-GitHub-Delivery: d1",
                        "-H", "X-Hub-Signature-256: " + sig});
  EXPECT_EQ(gh.out, "202");
  // GitHub's default content type: the JSON as a form's `payload` field,
  // signed as sent. Parsed (the commit was already seen: 202, not 400).
  std::string form = "payload=";
  for (unsigned char c : gh_body) {
    static const char* kHex = "0123456789ABCDEF";
    if (std::isalnum(c)) form += static_cast<char>(c);
    else form += std::string("%") + kHex[c >> 4] + kHex[c & 15];
  }
  auto gh_form = RunCommand({"/usr/bin/curl", "-s", "-w", "\n%{http_code}", "-X", "POST",
                             d->url() + "/api/v1/webhooks/github/demo", "--data-binary", form,
                             "-H", "Content-Type: application/x-www-form-urlencoded",
                             "-H", "X-GitHub-Event: push", "-H", "X-GitHub-Delivery: d3",
                             "-H", "X-Hub-Signature-256: sha256=" +
                                 triggers::HmacSha256Hex("It's a Secret to Everybody", form)});
  EXPECT_EQ(gh_form.out.substr(gh_form.out.rfind('\n') + 1), "202") << gh_form.out;
  EXPECT_NE(gh_form.out.find("already seen"), std::string::npos) << gh_form.out;
  auto gh_bad = RunCommand({"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                            d->url() + "/api/v1/webhooks/github/demo", "--data-binary", gh_body + " ",
                            "-H", "X-GitHub-Event: push", "-H", "X-GitHub-Delivery: d2",
                            "-H", "X-Hub-Signature-256: " + sig});
  EXPECT_EQ(gh_bad.out, "401");
  // Every delivery is counted by its result on /metrics.
  std::vector<std::string> scrape = {"/usr/bin/curl", "-s", d->url() + "/metrics"};
  for (const auto& a : d->CurlAuth()) scrape.push_back(a);
  auto metrics = RunCommand(scrape);
  EXPECT_NE(metrics.out.find("mlopsd_webhook_deliveries_total{result=\"rejected\"} 3"), std::string::npos)
      << metrics.out.substr(0, 4000);
  EXPECT_NE(metrics.out.find("mlopsd_webhook_deliveries_total{result=\"duplicate\"} 1"), std::string::npos);
  EXPECT_NE(metrics.out.find("mlopsd_trigger_events_total{source=\"gitlab\"} 1"), std::string::npos);
  // A replay after a restart still starts nothing.
  d->Stop();
  d = StartDaemon("1h");
  EXPECT_EQ(post({"X-Gitlab-Event: Push Hook", ok_headers, "X-Gitlab-Event-UUID: u2"},
                 "/api/v1/webhooks/gitlab/demo"), "200");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(RunCount(*d), runs) << "a replayed delivery started a run";
}

TEST_F(GitE2E, UnreachableRemoteIsAnErrorStateThenRecovers) {
  const std::string c1 = CommitAndPush("v1");
  ASSERT_EQ(::rename(bare_.c_str(), (bare_ + ".away").c_str()), 0);
  auto d = StartDaemon("100ms");
  bool error_seen = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!error_seen && std::chrono::steady_clock::now() < deadline) {
    auto r = d->Ctl({"--json", "repos", "show", "demo"});
    if (r.exit_code == 0 && json::parse(r.out)["state"] == "error") error_seen = true;
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(error_seen) << ReadText(d->log_path());
  auto shown = json::parse(d->Ctl({"--json", "repos", "show", "demo"}).out);
  EXPECT_FALSE(shown["last_error"].get<std::string>().empty());
  EXPECT_EQ(d->Ctl({"runs", "list"}).exit_code, 0) << "the API must stay up";
  ASSERT_EQ(::rename((bare_ + ".away").c_str(), bare_.c_str()), 0);
  ASSERT_EQ(d->Ctl({"repos", "sync", "demo"}).exit_code, 0);
  json run = WaitForRunOf(*d, c1, 60);
  ASSERT_TRUE(run.is_object()) << ReadText(d->log_path());
  EXPECT_EQ(run["status"], "succeeded");
}

TEST_F(GitE2E, OnlyTheNewestCheckoutsAreKept) {
  auto d = StartDaemon("50ms", "0ms");
  for (int i = 0; i < 12; ++i) {
    const std::string c = CommitAndPush("v" + std::to_string(i));
    json run = WaitForRunOf(*d, c);
    ASSERT_TRUE(run.is_object()) << i << ReadText(d->log_path());
    ASSERT_EQ(run["status"], "succeeded");
  }
  auto ls = RunCommand({"/bin/ls", dir_.Sub("state/checkouts/demo")});
  int dirs = 0;
  for (char ch : ls.out) dirs += ch == '\n';
  EXPECT_EQ(dirs, 10) << ls.out;
}

TEST_F(GitE2E, PostReceiveHookNotifiesTheDaemon) {
  const std::string c1 = CommitAndPush("v1");
  auto d = StartDaemon("1h");
  ASSERT_TRUE(WaitForRunOf(*d, c1).is_object());
  const std::string hook = bare_ + "/hooks/post-receive";
  ASSERT_EQ(RunCommand({"/bin/cp", MLOPS_SOURCE_DIR "/scripts/git-hooks/post-receive", hook}).exit_code, 0);
  ASSERT_EQ(Git({"-C", bare_, "config", "mlopsd.repo", "demo"}).exit_code, 0);
  ASSERT_EQ(Git({"-C", bare_, "config", "mlopsd.server", d->url()}).exit_code, 0);
  ASSERT_EQ(Git({"-C", bare_, "config", "mlopsd.mlctl", MlctlPath()}).exit_code, 0);
  // `repos sync` needs an operator token; the hook reads it from a file.
  const std::string token_file = bare_ + ".token";
  WriteText(token_file, d->admin_token() + "\n");
  ::chmod(token_file.c_str(), 0600);
  ASSERT_EQ(Git({"-C", bare_, "config", "mlopsd.tokenfile", token_file}).exit_code, 0);
  const std::string c2 = CommitAndPush("v2");
  json run = WaitForRunOf(*d, c2, 20);
  ASSERT_TRUE(run.is_object()) << "the hook did not make the daemon fetch: " << ReadText(d->log_path());
  EXPECT_EQ(run["status"], "succeeded");
}

}  // namespace
}  // namespace mlops::e2e
