// Conformance of the trigger tables (migration 2): repositories, commits,
// data versions and webhook deliveries, for every Store backend.
#include <algorithm>

#include "store_conformance.h"

namespace mlops::registry {
namespace {

std::string Sha(char c) { return std::string(40, c); }

RepositoryRecord Repo(const std::string& name, const std::string& url = "/srv/git/demo.git") {
  RepositoryRecord r;
  r.name = name;
  r.url = url;
  r.branches = {"main", "release/1.x"};
  r.pipeline_path = ".mlops/pipeline.yaml";
  return r;
}

CommitRecord Commit(const std::string& repo, const std::string& branch, const std::string& sha,
                    int64_t seen_ms = 5000) {
  CommitRecord c;
  c.repository = repo;
  c.branch = branch;
  c.sha = sha;
  c.origin = "poll";
  c.seen_ms = seen_ms;
  return c;
}

std::vector<std::string> CommitShas(const std::vector<CommitRecord>& commits) {
  std::vector<std::string> out;
  for (const CommitRecord& c : commits) out.push_back(c.sha);
  return out;
}

TEST_P(StoreConformance, RepositoryUpsertReplacesConfigAndKeepsState) {
  RepositoryRecord r = Repo("demo");
  r.created_ms = 777;
  ASSERT_TRUE(store_->UpsertRepository(&r).ok());
  EXPECT_GT(r.id, 0);
  EXPECT_EQ(r.created_ms, 777);

  RepositoryRecord state = r;
  state.last_commit = Sha('a');
  state.last_error = "fetch /srv/git/demo.git: timed out after 1000 ms";
  state.consecutive_failures = 3;
  state.last_attempt_ms = 100;
  state.last_success_ms = 50;
  state.next_poll_ms = 900;
  state.url = "ignored by UpdateRepositoryState";
  ASSERT_TRUE(store_->UpdateRepositoryState(state).ok());

  RepositoryRecord again = Repo("demo", "ssh://git@example.com/demo.git");
  again.branches = {"dev"};
  ASSERT_TRUE(store_->UpsertRepository(&again).ok());
  EXPECT_EQ(again.id, r.id);
  EXPECT_EQ(again.url, "ssh://git@example.com/demo.git");
  EXPECT_EQ(again.branches, std::vector<std::string>{"dev"});
  EXPECT_EQ(again.last_commit, Sha('a'));
  EXPECT_EQ(again.last_error, state.last_error);
  EXPECT_EQ(again.consecutive_failures, 3);
  EXPECT_EQ(again.next_poll_ms, 900);
  EXPECT_EQ(again.created_ms, 777);

  RepositoryRecord got;
  ASSERT_TRUE(store_->GetRepository("demo", &got).ok());
  EXPECT_EQ(got.url, again.url);
  EXPECT_EQ(got.branches, again.branches);
  EXPECT_EQ(got.pipeline_path, ".mlops/pipeline.yaml");
  EXPECT_EQ(got.last_attempt_ms, 100);
  EXPECT_EQ(got.last_success_ms, 50);
}

TEST_P(StoreConformance, RepositoriesListByNameAndRefuseBadInput) {
  for (const char* name : {"zeta", "alpha", "mid"}) {
    RepositoryRecord r = Repo(name);
    ASSERT_TRUE(store_->UpsertRepository(&r).ok());
  }
  std::vector<RepositoryRecord> all;
  ASSERT_TRUE(store_->ListRepositories(&all).ok());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "alpha");
  EXPECT_EQ(all[2].name, "zeta");
  EXPECT_EQ(all[0].branches, (std::vector<std::string>{"main", "release/1.x"}));

