#include "server/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <fstream>

#include "mlops/common/files.h"

namespace mlops::server {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mlops-config-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ::close(fd);
    path_ = tmpl;
  }
  void TearDown() override { ::unlink(path_.c_str()); }
  Status Load(const std::string& text, DaemonConfig* c) {
    std::ofstream(path_) << text;
    return LoadConfigFile(path_, c);
  }
  // Each text is refused as InvalidArgument naming FILE + where and what.
  struct Case { std::string text, where, what; };
  void ExpectRefused(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      DaemonConfig cfg;
      Status s = Load(c.text, &cfg);
      ASSERT_FALSE(s.ok()) << c.text;
      EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
      EXPECT_NE(s.message().find(path_ + c.where), std::string::npos) << c.text << s.message();
      EXPECT_NE(s.message().find(c.what), std::string::npos) << s.message();
    }
  }
  std::string path_;
};

TEST_F(ConfigTest, FileOverridesEmbeddedDefaults) {
  DaemonConfig c;
  const std::string default_listen = c.listen;
  ASSERT_TRUE(Load("state_dir: /srv/mlops\npipelines: [/a, /b]\ncpus: 3\ngpus: 1\n"
                   "kill_grace: 2s\nstop_timeout: 1m\nstage_output_mb: 3\n", &c).ok());
  EXPECT_EQ(c.stage_output_mb, 3);
  EXPECT_EQ(c.state_dir, "/srv/mlops");
  EXPECT_EQ(c.pipeline_dirs, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_DOUBLE_EQ(c.cpus, 3);
  EXPECT_EQ(c.gpus, 1);
  EXPECT_EQ(c.kill_grace, std::chrono::seconds(2));
  EXPECT_EQ(c.stop_timeout, std::chrono::minutes(1));
  EXPECT_EQ(c.listen, default_listen);
}

TEST_F(ConfigTest, HttpSettingsAreRead) {
  DaemonConfig c;
  ASSERT_TRUE(Load("http_threads: 64\nhttp_request_timeout: 2s\nhttp_keep_alive_timeout: 500ms\n"
                   "http_connections_per_client: 10\n", &c).ok());
  EXPECT_EQ(c.http_threads, 64);
  EXPECT_EQ(c.http_request_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.http_keep_alive_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.http_connections_per_client, 10);
}

TEST_F(ConfigTest, EmptyFileKeepsDefaults) {
  DaemonConfig c;
  ASSERT_TRUE(Load("", &c).ok());
  EXPECT_EQ(c.max_recoveries, 1);
}

TEST_F(ConfigTest, BadInputNamesTheSpot) {
  const std::vector<Case> cases = {
      {"listen: 1\nbogus: 2\n", ":2:1:", "unknown setting 'bogus'"},
      {"kill_grace: soon\n", ":1:13:", "expected a duration"},
      {"cpus: many\n", ":1:7:", "expected a number of cpus"},
      {"pipelines: {a: 1}\n", ":1:12:", "expected a folder or a list of folders"},
      {"cpus: 1\ncpus: 2\n", ":2:1:", "duplicate setting 'cpus'"},
      {"gpus: -1\n", "", "must not be negative"},
      {"stage_output_mb: 0\n", ":1:18:", "expected a number of MiB from 1 to 1048576"},
      {"stage_output_mb: lots\n", ":1:18:", "expected megabytes (MiB)"},
      {"http_threads: 2\n", "", "http_threads must be from 4 to 4096, got 2"},
      {"http_threads: 8\nhttp_connections_per_client: 9\n", "",
       "http_connections_per_client must be from 1 to http_threads (8), got 9"},
      {"http_connections_per_client: 0\n", "", "http_connections_per_client must be from 1"},
      {"http_request_timeout: 10ms\n", "", "http_request_timeout must be from 100ms to 10m"},
      {"http_keep_alive_timeout: 1h\n", "", "http_keep_alive_timeout must be from 100ms to 10m"},
      {"[unclosed\n", ":2:1:", ""},
      {"- a\n- b\n", ":1:1:", "expected a mapping of settings"},
  };
  ExpectRefused(cases);
}

// A sequence or mapping as a key, at any level, is refused with where it
// is (yaml-cpp throws converting one to a string; none may escape).
TEST_F(ConfigTest, KeysThatAreNotNamesAreRefused) {
  struct Case { std::string text, where; };
  const std::vector<Case> cases = {
      {"[a]: 1\n", ":1:1:"},
      {"tls: {[a]: 1}\n", ":1:7:"},
      {"repositories:\n  - {? {a: b} : 1}\n", ":2:8:"},
  };
  for (const auto& c : cases) {
    DaemonConfig cfg;
    Status s = Load(c.text, &cfg);
    ASSERT_TRUE(s.IsInvalidArgument()) << c.text << s.ToString();
    EXPECT_NE(s.message().find(path_ + c.where + " expected a setting name"), std::string::npos)
        << s.message();
  }
}

TEST_F(ConfigTest, EveryErrorIsReportedAtOnceWithAHint) {
  DaemonConfig c;
  Status s = Load("listen: 127.0.0.1:1\n"
                  "singing_key: /k\n"
                  "cpus: many\n"
                  "kill_grace: soon\n"
                  "repositories:\n"
                  "  - {name: a, url: /x, branchs: [main], poll_interval: often}\n"
                  "tls: {cert: /c, kee: /k}\n", &c);
  ASSERT_FALSE(s.ok());
  const std::string m = s.message();
  for (const std::string& want :
       {path_ + ":2:1: unknown setting 'singing_key'; did you mean 'signing_key'?",
        path_ + ":3:7: expected a number of cpus", path_ + ":4:13: expected a duration",
        path_ + ":6:24: unknown repository setting 'branchs'; did you mean 'branches'?",
        path_ + ":6:56: expected a duration",
        path_ + ":7:17: unknown tls setting 'kee'; did you mean 'key'?",
        path_ + ": tls needs both cert and key"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want << "\nin:\n" << m;
  }
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 6) << m;  // seven errors, one a line
  // A far-off key gets the list, not a guess.
  s = Load("zzzzzz: 1\n", &c);
  EXPECT_EQ(s.message().find("did you mean"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("(known: state_dir, listen,"), std::string::npos) << s.message();
}

TEST_F(ConfigTest, RepositoriesAreRead) {
  DaemonConfig c;
  ASSERT_TRUE(Load("repositories:\n"
                   "  - name: demo\n    url: /srv/git/demo.git\n    branches: [main, dev]\n"
                   "    poll_interval: 5s\n    webhook_secret: s3cret\n"
                   "  - {name: other, url: 'https://git.example/x.git'}\n", &c).ok());
  ASSERT_EQ(c.repositories.size(), 2u);
  EXPECT_EQ(c.repositories[0].branches, (std::vector<std::string>{"main", "dev"}));
  EXPECT_EQ(c.repositories[0].poll_interval, std::chrono::seconds(5));
  EXPECT_EQ(c.repositories[0].webhook_secret, "s3cret");
  EXPECT_EQ(c.repositories[1].pipeline_path, ".mlops/pipeline.yaml");
  EXPECT_EQ(c.repositories[1].branches, (std::vector<std::string>{"main"}));
  DaemonConfig bad;
  Status s = Load("repositories:\n  - {name: a, url: /x}\n  - {name: a, url: /y}\n", &bad);
  EXPECT_NE(s.message().find(":3:5: repository name 'a' is used twice"), std::string::npos) << s.message();
  s = Load("repositories:\n  - {name: a}\n", &bad);
  EXPECT_NE(s.message().find("needs a name and a url"), std::string::npos) << s.message();
  s = Load("repositories:\n  - {name: a, url: /x, colour: red}\n", &bad);
  EXPECT_NE(s.message().find("unknown repository setting 'colour'"), std::string::npos) << s.message();
}

// Stage hosts only accept absolute work folders: `--state-dir state` must
// work as well as an absolute one.
TEST_F(ConfigTest, RelativeFoldersBecomeAbsoluteUnderTheWorkingDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  const std::string here = std::string(cwd) == "/" ? "" : cwd;
  DaemonConfig c;
  c.state_dir = "state/";
  c.pipeline_dirs = {"./pipelines", "/abs/pipelines"};
  c.plugin_dirs = {"plugins/../plugins"};
  c.stage_host = "bin/mlops-stage";
  c.dashboard_dir = "ui/";
  ApplyDefaults(&c);
  EXPECT_EQ(c.state_dir, here + "/state");
  EXPECT_EQ(c.pipeline_dirs, (std::vector<std::string>{here + "/pipelines", "/abs/pipelines"}));
  EXPECT_EQ(c.plugin_dirs, (std::vector<std::string>{here + "/plugins"}));
  EXPECT_EQ(c.stage_host, here + "/bin/mlops-stage");
  EXPECT_EQ(c.dashboard_dir, here + "/ui");
}

// The dashboard's folder: from the file, else share/mlopsd/dashboard next to
// the binary (the build tree and the install share that layout).
TEST_F(ConfigTest, DashboardFolderIsReadOrDefaultsNextToTheBinary) {
  DaemonConfig c;
  ASSERT_TRUE(Load("dashboard_dir: /srv/mlopsd-ui\n", &c).ok());
  EXPECT_EQ(c.dashboard_dir, "/srv/mlopsd-ui");
  DaemonConfig d;
  ApplyDefaults(&d);
  EXPECT_EQ(d.dashboard_dir, JoinPath(ExecutableDir(), "../share/mlopsd/dashboard"));
}

TEST_F(ConfigTest, RetentionLimitsAreReadAndReplaceAFoldersDefaults) {
  using retention::FolderKind;
  DaemonConfig c;
  ASSERT_TRUE(c.retention[FolderKind::kLogs].keep.has_value());  // shipped default
  ASSERT_TRUE(Load("retention:\n  interval: 5m\n  after_runs: false\n"
                   "  logs: {max_age: 7d, max_size: 2GiB}\n  scratch: {keep: 3}\n"
                   "  workspaces: {max_size: 500MB}\n  checkouts: {}\n", &c).ok());
  EXPECT_EQ(c.retention.interval, std::chrono::minutes(5));
  EXPECT_FALSE(c.retention.after_runs);
  const auto& logs = c.retention[FolderKind::kLogs];
  EXPECT_FALSE(logs.keep.has_value());
  EXPECT_EQ(logs.max_age, std::chrono::hours(7 * 24));
  EXPECT_EQ(logs.max_bytes, 2LL << 30);
  EXPECT_EQ(c.retention[FolderKind::kScratch].keep, 3u);
  EXPECT_EQ(c.retention[FolderKind::kWorkspaces].max_bytes, 500'000'000);
  EXPECT_FALSE(c.retention[FolderKind::kCheckouts].Any());
  EXPECT_TRUE(c.retention[FolderKind::kProvenance].keep.has_value());  // untouched default
}

TEST_F(ConfigTest, BadRetentionNamesTheSpot) {
  const std::vector<Case> cases = {
      {"retention:\n  logz: {keep: 1}\n", ":2:3:", "unknown retention setting 'logz'"},
      {"retention:\n  logs: {keep: -1}\n", ":2:16:", "expected a count"},
      {"retention:\n  logs: {keep: many}\n", ":2:16:", "expected a count"},
      {"retention:\n  logs: {max_size: 2 GB}\n", ":2:20:", "unknown size unit"},
      {"retention:\n  logs: {max_size: 0}\n", ":2:20:", "above 0"},
      {"retention:\n  logs: {max_age: 0s}\n", ":2:19:", "a duration above 0"},
      {"retention:\n  logs: {max_age: soon}\n", ":2:19:", "expected a duration"},
      {"retention:\n  logs: {count: 3}\n", ":2:10:", "unknown logs retention setting 'count'"},
      {"retention:\n  workspaces: {keep: 3}\n", ":2:16:", "workspaces take no keep"},
      {"retention:\n  interval: 10ms\n", ":2:13:", "an interval from 1s to 365d"},
      {"retention:\n  interval: 366d\n", ":2:13:", "an interval from 1s to 365d"},
      {"retention:\n  after_runs: maybe\n", ":2:15:", "true or false"},
      {"retention: 3\n", ":1:12:", "a mapping of interval"},
  };
  ExpectRefused(cases);
}

TEST_F(ConfigTest, MissingFileIsNotFound) {
  DaemonConfig c;
  EXPECT_TRUE(LoadConfigFile("/nonexistent/mlopsd.yaml", &c).IsNotFound());
}

}  // namespace
}  // namespace mlops::server
