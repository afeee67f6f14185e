#include "server/git_triggers.h"

#include <spdlog/spdlog.h>
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "metrics/daemon_metrics.h"
#include "mlops/common/files.h"
#include "mlops/common/sha256.h"
#include "pipeline/pipeline_parser.h"
#include "triggers/coalescer.h"
#include "triggers/git_repository.h"
#include "triggers/webhook.h"

namespace mlops::server {

using nlohmann::json;

struct GitTriggers::Repo {
  RepoConfig config;
  std::unique_ptr<triggers::GitRepository> git;
  std::unique_ptr<triggers::TriggerCoalescer> coalescer;
  std::thread poller;
  std::mutex mu;                      // protects everything below
  std::condition_variable cv;
  bool sync_requested = false;
  std::map<std::string, std::string> last_seen;  // branch -> commit
  std::string last_error;
  int64_t last_success_ms = 0;
  int64_t last_attempt_ms = 0;
  int64_t next_poll_ms = 0;
  int consecutive_failures = 0;
  std::mutex fetch_mu;                // one fetch at a time
  // Branch -> the run of its last trigger while that run is queued (the
  // coalescer holds the branch meanwhile). Dispatch thread only.
  std::map<std::string, int64_t> queued_runs;
};

namespace {

std::string Short(const std::string& commit) { return commit.substr(0, 12); }

std::string Header(const std::map<std::string, std::string>& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

}  // namespace

GitTriggers::GitTriggers(registry::Store* store, scheduler::Scheduler* scheduler, Clock* clock,
                         std::string state_dir, std::vector<RepoConfig> repos, KnownPlugins plugins)
    : store_(store),
      scheduler_(scheduler),
      clock_(clock),
      state_dir_(std::move(state_dir)),
      plugins_(std::move(plugins)) {
  for (auto& r : repos) {
    auto repo = std::make_unique<Repo>();
    repo->config = std::move(r);
    repos_[repo->config.name] = std::move(repo);
  }
}

GitTriggers::~GitTriggers() { Stop(); }

Status GitTriggers::Start() {
  const std::string cache_dir = JoinPath(state_dir_, "git");
  MLOPS_RETURN_IF_ERROR(MakeDirs(cache_dir, 0700));
  for (auto& [name, repo] : repos_) {
    triggers::GitRepository::Options o;
    o.name = name;
    o.url = repo->config.url;
    o.branches = repo->config.branches;
    o.cache_dir = cache_dir;
    o.fetch_timeout = repo->config.fetch_timeout;
    Status s = triggers::GitRepository::Open(o, &repo->git);
    if (!s.ok()) return Status::InvalidArgument("repository '" + name + "': " + s.message());
    repo->coalescer = std::make_unique<triggers::TriggerCoalescer>(clock_, repo->config.coalesce_window);
    LoadRepoState(repo.get());
  }
  for (auto& [name, repo] : repos_) {
    Repo* r = repo.get();
    r->poller = std::thread([this, r] { PollLoop(r); });
  }
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  return Status::OK();
}

void GitTriggers::Stop() {
  if (stop_.exchange(true)) return;
  for (auto& [name, repo] : repos_) {
    {
      std::lock_guard<std::mutex> lock(repo->mu);
    }
    repo->cv.notify_all();
  }
  WakeDispatcher();
  for (auto& [name, repo] : repos_) {
    if (repo->poller.joinable()) repo->poller.join();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
}

Status GitTriggers::Sync(const std::string& name) {
  auto it = repos_.find(name);
  if (it == repos_.end()) return Status::NotFound("no watched repository named '" + name + "'");
  {
    std::lock_guard<std::mutex> lock(it->second->mu);
    it->second->sync_requested = true;
  }
  it->second->cv.notify_all();
  return Status::OK();
}

void GitTriggers::PollLoop(Repo* repo) {
  while (!stop_.load()) {
    {
      std::unique_lock<std::mutex> lock(repo->mu);
      const int64_t now = clock_->WallMillis();
      if (!repo->sync_requested && repo->next_poll_ms > now) {
        repo->cv.wait_for(lock, std::chrono::milliseconds(repo->next_poll_ms - now),
                          [&] { return stop_.load() || repo->sync_requested; });
      }
      if (stop_.load()) return;
      if (!repo->sync_requested && clock_->WallMillis() < repo->next_poll_ms) continue;
      repo->sync_requested = false;
    }
    std::vector<triggers::BranchHead> heads;
    Status s;
    {
      std::lock_guard<std::mutex> fetch_lock(repo->fetch_mu);
      s = repo->git->Fetch(&heads);
    }
    std::vector<std::pair<std::string, std::string>> moved;
    {
      std::lock_guard<std::mutex> lock(repo->mu);
      const int64_t now = clock_->WallMillis();
      repo->last_attempt_ms = now;
      const int64_t interval = repo->config.poll_interval.count();
      if (s.ok()) {
        if (!repo->last_error.empty()) spdlog::info("repository {} reachable again", repo->config.name);
        repo->last_error.clear();
        repo->consecutive_failures = 0;
        repo->last_success_ms = now;
        repo->next_poll_ms = now + interval;
        if (metrics_) metrics_->watcher_last_success().With({repo->config.name}).Set(now / 1000.0);
        for (const auto& h : heads) {
          if (h.commit.empty() || repo->last_seen[h.branch] == h.commit) continue;
          repo->last_seen[h.branch] = h.commit;
          moved.emplace_back(h.branch, h.commit);
        }
      } else {
        repo->consecutive_failures++;
        repo->last_error = s.message();
        const int64_t backoff =
            std::min<int64_t>(interval << std::min(repo->consecutive_failures, 6), 10 * 60 * 1000);
        repo->next_poll_ms = now + std::max<int64_t>(backoff, interval);
        if (metrics_) metrics_->watcher_errors().With({repo->config.name}).Inc();
        spdlog::warn("repository {}: {} (retry in {} ms)", repo->config.name, s.message(),
                     repo->next_poll_ms - now);
      }
    }
    SaveRepoState(repo);
    if (!moved.empty()) ReportHeads(repo, moved, "poll");
  }
}

void GitTriggers::ReportHeads(Repo* repo, const std::vector<std::pair<std::string, std::string>>& heads,
                              const std::string& origin) {
  for (const auto& [branch, commit] : heads) {
    std::string superseded = repo->coalescer->Report(repo->config.name, branch, commit, origin);
    RecordCommit(repo->config.name, branch, commit, "pending", 0,
                 "waiting for the coalescing window or for the branch's queued run to start",
                 origin);
    if (!superseded.empty()) {
      RecordCommit(repo->config.name, branch, superseded, "superseded", 0,
                   "a newer commit arrived before this one was dispatched", origin, commit);
    }
  }
  WakeDispatcher();
}

void GitTriggers::WakeDispatcher() {
  {
    std::lock_guard<std::mutex> lock(dispatch_mu_);
    dispatch_wake_ = true;
  }
  dispatch_cv_.notify_all();
}

void GitTriggers::ReleaseStartedRuns(Repo* repo) {
  for (auto it = repo->queued_runs.begin(); it != repo->queued_runs.end();) {
    registry::RunRecord run;
    Status s = store_->GetRun(it->second, &run);
    if (s.ok() && run.status == registry::RunStatus::kQueued) {
      ++it;
      continue;
    }
    repo->coalescer->Release(repo->config.name, it->first);
    it = repo->queued_runs.erase(it);
  }
}

void GitTriggers::DispatchLoop() {
  // While a triggered run is queued, its branch is held; the registry is
  // asked this often whether it has started.
  constexpr std::chrono::milliseconds kQueuedRunCheck{20};
  while (!stop_.load()) {
    std::optional<TimePoint> next;
    bool any_queued = false;
    for (auto& [name, repo] : repos_) {
      ReleaseStartedRuns(repo.get());
      any_queued = any_queued || !repo->queued_runs.empty();
      auto due = repo->coalescer->NextDue();
      if (due && (!next || *due < *next)) next = due;
    }
    {
      std::unique_lock<std::mutex> lock(dispatch_mu_);
      auto wait = any_queued ? kQueuedRunCheck : std::chrono::milliseconds(500);
      if (next) {
        wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_->Now()),
                          std::chrono::milliseconds(0), wait);
      }
      if (wait.count() > 0) {
        dispatch_cv_.wait_for(lock, wait, [this] { return dispatch_wake_ || stop_.load(); });
      }
      dispatch_wake_ = false;
    }
    if (stop_.load()) return;
    for (auto& [name, repo] : repos_) {
      for (const auto& p : repo->coalescer->TakeDue()) {
        Dispatch(p.repository, p.branch, p.commit, p.origin, p.superseded);
      }
    }
  }
}

Status GitTriggers::PrepareCheckout(Repo* repo, const std::string& commit, std::string* dir) {
  const std::string base = JoinPath(JoinPath(state_dir_, "checkouts"), repo->config.name);
  *dir = JoinPath(base, commit);
  if (PathExists(*dir)) return Status::OK();
  MLOPS_RETURN_IF_ERROR(MakeDirs(base, 0700));
  const std::string tmp = *dir + ".partial";
  MLOPS_RETURN_IF_ERROR(RemoveTree(tmp));
  MLOPS_RETURN_IF_ERROR(MakeDirs(tmp, 0700));
  Status s = repo->git->Checkout(commit, tmp);
  if (!s.ok()) {
    (void)RemoveTree(tmp);
    return s;
  }
  if (::rename(tmp.c_str(), dir->c_str()) != 0) {
    return Status::FromErrno("cannot move checkout into place at " + *dir, errno);
  }
  PruneCheckouts(repo, base, commit);
  return Status::OK();
}

void GitTriggers::PruneCheckouts(Repo* repo, const std::string& base, const std::string& made) {
  // Keep the checkout just made (its run is not submitted yet), the newest
  // kKeepCheckouts of the repository, and every one whose commit a queued
  // or running run still uses (its workspace is copied from the checkout
  // when the scheduler takes the run up). Newest by modification time in
  // nanoseconds: many checkouts share a second on a fast machine.
  constexpr size_t kKeepCheckouts = 10;
  std::vector<std::pair<int64_t, std::string>> dirs;  // (mtime ns, commit)
  DIR* d = ::opendir(base.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (!triggers::IsCommitId(n)) continue;
    struct stat st;
    if (n == made || ::stat(JoinPath(base, n).c_str(), &st) != 0) continue;
    dirs.emplace_back(static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, n);
  }
  ::closedir(d);
  // The one just made counts among the kept.
  const size_t keep_others = kKeepCheckouts - 1;
  if (dirs.size() <= keep_others) return;
  std::sort(dirs.begin(), dirs.end(), std::greater<>());
  registry::RunFilter active;
  active.status = {registry::RunStatus::kQueued, registry::RunStatus::kRunning};
  active.limit = 0;
  std::vector<registry::RunRecord> runs;
  if (!store_->ListRuns(active, &runs).ok()) return;
  for (size_t i = keep_others; i < dirs.size(); ++i) {
    const std::string& commit = dirs[i].second;
    bool in_use = std::any_of(runs.begin(), runs.end(),
                              [&](const registry::RunRecord& r) { return r.commit == commit; });
    if (in_use) continue;
    Status s = RemoveTree(JoinPath(base, commit));
    if (!s.ok()) spdlog::warn("repository {}: {}", repo->config.name, s.message());
  }
}

void GitTriggers::Dispatch(const std::string& name, const std::string& branch,
                           const std::string& commit, const std::string& origin,
                           const std::vector<std::string>& superseded) {
  Repo* repo = repos_.at(name).get();
  if (!repo->git->HasCommit(commit)) {
    // A webhook can announce a commit before the poller fetched it.
    std::vector<triggers::BranchHead> heads;
    std::lock_guard<std::mutex> fetch_lock(repo->fetch_mu);
    Status fs = repo->git->Fetch(&heads);
    if (!fs.ok() || !repo->git->HasCommit(commit)) {
      spdlog::warn("repository {}: commit {} not available: {}", name, Short(commit),
                   fs.ok() ? "not on the remote" : fs.message());
      RecordCommit(name, branch, commit, "ignored", 0,
                   "not available: " + (fs.ok() ? std::string("not on the remote") : fs.message()), origin);
      return;
    }
  }
  const std::string where = name + "@" + Short(commit) + ":" + repo->config.pipeline_path;
  std::string text;
  Status rs = repo->git->ReadFile(commit, repo->config.pipeline_path, &text);
  if (!rs.ok()) {
    spdlog::info("repository {}: commit {} has no pipeline at {}; nothing to run", name,
                 Short(commit), repo->config.pipeline_path);
    RecordCommit(name, branch, commit, "ignored", 0, "no pipeline file at " + repo->config.pipeline_path,
                 origin);
    return;
  }
  pipeline::ParseOptions opts;
  opts.file_name = where;
  if (plugins_) opts.known_plugins = plugins_();
  pipeline::Pipeline p;
  std::vector<pipeline::PipelineError> errors;
  if (!pipeline::ParsePipeline(text, opts, &p, &errors)) {
    for (const auto& e : errors) spdlog::warn("invalid pipeline: {}", e.ToString());
    RecordCommit(name, branch, commit, "ignored", 0, "invalid pipeline: " + errors[0].ToString(), origin);
    return;
  }
  if (!p.on.git_branches.empty() &&
      std::find(p.on.git_branches.begin(), p.on.git_branches.end(), branch) == p.on.git_branches.end()) {
    RecordCommit(name, branch, commit, "ignored", 0, "the pipeline's on.git does not name " + branch, origin);
    return;
  }
  std::string checkout;
  Status cs = PrepareCheckout(repo, commit, &checkout);
  if (!cs.ok()) {
    spdlog::error("repository {}: checkout of {} failed: {}", name, Short(commit), cs.message());
    RecordCommit(name, branch, commit, "ignored", 0, "checkout failed: " + cs.message(), origin);
    return;
  }
  registry::PipelineRecord rec;
  rec.name = p.name;
  rec.definition = text;
  rec.definition_sha256 = Sha256Hex(text);
  rec.source_dir = checkout;
  Status us = store_->UpsertPipeline(&rec);
  if (!us.ok()) {
    spdlog::error("registry: {}", us.message());
    return;
  }
  triggers::CommitDetails details;
  (void)repo->git->GetCommitDetails(commit, &details);
  scheduler::RunRequest r;
  r.pipeline_id = rec.id;
  r.trigger = origin == "poll" ? "git" : origin;
  r.reason = "commit " + Short(commit) + " on " + branch + " of " + name +
             (details.summary.empty() ? "" : ": " + details.summary);
  if (!superseded.empty()) {
    r.reason += " (superseding " + std::to_string(superseded.size()) + " earlier commit(s))";
  }
  r.commit = commit;
  r.source_dir = checkout;
  int64_t run_id = 0;
  Status ss = scheduler_->Submit(r, &run_id);
  if (!ss.ok()) {
    spdlog::error("repository {}: cannot start a run for {}: {}", name, Short(commit), ss.message());
    RecordCommit(name, branch, commit, "ignored", 0, "cannot start a run: " + ss.message(), origin);
    return;
  }
  spdlog::info("repository {}: run {} for commit {} on {}", name, run_id, Short(commit), branch);
  repo->coalescer->Hold(name, branch);
  repo->queued_runs[branch] = run_id;
  RecordCommit(name, branch, commit, "triggered", run_id, r.reason, origin);
}

api::WebhookAnswer GitTriggers::OnWebhook(const std::string& source, const std::string& name,
                                          const std::map<std::string, std::string>& headers,
                                          const std::string& body) {
  api::WebhookAnswer answer = HandleWebhook(source, name, headers, body);
  if (metrics_) metrics_->webhook_deliveries().With({answer.result}).Inc();
  return answer;
}

api::WebhookAnswer GitTriggers::HandleWebhook(const std::string& source, const std::string& name,
                                              const std::map<std::string, std::string>& headers,
                                              const std::string& body) {
  auto it = repos_.find(name);
  if (it == repos_.end()) return {404, "rejected", "no watched repository named '" + name + "'"};
  Repo* repo = it->second.get();
  // Authenticate on the raw body before anything is parsed.
  Status auth;
  std::string delivery, event;
  if (source == "gitlab") {
    auth = triggers::VerifyGitLabToken(Header(headers, "x-gitlab-token"), repo->config.webhook_secret);
    delivery = Header(headers, "idempotency-key");
    if (delivery.empty()) delivery = Header(headers, "x-gitlab-event-uuid");
    event = Header(headers, "x-gitlab-event");
  } else if (source == "github") {
    auth = triggers::VerifyGitHubSignature(Header(headers, "x-hub-signature-256"), body,
                                           repo->config.webhook_secret);
    delivery = Header(headers, "x-github-delivery");
    event = Header(headers, "x-github-event");
  } else {
    return {404, "rejected", "unknown webhook source '" + source + "'"};
  }
  if (!auth.ok()) return {401, "rejected", auth.message()};
  if (delivery.empty()) return {400, "invalid", "the delivery has no id header"};
  Status rec = RecordDelivery(source, delivery);
  if (rec.IsConflict()) return {200, "duplicate", "delivery " + delivery + " was already received"};
  if (!rec.ok()) return {503, "invalid", rec.message()};
  if (source == "github" && event == "ping") return {200, "ignored", "pong"};
  if ((source == "gitlab" && event != "Push Hook") || (source == "github" && event != "push")) {
    return {202, "ignored", "event '" + event + "' starts nothing"};
  }
  triggers::PushEvent push;
  Status ps;
  if (source == "gitlab") {
    ps = triggers::ParseGitLabPush(body, &push);
  } else {
    std::string payload;
    ps = triggers::GitHubPayloadJson(Header(headers, "content-type"), body, &payload);
    if (ps.ok()) ps = triggers::ParseGitHubPush(payload, &push);
  }
  if (!ps.ok()) return {400, "invalid", ps.message()};
  if (!triggers::PushNamesRepository(push, repo->config.url)) {
    return {422, "invalid", "the event names another repository than '" + name + "'"};
  }
  if (push.deleted) return {202, "ignored", "branch deletion starts nothing"};
  const auto& branches = repo->config.branches;
  if (push.branch.empty() || std::find(branches.begin(), branches.end(), push.branch) == branches.end()) {
    return {202, "ignored", "ref " + push.ref + " is not a watched branch"};
  }
  {
    std::lock_guard<std::mutex> lock(repo->mu);
    // The same commit announced again (a poll got there first, or a mirror
    // sends its own hook) starts nothing more.
    if (repo->last_seen[push.branch] == push.commit) {
      return {202, "ignored", "commit " + push.commit + " on " + push.branch + " was already seen"};
    }
    repo->last_seen[push.branch] = push.commit;
  }
  SaveRepoState(repo);
  if (metrics_) metrics_->trigger_events().With({"webhook"}).Inc();
  ReportHeads(repo, {{push.branch, push.commit}}, source);
  return {202, "queued", "commit " + push.commit + " on " + push.branch + " queued"};
}

json GitTriggers::ReposJson() const {
  json out = json::array();
  for (const auto& [name, repo] : repos_) {
    json j;
    if (RepoJson(name, &j).ok()) out.push_back(j);
  }
  return out;
}

Status GitTriggers::RepoJson(const std::string& name, json* out) const {
  auto it = repos_.find(name);
  if (it == repos_.end()) return Status::NotFound("no watched repository named '" + name + "'");
  Repo* repo = it->second.get();
  std::lock_guard<std::mutex> lock(repo->mu);
  *out = {{"name", name},
          {"url", repo->config.url},
          {"branches", repo->config.branches},
          {"pipeline", repo->config.pipeline_path},
          {"poll_interval_ms", repo->config.poll_interval.count()},
          {"heads", repo->last_seen},
          {"state", repo->last_error.empty() ? (repo->last_success_ms ? "ok" : "pending") : "error"},
          {"last_error", repo->last_error},
          {"last_success_ms", repo->last_success_ms},
          {"last_attempt_ms", repo->last_attempt_ms},
          {"next_poll_ms", repo->next_poll_ms},
          {"consecutive_failures", repo->consecutive_failures}};
  registry::CommitFilter f;
  f.repository = name;
  f.limit = 20;
  std::vector<registry::CommitRecord> commits;
  (*out)["commits"] = json::array();
  if (store_->ListCommits(f, &commits).ok()) {
    for (const auto& c : commits) {
      (*out)["commits"].push_back({{"commit", c.sha}, {"branch", c.branch}, {"origin", c.origin},
                                   {"status", registry::ToString(c.status)}, {"reason", c.reason},
                                   {"superseded_by", c.superseded_by}, {"runs", c.run_ids},
                                   {"seen_ms", c.seen_ms}});
    }
  }
  return Status::OK();
}

}  // namespace mlops::server