  RepositoryRecord missing;
  EXPECT_TRUE(store_->GetRepository("nope", &missing).IsNotFound());
  EXPECT_TRUE(store_->UpdateRepositoryState(Repo("nope")).IsNotFound());
  RepositoryRecord unnamed = Repo("");
  EXPECT_TRUE(store_->UpsertRepository(&unnamed).IsInvalidArgument());
  RepositoryRecord bad_branch = Repo("bad");
  bad_branch.branches = {"main\ndev"};
  EXPECT_TRUE(store_->UpsertRepository(&bad_branch).IsInvalidArgument());
}

TEST_P(StoreConformance, RecordCommitIsIdempotentPerRepositoryBranchAndSha) {
  RepositoryRecord r = Repo("demo");
  ASSERT_TRUE(store_->UpsertRepository(&r).ok());
  CommitRecord c = Commit("demo", "main", Sha('a'));
  bool inserted = false;
  ASSERT_TRUE(store_->RecordCommit(&c, &inserted).ok());
  EXPECT_TRUE(inserted);
  EXPECT_GT(c.id, 0);
  EXPECT_EQ(c.repository_id, r.id);
  EXPECT_EQ(c.status, CommitStatus::kPending);

  CommitRecord again = Commit("demo", "main", Sha('a'), 9999);
  again.origin = "gitlab";
  ASSERT_TRUE(store_->RecordCommit(&again, &inserted).ok());
  EXPECT_FALSE(inserted);
  EXPECT_EQ(again.id, c.id);
  EXPECT_EQ(again.seen_ms, 5000);  // the stored record, not the new report
  EXPECT_EQ(again.origin, "poll");

  CommitRecord other_branch = Commit("demo", "release/1.x", Sha('a'));
  ASSERT_TRUE(store_->RecordCommit(&other_branch, &inserted).ok());
  EXPECT_TRUE(inserted);
  EXPECT_NE(other_branch.id, c.id);

  CommitRecord undated = Commit("demo", "main", Sha('b'), 0);
  ASSERT_TRUE(store_->RecordCommit(&undated, &inserted).ok());
  EXPECT_GT(undated.seen_ms, 0);

  CommitRecord no_repo = Commit("nope", "main", Sha('c'));
  EXPECT_TRUE(store_->RecordCommit(&no_repo, &inserted).IsNotFound());
  CommitRecord short_sha = Commit("demo", "main", "abc123");
  EXPECT_TRUE(store_->RecordCommit(&short_sha, &inserted).IsInvalidArgument());
  CommitRecord upper = Commit("demo", "main", std::string(40, 'A'));
  EXPECT_TRUE(store_->RecordCommit(&upper, &inserted).IsInvalidArgument());
  CommitRecord no_branch = Commit("demo", "", Sha('d'));
  EXPECT_TRUE(store_->RecordCommit(&no_branch, &inserted).IsInvalidArgument());
}

TEST_P(StoreConformance, UpdateCommitMarksSupersededAndLinksRuns) {
  RepositoryRecord r = Repo("demo");
  ASSERT_TRUE(store_->UpsertRepository(&r).ok());
  bool inserted = false;
  CommitRecord c1 = Commit("demo", "main", Sha('1'));
  CommitRecord c2 = Commit("demo", "main", Sha('2'));
  ASSERT_TRUE(store_->RecordCommit(&c1, &inserted).ok());
  ASSERT_TRUE(store_->RecordCommit(&c2, &inserted).ok());
  int64_t p = AddPipeline("train");
  int64_t run1 = AddRun(p);
  int64_t run2 = AddRun(p);

  c1.status = CommitStatus::kSuperseded;
  c1.superseded_by = c2.sha;
  ASSERT_TRUE(store_->UpdateCommit(c1).ok());
  c2.status = CommitStatus::kTriggered;
  c2.reason = "pushed to main";
  c2.run_ids = {run2, run1};
  ASSERT_TRUE(store_->UpdateCommit(c2).ok());
  c2.run_ids = {run1};  // linking again adds nothing
  ASSERT_TRUE(store_->UpdateCommit(c2).ok());

  CommitRecord got;
  ASSERT_TRUE(store_->GetCommit(c1.id, &got).ok());
  EXPECT_EQ(got.status, CommitStatus::kSuperseded);
  EXPECT_EQ(got.superseded_by, Sha('2'));
  EXPECT_TRUE(got.run_ids.empty());
  ASSERT_TRUE(store_->GetCommit(c2.id, &got).ok());
  EXPECT_EQ(got.status, CommitStatus::kTriggered);
  EXPECT_EQ(got.reason, "pushed to main");
  EXPECT_EQ(got.run_ids, (std::vector<int64_t>{run1, run2}));
  EXPECT_EQ(got.repository, "demo");

  // All or nothing: an unknown run leaves the commit as it was.
  CommitRecord bad = got;
  bad.status = CommitStatus::kIgnored;
  bad.run_ids = {run1, 424242};
  EXPECT_TRUE(store_->UpdateCommit(bad).IsNotFound());
  ASSERT_TRUE(store_->GetCommit(c2.id, &got).ok());
  EXPECT_EQ(got.status, CommitStatus::kTriggered);

  CommitRecord unknown;
  unknown.id = 999999;
  EXPECT_TRUE(store_->UpdateCommit(unknown).IsNotFound());
  EXPECT_TRUE(store_->GetCommit(999999, &got).IsNotFound());
}

TEST_P(StoreConformance, ListCommitsFiltersNewestFirst) {
  for (const char* name : {"a", "b"}) {
    RepositoryRecord r = Repo(name);
    ASSERT_TRUE(store_->UpsertRepository(&r).ok());
  }
  bool inserted = false;
  std::vector<CommitRecord> made;
  for (auto [repo, branch, ch] : std::vector<std::tuple<std::string, std::string, char>>{
           {"a", "main", '1'}, {"a", "dev", '2'}, {"b", "main", '3'}, {"a", "main", '4'}}) {
    CommitRecord c = Commit(repo, branch, Sha(ch));
    ASSERT_TRUE(store_->RecordCommit(&c, &inserted).ok());
    made.push_back(c);
  }
  int64_t run = AddRun(AddPipeline("train"));
  made[3].status = CommitStatus::kTriggered;
  made[3].run_ids = {run};
  ASSERT_TRUE(store_->UpdateCommit(made[3]).ok());

  std::vector<CommitRecord> out;
  ASSERT_TRUE(store_->ListCommits(CommitFilter{}, &out).ok());
  EXPECT_EQ(CommitShas(out), (std::vector<std::string>{Sha('4'), Sha('3'), Sha('2'), Sha('1')}));
  CommitFilter f;
  f.repository = "a";
  f.branch = "main";
  ASSERT_TRUE(store_->ListCommits(f, &out).ok());
  EXPECT_EQ(CommitShas(out), (std::vector<std::string>{Sha('4'), Sha('1')}));
  ASSERT_EQ(out[0].run_ids, std::vector<int64_t>{run});
  f = CommitFilter();
  f.status = {CommitStatus::kPending};
  ASSERT_TRUE(store_->ListCommits(f, &out).ok());
  EXPECT_EQ(CommitShas(out), (std::vector<std::string>{Sha('3'), Sha('2'), Sha('1')}));
  f = CommitFilter();
  f.run_id = run;
  ASSERT_TRUE(store_->ListCommits(f, &out).ok());
  EXPECT_EQ(CommitShas(out), std::vector<std::string>{Sha('4')});
  f = CommitFilter();
  f.limit = 2;
  ASSERT_TRUE(store_->ListCommits(f, &out).ok());
  EXPECT_EQ(out.size(), 2u);
  f.limit = 0;
  f.repository = "b";
  ASSERT_TRUE(store_->ListCommits(f, &out).ok());
  EXPECT_EQ(CommitShas(out), std::vector<std::string>{Sha('3')});
}

TEST_P(StoreConformance, DataVersionsChainPerPath) {
  DataVersionRecord v1{0, "/data/train.csv", Digest("v1"), 10, 1, 1000, 0};
  bool is_new = false;
  ASSERT_TRUE(store_->RecordDataVersion(&v1, &is_new).ok());
  EXPECT_TRUE(is_new);
  EXPECT_GT(v1.id, 0);

  DataVersionRecord same{0, "/data/train.csv", Digest("v1"), 10, 1, 2000, 0};
  ASSERT_TRUE(store_->RecordDataVersion(&same, &is_new).ok());
  EXPECT_FALSE(is_new);
  EXPECT_EQ(same.id, v1.id);
  EXPECT_EQ(same.first_seen_ms, 1000);

  DataVersionRecord v2{0, "/data/train.csv", Digest("v2"), 12, 1, 3000, 0};
  ASSERT_TRUE(store_->RecordDataVersion(&v2, &is_new).ok());
  EXPECT_TRUE(is_new);
  DataVersionRecord got;
  ASSERT_TRUE(store_->GetDataVersion(v1.id, &got).ok());
  EXPECT_EQ(got.superseded_by, v2.id);
  ASSERT_TRUE(store_->GetDataVersion(v2.id, &got).ok());
  EXPECT_EQ(got.superseded_by, 0);
  EXPECT_EQ(got.size, 12);

  // Back to the first content: a new version, and the chain goes on.
  DataVersionRecord back{0, "/data/train.csv", Digest("v1"), 10, 1, 0, 0};
  ASSERT_TRUE(store_->RecordDataVersion(&back, &is_new).ok());
  EXPECT_TRUE(is_new);
  EXPECT_NE(back.id, v1.id);
  EXPECT_GT(back.first_seen_ms, 0);

  DataVersionRecord other{0, "/data/images", Digest("tree"), 1 << 20, 300, 4000, 0};
  ASSERT_TRUE(store_->RecordDataVersion(&other, &is_new).ok());
  EXPECT_TRUE(is_new);

  std::vector<DataVersionRecord> list;
  ASSERT_TRUE(store_->ListDataVersions("/data/train.csv", 0, &list).ok());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, back.id);
  EXPECT_EQ(list[2].id, v1.id);
  ASSERT_TRUE(store_->ListDataVersions("", 2, &list).ok());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].path, "/data/images");
  EXPECT_EQ(list[0].file_count, 300);

  DataVersionRecord bad{0, "/data/x", "nothex", 0, 0, 0, 0};
  EXPECT_TRUE(store_->RecordDataVersion(&bad, &is_new).IsInvalidArgument());
  DataVersionRecord no_path{0, "", Digest("x"), 0, 0, 0, 0};
  EXPECT_TRUE(store_->RecordDataVersion(&no_path, &is_new).IsInvalidArgument());
  EXPECT_TRUE(store_->GetDataVersion(999999, &got).IsNotFound());
}

// Lineage through data versions: from a data version forward to the runs it
// fed and what their stages produced; from a run back to its data.
TEST_P(StoreConformance, DataVersionsLinkToRunsBothWays) {
  bool is_new = false;
  DataVersionRecord train{0, "/data/train.csv", Digest("train"), 5, 1, 1000, 0};
  DataVersionRecord labels{0, "/data/labels.csv", Digest("labels"), 6, 1, 1000, 0};
  ASSERT_TRUE(store_->RecordDataVersion(&train, &is_new).ok());
  ASSERT_TRUE(store_->RecordDataVersion(&labels, &is_new).ok());
  int64_t p = AddPipeline("train");
  int64_t run1 = AddRun(p);
  int64_t run2 = AddRun(p);
  int64_t unrelated = AddRun(p);
  (void)unrelated;
  ASSERT_TRUE(store_->LinkRunDataVersion(run1, train.id).ok());
  ASSERT_TRUE(store_->LinkRunDataVersion(run1, labels.id).ok());
  ASSERT_TRUE(store_->LinkRunDataVersion(run1, train.id).ok());  // idempotent
  ASSERT_TRUE(store_->LinkRunDataVersion(run2, train.id).ok());
  int64_t attempt = AddAttempt(run1, "fit");
  FinishWith(attempt, {"train.csv"}, {"model.bin"});

  std::vector<DataVersionRecord> of_run;
  ASSERT_TRUE(store_->ListRunDataVersions(run1, &of_run).ok());
  ASSERT_EQ(of_run.size(), 2u);
  EXPECT_EQ(of_run[0].id, train.id);
  EXPECT_EQ(of_run[1].id, labels.id);

  std::vector<RunRecord> runs;
  ASSERT_TRUE(store_->ListDataVersionRuns(train.id, &runs).ok());
  EXPECT_EQ(RunIds(runs), (std::vector<int64_t>{run1, run2}));
  EXPECT_EQ(runs[0].pipeline_name, "train");
  ASSERT_TRUE(store_->ListDataVersionRuns(labels.id, &runs).ok());
  ASSERT_EQ(RunIds(runs), std::vector<int64_t>{run1});
  // ... and on to the model the run produced.
  std::vector<StageAttemptRecord> attempts;
  ASSERT_TRUE(store_->ListAttempts(runs[0].id, &attempts).ok());
  ASSERT_EQ(attempts.size(), 1u);
  std::vector<ArtifactEdge> edges;
  ASSERT_TRUE(store_->ListEdges(attempts[0].id, &edges).ok());
  EXPECT_TRUE(std::any_of(edges.begin(), edges.end(), [](const ArtifactEdge& e) {
    return e.kind == EdgeKind::kProduced && e.artifact_sha256 == Digest("model.bin");
  }));

  EXPECT_TRUE(store_->LinkRunDataVersion(424242, train.id).IsNotFound());
  EXPECT_TRUE(store_->LinkRunDataVersion(run1, 424242).IsNotFound());
  EXPECT_TRUE(store_->ListRunDataVersions(424242, &of_run).IsNotFound());
  EXPECT_TRUE(store_->ListDataVersionRuns(424242, &runs).IsNotFound());
}