namespace mlops::server {

// Repository state, each commit's fate and webhook deliveries live in the
// registry (migration 2), so they survive restarts.

void GitTriggers::LoadRepoState(Repo* repo) {
  registry::RepositoryRecord rec;
  rec.name = repo->config.name;
  rec.url = repo->config.url;
  rec.branches = repo->config.branches;
  rec.pipeline_path = repo->config.pipeline_path;
  Status s = store_->UpsertRepository(&rec);
  if (!s.ok()) {
    spdlog::error("repository {}: registry: {}", repo->config.name, s.message());
    return;
  }
  std::vector<registry::CommitRecord> pending;
  {
    std::lock_guard<std::mutex> lock(repo->mu);
    repo->last_error = rec.last_error;
    repo->consecutive_failures = rec.consecutive_failures;
    repo->last_attempt_ms = rec.last_attempt_ms;
    repo->last_success_ms = rec.last_success_ms;
    for (const auto& branch : repo->config.branches) {
      registry::CommitFilter f;
      f.repository = repo->config.name;
      f.branch = branch;
      f.limit = 1;
      std::vector<registry::CommitRecord> newest;
      if (store_->ListCommits(f, &newest).ok() && !newest.empty()) {
        repo->last_seen[branch] = newest[0].sha;
        if (newest[0].status == registry::CommitStatus::kPending) pending.push_back(newest[0]);
      }
    }
  }
  // A daemon stopped inside a coalescing window left these pending: they
  // still get their run.
  for (const auto& c : pending) {
    repo->coalescer->Report(repo->config.name, c.branch, c.sha, c.origin.empty() ? "poll" : c.origin);
  }
}

void GitTriggers::SaveRepoState(Repo* repo) {
  registry::RepositoryRecord rec;
  {
    std::lock_guard<std::mutex> lock(repo->mu);
    rec.name = repo->config.name;
    rec.last_error = repo->last_error;
    rec.consecutive_failures = repo->consecutive_failures;
    rec.last_attempt_ms = repo->last_attempt_ms;
    rec.last_success_ms = repo->last_success_ms;
    rec.next_poll_ms = repo->next_poll_ms;
    auto main = repo->last_seen.find(repo->config.branches.empty() ? "" : repo->config.branches[0]);
    if (main != repo->last_seen.end()) rec.last_commit = main->second;
  }
  Status s = store_->UpdateRepositoryState(rec);
  if (!s.ok()) spdlog::error("repository {}: registry: {}", repo->config.name, s.message());
}

void GitTriggers::RecordCommit(const std::string& repo, const std::string& branch,
                               const std::string& commit, const std::string& status,
                               int64_t run_id, const std::string& reason,
                               const std::string& origin, const std::string& superseded_by) {
  registry::CommitRecord rec;
  rec.repository = repo;
  rec.sha = commit;
  rec.branch = branch;
  rec.origin = origin;
  bool inserted = false;
  Status s = store_->RecordCommit(&rec, &inserted);
  if (s.ok()) {
    registry::CommitStatus st = registry::CommitStatus::kIgnored;
    if (status == "pending") st = registry::CommitStatus::kPending;
    else if (status == "triggered") st = registry::CommitStatus::kTriggered;
    else if (status == "superseded") st = registry::CommitStatus::kSuperseded;
    rec.status = st;
    rec.reason = reason;
    rec.superseded_by = superseded_by;
    rec.run_ids.clear();
    if (run_id > 0) rec.run_ids.push_back(run_id);
    s = store_->UpdateCommit(rec);
  }
  if (!s.ok()) spdlog::error("repository {}: cannot record commit {}: {}", repo, Short(commit), s.message());
}

Status GitTriggers::RecordDelivery(const std::string& source, const std::string& delivery_id) {
  registry::WebhookDeliveryRecord rec;
  rec.source = source;
  rec.delivery_id = delivery_id;
  rec.result = "received";
  return store_->RecordDelivery(rec);
}

}  // namespace mlops::server