TEST_P(StoreConformance, ReplayedDeliveryIsAConflict) {
  WebhookDeliveryRecord d{"gitlab", "4c4e1bd8-1f7a-4a2e-9d7c-2b6c1f0e9a11", 1000, "accepted"};
  ASSERT_TRUE(store_->RecordDelivery(d).ok());
  WebhookDeliveryRecord replay = d;
  replay.received_ms = 5000;
  Status st = store_->RecordDelivery(replay);
  EXPECT_TRUE(st.IsConflict()) << st.ToString();
  EXPECT_NE(st.message().find("replay"), std::string::npos) << st.message();
  // Same id from another source is another delivery.
  WebhookDeliveryRecord github = d;
  github.source = "github";
  EXPECT_TRUE(store_->RecordDelivery(github).ok());

  EXPECT_TRUE(store_->SetDeliveryResult("gitlab", d.delivery_id, "queued run 7").ok());
  EXPECT_TRUE(store_->SetDeliveryResult("gitlab", "unknown", "x").IsNotFound());

  WebhookDeliveryRecord empty{"gitlab", "", 0, ""};
  EXPECT_TRUE(store_->RecordDelivery(empty).IsInvalidArgument());

  WebhookDeliveryRecord later{"github", "later", 9000, "accepted"};
  ASSERT_TRUE(store_->RecordDelivery(later).ok());
  int64_t removed = -1;
  ASSERT_TRUE(store_->PruneDeliveries(5000, &removed).ok());
  EXPECT_EQ(removed, 2);
  EXPECT_TRUE(store_->RecordDelivery(later).IsConflict());
  EXPECT_TRUE(store_->RecordDelivery(d).ok());  // forgotten by the prune
}

}  // namespace
}  // namespace mlops::registry
