// Access control against the real mlopsd on 127.0.0.1 (tests/e2e harness):
// the route x role matrix over every row of the checked-in policy table,
// the traversal and SQL-injection corpus on every route that takes a name,
// id or filter, a canary secret searched for everywhere it must not be,
// the bootstrap token and the state folder's modes, and mlctl's token verbs.
#include <dirent.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <optional>
#include <set>

#include "api/route_policy.h"
#include "daemon_harness.h"
#include "mlops/common/sha256.h"
#include "raw_http.h"

namespace mlops::e2e {
namespace {

using access_test::PercentEncode;
using access_test::RawHttp;
using access_test::RawResponse;
using api::Access;
using nlohmann::json;

constexpr const char* kPipeline =
    "version: 1\nname: ok\nstages:\n"
    "  - name: a\n    uses: exec\n    run: \"sh -c 'env > env.txt; echo done > out.txt'\"\n"
    "    outputs: [env.txt, out.txt]\n";

// Who may call each route, written down here on purpose and not read from
// daemon/api/route_policy.cc: a row changed there (say an admin route
// turned viewer) must fail this test, not move its expectation along.
const std::map<std::string, Access>& ExpectedAccess() {
  static const std::map<std::string, Access> kExpected = {
      {"GET /healthz", Access::kPublic},
      {"GET /", Access::kPublic},
      {"GET /ui/{file}", Access::kPublic},
      {"GET /readyz", Access::kViewer},
      {"GET /metrics", Access::kViewer},
      {"GET /api/v1/version", Access::kViewer},
      {"GET /api/v1/pipelines", Access::kViewer},
      {"GET /api/v1/pipelines/{name}", Access::kViewer},
      {"POST /api/v1/pipelines/reload", Access::kOperator},
      {"POST /api/v1/pipelines/{name}/runs", Access::kOperator},
      {"GET /api/v1/runs", Access::kViewer},
      {"GET /api/v1/runs/{id}", Access::kViewer},
      {"GET /api/v1/runs/{id}/metrics", Access::kViewer},
      {"POST /api/v1/runs/{id}/cancel", Access::kOperator},
      {"GET /api/v1/runs/{id}/logs/{stage}", Access::kViewer},
      {"GET /api/v1/artifacts", Access::kViewer},
      {"GET /api/v1/artifacts/{sha}", Access::kViewer},
      {"GET /api/v1/artifacts/{sha}/content", Access::kViewer},
      {"GET /api/v1/lineage/{sha}", Access::kViewer},
      {"GET /api/v1/plugins", Access::kViewer},
      {"GET /api/v1/repos", Access::kViewer},
      {"GET /api/v1/repos/{name}", Access::kViewer},
      {"POST /api/v1/repos/{name}/sync", Access::kOperator},
      {"POST /api/v1/webhooks/{source}/{repo}", Access::kWebhook},
      {"GET /api/v1/data", Access::kViewer},
      {"GET /api/v1/data/{id}", Access::kViewer},
      {"GET /api/v1/models", Access::kViewer},
      {"GET /api/v1/models/{name}", Access::kViewer},
      {"GET /api/v1/models/{name}/versions/{version}", Access::kViewer},
      {"GET /api/v1/models/{name}/versions/{version}/signature", Access::kViewer},
      {"POST /api/v1/models/{name}/versions/{version}/verify", Access::kViewer},
      {"POST /api/v1/models/{name}/versions/{version}/promote", Access::kOperator},
      {"POST /api/v1/models/{name}/versions/{version}/approve", Access::kAdmin},
      {"POST /api/v1/models/{name}/rollback", Access::kAdmin},
      {"PUT /api/v1/models/{name}/aliases/{alias}", Access::kOperator},
      {"DELETE /api/v1/models/{name}/aliases/{alias}", Access::kOperator},
      {"GET /api/v1/serving", Access::kViewer},
      {"POST /api/v1/models/{name}/canary", Access::kOperator},
      {"GET /api/v1/audit", Access::kViewer},
      {"GET /api/v1/keys", Access::kViewer},
      {"POST /api/v1/keys", Access::kAdmin},
      {"POST /api/v1/keys/{id}/revoke", Access::kAdmin},
      {"GET /api/v1/whoami", Access::kViewer},
      {"GET /api/v1/tokens", Access::kAdmin},
      {"POST /api/v1/tokens", Access::kAdmin},
      {"POST /api/v1/tokens/{id}/revoke", Access::kAdmin},
      {"GET /api/v1/serving/predictions/{name}", Access::kOperator},
      {"POST /api/v1/gc", Access::kAdmin},
  };
  return kExpected;
}

std::string RouteName(const api::RoutePolicy& p) {
  return std::string(p.method) + " " + p.pattern;
}

int Rank(Access a) {
  switch (a) {
    case Access::kViewer: return 0;
    case Access::kOperator: return 1;
    case Access::kAdmin: return 2;
    default: return -1;
  }
}

// The route's pattern with each {param} replaced by fill(param).
std::string Fill(const std::string& pattern,
                 const std::function<std::string(const std::string&)>& fill) {
  std::string out;
  size_t pos = 0;
  while (pos < pattern.size()) {
    size_t open = pattern.find('{', pos);
    if (open == std::string::npos) {
      out += pattern.substr(pos);
      break;
    }
    size_t close = pattern.find('}', open);
    out += pattern.substr(pos, open - pos) + fill(pattern.substr(open + 1, close - open - 1));
    pos = close + 1;
  }
  return out;
}

std::vector<std::string> Params(const std::string& pattern) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = pattern.find('{', pos)) != std::string::npos) {
    size_t close = pattern.find('}', pos);
    out.push_back(pattern.substr(pos + 1, close - pos - 1));
    pos = close + 1;
  }
  return out;
}

// Valid-looking values for each path parameter.
std::string GoodValue(const std::string& param) {
  static const std::map<std::string, std::string> kValues = {
      {"name", "ok"}, {"id", "999"}, {"sha", std::string(64, 'a')}, {"stage", "a"},
      {"version", "1"}, {"alias", "champion"}, {"source", "gitlab"}, {"repo", "demo"}};
  auto it = kValues.find(param);
  return it == kValues.end() ? "x" : it->second;
}

// Files of a folder tree: path -> (mode, size, mtime, sha256 of content).
using Snapshot = std::map<std::string, std::string>;

void SnapshotTree(const std::string& dir, const std::set<std::string>& skip, Snapshot* out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || skip.count(name)) continue;
    const std::string path = dir + "/" + name;
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) continue;
    std::string digest;
    if (S_ISREG(st.st_mode)) digest = Sha256Hex(ReadText(path));
    (*out)[path] = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                   std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) +
                   " " + digest;
    if (S_ISDIR(st.st_mode)) SnapshotTree(path, {}, out);
  }
  ::closedir(d);
}

// Row counts of every table of the registry (read through a connection of
// the test's own while the daemon runs; WAL readers do not block it).
std::map<std::string, int64_t> RowCounts(const std::string& db_path) {
  std::map<std::string, int64_t> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) return out;
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::string> tables;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  for (const auto& t : tables) {
    const std::string sql = "SELECT COUNT(*) FROM \"" + t + "\"";
    sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    if (sqlite3_step(s) == SQLITE_ROW) out[t] = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

class AccessE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Sub("pipelines").c_str(), 0755);
    WriteText(dir_.Sub("pipelines/ok.yaml"), kPipeline);
    ::mkdir(dir_.Sub("sentinel").c_str(), 0755);
    ::mkdir(dir_.Sub("sentinel/sub").c_str(), 0755);
    WriteText(dir_.Sub("sentinel/keep.txt"), "do not touch\n");
    WriteText(dir_.Sub("sentinel/sub/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  }

  std::unique_ptr<Daemon> Start(const std::string& config = "") {
    std::vector<std::string> args;
    if (!config.empty()) {
      WriteText(dir_.Sub("mlopsd.yaml"), config);
      args = {"--config", dir_.Sub("mlopsd.yaml")};
    }
    auto d = std::make_unique<Daemon>(dir_.Sub("state"), dir_.Sub("pipelines"),
                                      std::vector<std::string>{}, args);
    EXPECT_TRUE(d->Start()) << ReadText(d->log_path());
    return d;
  }

  static std::string Addr(const Daemon& d) { return d.url().substr(7); }

  static std::map<std::string, std::string> Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  // Creates a token through the API as admin; returns (id, token).
  std::pair<int64_t, std::string> MakeToken(const Daemon& d, const std::string& name,
                                            const std::string& role) {
    RawResponse r = RawHttp(Addr(d), "POST", "/api/v1/tokens", Bearer(d.admin_token()),
                            json{{"name", name}, {"role", role}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) return {0, ""};
    return {j["id"].get<int64_t>(), j["token"].get<std::string>()};
  }

  // Waits for a run of `ok` to end; returns its id.
  int64_t RunOk(const Daemon& d) {
    auto t = d.Ctl({"trigger", "ok", "--wait", "--timeout", "60"});
    EXPECT_EQ(t.exit_code, 0) << t.out << t.err << ReadText(d.log_path());
    return std::atoll(t.out.c_str());
  }

  // Which policy rows the daemon serves: an admin request to any other gets
  // the router's "no such endpoint".
  std::vector<api::RoutePolicy> Served(const Daemon& d, std::vector<std::string>* missing) {
    std::vector<api::RoutePolicy> out;
    for (const api::RoutePolicy& p : api::RoutePolicies()) {
      const std::string path = Fill(p.pattern, GoodValue);
      RawResponse r = RawHttp(Addr(d), p.method, path, Bearer(d.admin_token()),
                              std::string(p.method) == "GET" ? "" : "{}");
      if (r.status == 404 && r.body.find("no such endpoint") != std::string::npos) {
        missing->push_back(std::string(p.method) + " " + p.pattern);
      } else {
        out.push_back(p);
      }
    }
    return out;
  }

  TempDir dir_;
};

TEST_F(AccessE2E, EveryPolicyRowIsServedByTheDaemon) {
  auto d = Start();
  std::vector<std::string> missing;
  Served(*d, &missing);
  std::string list;
  for (const auto& m : missing) list += "\n  " + m;
  EXPECT_TRUE(missing.empty()) << "policy rows with no route in the daemon:" << list;
}

// The routes of the policy table and of the expectations above are the
// same set: a new route needs a deliberate expectation.
TEST_F(AccessE2E, ExpectedAccessCoversEveryPolicyRow) {
  std::set<std::string> table, expected;
  for (const api::RoutePolicy& p : api::RoutePolicies()) table.insert(RouteName(p));
  for (const auto& [route, access] : ExpectedAccess()) expected.insert(route);
  EXPECT_EQ(table, expected);
}

TEST_F(AccessE2E, RouteByRoleMatrix) {
  auto d = Start();
  RunOk(*d);
  auto viewer = MakeToken(*d, "m-viewer", "viewer");
  auto op = MakeToken(*d, "m-operator", "operator");
  auto admin = MakeToken(*d, "m-admin", "admin");
  auto revoked = MakeToken(*d, "m-revoked", "admin");
  RawResponse rv = RawHttp(Addr(*d), "POST", "/api/v1/tokens/" + std::to_string(revoked.first) + "/revoke",
                           Bearer(d->admin_token()), "{}");
  ASSERT_EQ(rv.status, 200) << rv.body;

  struct Case {
    std::string label;
    std::optional<std::string> header;  // Authorization value; none: no header
    int rank;                           // -1: not a valid token
    std::string secret;                 // must never come back
  };
  const std::string unknown = "mlt_" + std::string(64, 'e');
  const std::vector<Case> cases = {
      {"no token", std::nullopt, -1, ""},
      {"'Bearer' alone", "Bearer", -1, ""},
      {"Basic", "Basic eHl6OmFiYw==", -1, "eHl6OmFiYw=="},
      {"garbage", "garbage-" + std::string(20, 'g'), -1, std::string(20, 'g')},
      {"overlong", "Bearer " + std::string(8000, 'q'), -1, std::string(64, 'q')},
      {"unknown", "Bearer " + unknown, -1, unknown},
      {"revoked", "Bearer " + revoked.second, -1, revoked.second},
      {"viewer", "Bearer " + viewer.second, 0, viewer.second},
      {"operator", "Bearer " + op.second, 1, op.second},
      {"admin", "Bearer " + admin.second, 2, admin.second},
  };
  std::vector<std::string> missing;
  const auto served = Served(*d, &missing);
  for (const auto& m : missing) std::printf("matrix: not served by this build, skipped: %s\n", m.c_str());
  int checks = 0;
  for (const api::RoutePolicy& p : served) {
    auto expected = ExpectedAccess().find(RouteName(p));
    ASSERT_NE(expected, ExpectedAccess().end()) << RouteName(p) << " has no expected role";
    const Access access = expected->second;
    const std::string path = Fill(p.pattern, GoodValue);
    const std::string body = std::string(p.method) == "GET" ? "" : "{}";
    std::optional<int> webhook_status;
    for (const Case& c : cases) {
      std::map<std::string, std::string> headers;
      if (c.header) headers["Authorization"] = *c.header;
      RawResponse r = RawHttp(Addr(*d), p.method, path, headers, body);
      const std::string what = std::string(p.method) + " " + path + " with " + c.label + ": " +
                               std::to_string(r.status) + " " + r.body.substr(0, 300);
      ++checks;
      ASSERT_NE(r.status, 0) << "no answer: " << what;
      EXPECT_LT(r.status, 500) << what;
      if (!c.secret.empty()) {
        EXPECT_EQ(r.body.find(c.secret), std::string::npos) << "echoed: " << what;
      }
      if (access == Access::kPublic) {
        EXPECT_TRUE(r.status != 401 && r.status != 403) << what;
      } else if (access == Access::kWebhook) {
        // The bearer token plays no part: the handler checks the secret.
        if (!webhook_status) webhook_status = r.status;
        EXPECT_EQ(r.status, *webhook_status) << what;
      } else if (c.rank < 0) {
        EXPECT_EQ(r.status, 401) << what;
        EXPECT_EQ(r.headers["www-authenticate"].rfind("Bearer", 0), 0u) << what;
        EXPECT_EQ(r.headers["content-type"], "application/problem+json") << what;
      } else if (c.rank < Rank(access)) {
        EXPECT_EQ(r.status, 403) << what;
        EXPECT_NE(r.body.find(std::string("needs the role '") + api::ToString(access) + "'"),
                  std::string::npos) << what;
      } else {
        EXPECT_NE(r.status, 401) << what;
        EXPECT_EQ(r.body.find("needs the role '"), std::string::npos) << what;
      }
    }
  }
  // Unknown paths: 401 without a token (nothing revealed), 404 with one.
  for (const Case& c : cases) {
    std::map<std::string, std::string> headers;
    if (c.header) headers["Authorization"] = *c.header;
    RawResponse r = RawHttp(Addr(*d), "GET", "/api/v1/no-such-route", headers);
    ++checks;
    EXPECT_EQ(r.status, c.rank < 0 ? 401 : 404) << c.label;
  }
  std::printf("route x role matrix: %zu routes x %zu token cases, %d checks\n", served.size(),
              cases.size(), checks);
  EXPECT_TRUE(d->Running());
}

TEST_F(AccessE2E, MetricsArePublicOnlyWhenConfigured) {
  {
    auto d = Start();
    EXPECT_EQ(RawHttp(Addr(*d), "GET", "/metrics").status, 401);
    EXPECT_EQ(RawHttp(Addr(*d), "GET", "/metrics", Bearer(d->admin_token())).status, 200);
    EXPECT_EQ(RawHttp(Addr(*d), "GET", "/healthz").status, 200);
    d->Stop();
  }
  auto d = Start("public_metrics: true\n");
  EXPECT_EQ(RawHttp(Addr(*d), "GET", "/metrics").status, 200);
  EXPECT_EQ(RawHttp(Addr(*d), "GET", "/readyz").status, 401);
}

TEST_F(AccessE2E, TraversalAndInjectionCorpusChangesNothing) {
  auto d = Start();
  const int64_t run_id = RunOk(*d);
  const std::vector<std::string> path_payloads = {
      "../", "..%2f", "%2e%2e%2f", "%252e%252e%252f", "..\\", "\\..\\", "/etc/passwd",
      "file:///etc/passwd", "%00", "a%00b", "%23", "%3F", "..;/", "../../../../etc/passwd",
      "..%2f..%2f..%2fetc%2fpasswd", "....//", "%c0%ae%c0%ae/", std::string(300, 'a'),
      std::string(4000, 'b')};
  const std::vector<std::string> sql_payloads = {
      "' OR '1'='1", "\"; DROP TABLE runs; --", "1 OR 1=1",
      "x') UNION SELECT token_sha256 FROM api_tokens--", "1; DELETE FROM api_tokens"};
  // Filters of the list routes and per-run views.
  const std::map<std::string, std::vector<std::string>> filters = {
      {"/api/v1/runs", {"pipeline", "status", "limit", "before"}},
      {"/api/v1/runs/{id}", {"view", "after_attempt", "wait_ms"}},
      {"/api/v1/runs/{id}/logs/{stage}", {"attempt", "offset"}},
      {"/api/v1/artifacts", {"limit"}},
      {"/api/v1/lineage/{sha}", {"direction"}},
      {"/api/v1/audit", {"model", "limit", "before"}},
  };
  // Which routes are served is asked first: its probes are legitimate
  // requests (an empty trigger body starts a run).
  std::vector<std::string> missing;
  const auto served = Served(*d, &missing);
  const std::string root = dir_.path();
  Snapshot before;
  SnapshotTree(root, {"state", "state.log", "state.auth-header"}, &before);
  struct stat passwd_before{};
  ::stat("/etc/passwd", &passwd_before);
  const auto counts_before = RowCounts(dir_.Sub("state/registry.db"));
  ASSERT_FALSE(counts_before.empty());

  const auto admin = Bearer(d->admin_token());
  // What a UNION on api_tokens would leak.
  const std::vector<std::string> hashes = {Sha256Hex(d->admin_token())};
  int tried = 0;
  std::set<std::string> routes_tried;
  auto expect_refused = [&](const std::string& method, const std::string& target, bool filter) {
    RawResponse r = RawHttp(Addr(*d), method, target, admin, method == "GET" ? "" : "{}");
    ++tried;
    const std::string what = method + " " + target.substr(0, 200) + ": " + std::to_string(r.status) +
                             " " + r.body.substr(0, 300);
    ASSERT_NE(r.status, 0) << "no answer: " << what;
    EXPECT_LT(r.status, 500) << what;
    EXPECT_EQ(r.body.find("root:x:0:0"), std::string::npos) << what;
    for (const std::string& hash : hashes) EXPECT_EQ(r.body.find(hash), std::string::npos) << what;
    if (r.status >= 400) {
      EXPECT_LT(r.status, 500) << what;
      return;
    }
    // A filter that matches nothing may answer an empty list; a path
    // parameter must be refused.
    json j = json::parse(r.body, nullptr, false);
    bool empty_lists = filter && j.is_object();
    if (empty_lists) {
      for (const auto& [k, v] : j.items()) empty_lists = empty_lists && (!v.is_array() || v.empty());
    }
    EXPECT_TRUE(empty_lists) << "accepted: " << what;
  };
  for (const api::RoutePolicy& p : served) {
    const std::vector<std::string> params = Params(p.pattern);
    for (const std::string& param : params) {
      routes_tried.insert(std::string(p.method) + " " + p.pattern);
      for (const std::string& payload : path_payloads) {
        // As written (the daemon sees the bytes; "%xx" stays for it to
        // decode) and fully encoded (a name holding the characters).
        for (const std::string& value : {payload, PercentEncode(payload)}) {
          const std::string target =
              Fill(p.pattern, [&](const std::string& n) { return n == param ? value : GoodValue(n); });
          expect_refused(p.method, target, false);
        }
      }
      for (const std::string& payload : sql_payloads) {
        const std::string target = Fill(p.pattern, [&](const std::string& n) {
          return n == param ? PercentEncode(payload) : GoodValue(n);
        });
        expect_refused(p.method, target, false);
      }
    }
    auto f = filters.find(p.pattern);
    if (f == filters.end() || std::string(p.method) != "GET") continue;
    routes_tried.insert(std::string(p.method) + " " + p.pattern);
    const std::string base = Fill(p.pattern, [&](const std::string& n) {
      return n == "id" ? std::to_string(run_id) : GoodValue(n);
    });
    for (const std::string& key : f->second) {
      for (const auto* list : {&path_payloads, &sql_payloads}) {
        for (const std::string& payload : *list) {
          expect_refused("GET", base + "?" + key + "=" + PercentEncode(payload), true);
        }
      }
    }
  }
  // Names in bodies: tokens are the one route here that takes a new name.
  for (const auto* list : {&path_payloads, &sql_payloads}) {
    for (const std::string& payload : *list) {
      RawResponse r = RawHttp(Addr(*d), "POST", "/api/v1/tokens", admin,
                              json{{"name", payload}, {"role", "viewer"}}.dump());
      ++tried;
      EXPECT_EQ(r.status, 400) << payload.substr(0, 50) << ": " << r.body;
    }
  }
  EXPECT_TRUE(d->Running()) << "the daemon died";
  EXPECT_EQ(RawHttp(Addr(*d), "GET", "/healthz").status, 200);
  Snapshot after;
  SnapshotTree(root, {"state", "state.log", "state.auth-header"}, &after);
  EXPECT_EQ(before, after) << "files outside the state folder changed";
  struct stat passwd_after{};
  ::stat("/etc/passwd", &passwd_after);
  EXPECT_EQ(passwd_before.st_mtim.tv_sec, passwd_after.st_mtim.tv_sec);
  EXPECT_EQ(counts_before, RowCounts(dir_.Sub("state/registry.db"))) << "registry rows changed";
  std::printf("traversal corpus: %zu path payloads + %zu SQL payloads over %zu routes: %d requests\n",
              path_payloads.size(), sql_payloads.size(), routes_tried.size(), tried);
}

TEST_F(AccessE2E, ControlBytesInPathParametersAreRefusedOnEveryRoute) {
  auto d = Start();
  RunOk(*d);
  const json runs = json::parse(
      RawHttp(Addr(*d), "GET", "/api/v1/runs?limit=1", Bearer(d->admin_token())).body, nullptr, false);
  ASSERT_TRUE(runs.is_object() && runs["runs"].size() == 1) << runs.dump();
  const int64_t run_id = runs["runs"][0]["id"].get<int64_t>();
  // Valid values, with the real run, so that a value cut short at the
  // control byte would name something that exists (".../logs/a%00b" was
  // answered with stage a's log).
  auto good = [&](const std::string& param) {
    return param == "id" ? std::to_string(run_id) : GoodValue(param);
  };
  std::vector<std::string> missing;
  const auto served = Served(*d, &missing);
  const auto admin = Bearer(d->admin_token());
  int tried = 0;
  for (const api::RoutePolicy& p : served) {
    for (const std::string& param : Params(p.pattern)) {
      for (const char* bytes : {"%00", "%01", "%09", "%0a", "%0d%0a", "%1b", "%1f", "%7f"}) {
        for (const std::string& value : {good(param) + bytes + "b", good(param) + bytes, bytes + good(param)}) {
          const std::string target =
              Fill(p.pattern, [&](const std::string& n) { return n == param ? value : good(n); });
          RawResponse r = RawHttp(Addr(*d), p.method, target, admin,
                                  std::string(p.method) == "GET" ? "" : "{}");
          ++tried;
          EXPECT_EQ(r.status, 400) << p.method << " " << target << ": " << r.body.substr(0, 200);
          EXPECT_NE(r.body.find("control bytes"), std::string::npos) << target << ": " << r.body;
        }
      }
    }
  }
  // Unauthenticated, too: the path is checked before the token.
  EXPECT_EQ(RawHttp(Addr(*d), "GET", "/healthz%00").status, 400);
  RawResponse log = RawHttp(Addr(*d), "GET", "/api/v1/runs/" + std::to_string(run_id) + "/logs/a", admin);
  EXPECT_EQ(log.status, 200) << log.body;
  std::printf("control-byte corpus: %d requests over %zu routes\n", tried, served.size());
}

TEST_F(AccessE2E, EveryBodyIsCheckedStrictly) {
  auto d = Start();
  RunOk(*d);
  const auto admin = Bearer(d->admin_token());
  // A field each route knows, for the duplicate-key case; "" for routes
  // that take no fields. Webhook bodies are the provider's, checked by the
  // repository's secret (docs/security.md).
  const std::map<std::string, std::string> known = {
      {"/api/v1/pipelines/{name}/runs", "force"},
      {"/api/v1/models/{name}/versions/{version}/promote", "to"},
      {"/api/v1/models/{name}/rollback", "version"},
      {"/api/v1/models/{name}/aliases/{alias}", "version"},
      {"/api/v1/models/{name}/canary", "action"},
      {"/api/v1/keys", "pem"},
      {"/api/v1/tokens", "name"},
      {"/api/v1/gc", "dry_run"},
  };
  std::vector<std::string> missing;
  int routes = 0;
  for (const api::RoutePolicy& p : Served(*d, &missing)) {
    const std::string method = p.method;
    if (method == "GET" || method == "DELETE" || p.access == Access::kWebhook) continue;
    ++routes;
    const bool key_route = std::string(p.pattern).rfind("/api/v1/keys/", 0) == 0;
    const std::string target = Fill(p.pattern, [&](const std::string& n) -> std::string {
      return key_route ? GoodValue("sha") : GoodValue(n);
    });
    const std::string what = method + " " + p.pattern;
    RawResponse r = RawHttp(Addr(*d), method, target, admin, R"({"bogus":1})");
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_NE(r.body.find("unknown field 'bogus'"), std::string::npos) << what << ": " << r.body;
    r = RawHttp(Addr(*d), method, target, admin, "[1]");
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    auto k = known.find(p.pattern);
    if (k == known.end()) continue;
    const std::string key = k->second;
    r = RawHttp(Addr(*d), method, target, admin, "{\"" + key + "\":true,\"" + key + "\":false}");
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_NE(r.body.find("duplicate key '" + key + "'"), std::string::npos) << what << ": " << r.body;
    r = RawHttp(Addr(*d), method, target, admin, "{\"" + key + "\":[]}");
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_NE(r.body.find("'" + key + "' must be"), std::string::npos) << what << ": " << r.body;
  }
  EXPECT_EQ(routes, 15);
  // The trigger route's cases from the report make no run.
  auto count_runs = [&] {
    json j = json::parse(RawHttp(Addr(*d), "GET", "/api/v1/runs?limit=1000", admin).body, nullptr, false);
    return j.is_object() ? j["runs"].size() : size_t{0};
  };
  const size_t runs = count_runs();
  for (const char* body : {R"({"forse":true})", R"({"force":true,"force":false})", R"({"force":"true"})",
                           R"({"reason":1})", R"({"commit":{}})"}) {
    RawResponse r = RawHttp(Addr(*d), "POST", "/api/v1/pipelines/ok/runs", admin, body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
  }
  EXPECT_EQ(count_runs(), runs);
  EXPECT_EQ(RawHttp(Addr(*d), "POST", "/api/v1/pipelines/ok/runs", admin, R"({"force":true})").status, 201);
}

// Recursively: every regular file under `dir` (for the canary search).
void ListFiles(const std::string& dir, std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) ListFiles(path, out);
    else if (S_ISREG(st.st_mode)) out->push_back(path);
  }
  ::closedir(d);
}

TEST_F(AccessE2E, CanarySecretsAppearNowhere) {
  const std::string canary = "CANARY-7f3e9a-webhook-secret";
  ASSERT_EQ(RunCommand({"/usr/bin/git", "init", "-q", "--bare", "-b", "main", dir_.Sub("origin.git")}).exit_code, 0);
  auto d = Start("repositories:\n  - name: demo\n    url: " + dir_.Sub("origin.git") +
                 "\n    branches: [main]\n    poll_interval: 1h\n    webhook_secret: " + canary + "\n");
  auto viewer = MakeToken(*d, "canary-viewer", "viewer");
  auto op = MakeToken(*d, "canary-operator", "operator");
  // Use every token, a revoked one and wrong ones; send the webhook secret
  // right and wrong; run a pipeline whose stage dumps its environment.
  RawHttp(Addr(*d), "GET", "/api/v1/runs", Bearer(viewer.second));
  auto t = d->CtlWithToken(op.second, {"trigger", "ok", "--wait", "--timeout", "60"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  RawHttp(Addr(*d), "POST", "/api/v1/tokens/" + std::to_string(viewer.first) + "/revoke",
          Bearer(d->admin_token()), "{}");
  RawHttp(Addr(*d), "GET", "/api/v1/runs", Bearer(viewer.second));
  const std::string wrong = "mlt_" + std::string(60, 'c') + "0fee";
  const std::string malformed = "CANARY-malformed-bearer-9c1d";
  RawHttp(Addr(*d), "GET", "/api/v1/runs", Bearer(wrong));
  RawHttp(Addr(*d), "GET", "/api/v1/runs", {{"Authorization", "Bearer " + malformed}});
  const std::string push = json{{"object_kind", "push"}, {"ref", "refs/heads/main"},
                                {"before", std::string(40, '0')}, {"after", std::string(40, '1')},
                                {"project", {{"git_http_url", "file://" + dir_.Sub("origin.git")}}}}.dump();
  RawHttp(Addr(*d), "POST", "/api/v1/webhooks/gitlab/demo",
          {{"X-Gitlab-Token", canary + "-wrong"}, {"X-Gitlab-Event", "Push Hook"}}, push);
  RawHttp(Addr(*d), "POST", "/api/v1/webhooks/gitlab/demo",
          {{"X-Gitlab-Token", canary}, {"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Event-UUID", "c1"}},
          push);
  const std::string metrics = RawHttp(Addr(*d), "GET", "/metrics", Bearer(d->admin_token())).body;
  ASSERT_FALSE(metrics.empty());
  d->Stop();  // flushes the log and checkpoints the WAL into registry.db
  const std::vector<std::pair<std::string, std::string>> secrets = {
      {"webhook secret", canary}, {"admin token", d->admin_token()},
      {"admin token body", d->admin_token().substr(4)}, {"viewer token", viewer.second},
      {"operator token", op.second}, {"wrong token", wrong}, {"malformed token", malformed}};
  std::vector<std::string> files;
  ListFiles(dir_.Sub("state"), &files);
  files.push_back(d->log_path());
  int searched = 0;
  for (const auto& f : files) {
    // admin.token holds the admin token by design (0600).
    if (f == dir_.Sub("state/admin.token")) continue;
    const std::string bytes = ReadText(f);
    ++searched;
    for (const auto& [what, secret] : secrets) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << what << " found in " << f;
    }
  }
  for (const auto& [what, secret] : secrets) {
    EXPECT_EQ(metrics.find(secret), std::string::npos) << what << " in /metrics";
  }
  // The searched files include the run's artifacts (its env dump among them).
  bool saw_artifact = false;
  for (const auto& f : files) saw_artifact = saw_artifact || f.find("/artifacts/") != std::string::npos;
  EXPECT_TRUE(saw_artifact);
  std::printf("canary: %zu secrets searched in %d files, the daemon log and /metrics\n",
              secrets.size(), searched);
}

TEST_F(AccessE2E, BootstrapTokenAndStateModes) {
  ::mkdir(dir_.Sub("state").c_str(), 0755);
  auto d = Start();
  struct stat st{};
  ASSERT_EQ(::stat(dir_.Sub("state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  for (const char* f : {"state/registry.db", "state/admin.token"}) {
    ASSERT_EQ(::stat(dir_.Sub(f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << f;
  }
  const std::string token = d->admin_token();
  ASSERT_TRUE(token.rfind("mlt_", 0) == 0 && token.size() == 68) << token.size();
  const std::string log = ReadText(d->log_path());
  EXPECT_NE(log.find(dir_.Sub("state/admin.token")), std::string::npos) << "the path is logged";
  EXPECT_EQ(log.find(token), std::string::npos) << "the token is logged";
  // The last admin token cannot be revoked.
  RawResponse r = RawHttp(Addr(*d), "POST", "/api/v1/tokens/1/revoke", Bearer(token), "{}");
  EXPECT_EQ(r.status, 409) << r.body;
  // A restart keeps the token; no second one is made.
  d->Stop();
  ::chmod(dir_.Sub("state").c_str(), 0755);
  ::chmod(dir_.Sub("state/registry.db").c_str(), 0644);
  d = Start();
  EXPECT_EQ(d->admin_token(), token);
  ASSERT_EQ(::stat(dir_.Sub("state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u) << "the daemon did not restore 0700";
  ASSERT_EQ(::stat(dir_.Sub("state/registry.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "the daemon did not restore 0600";
  json list = json::parse(RawHttp(Addr(*d), "GET", "/api/v1/tokens", Bearer(token)).body, nullptr, false);
  ASSERT_TRUE(list.is_object());
  EXPECT_EQ(list["tokens"].size(), 1u) << list.dump();
  EXPECT_EQ(list.dump().find(token.substr(4)), std::string::npos) << "a listing shows a token";
}

TEST_F(AccessE2E, MlctlTokenVerbsAndExitCodes) {
  auto d = Start();
  auto made = d->Ctl({"tokens", "create", "ci", "--role", "viewer"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string viewer = made.out;
  while (!viewer.empty() && viewer.back() == '\n') viewer.pop_back();
  ASSERT_EQ(viewer.size(), 68u) << "stdout holds exactly the token: " << made.out;
  EXPECT_NE(made.err.find("shown only this once"), std::string::npos);

  auto who = d->CtlWithToken(viewer, {"whoami"});
  EXPECT_EQ(who.exit_code, 0) << who.err;
  EXPECT_EQ(who.out, "ci (viewer)\n");
  auto who_json = d->CtlWithToken(viewer, {"--json", "whoami"});
  EXPECT_EQ(json::parse(who_json.out, nullptr, false)["role"], "viewer");

  // Too low a role, no token, a bad token: exit 7 and a clear message.
  auto denied = d->CtlWithToken(viewer, {"trigger", "ok"});
  EXPECT_EQ(denied.exit_code, 7) << denied.err;
  EXPECT_NE(denied.err.find("permission denied"), std::string::npos) << denied.err;
  EXPECT_NE(denied.err.find("'operator'"), std::string::npos) << denied.err;
  auto none = d->CtlWithToken("", {"runs", "list"});
  EXPECT_EQ(none.exit_code, 7);
  EXPECT_NE(none.err.find("MLCTL_TOKEN"), std::string::npos) << none.err;
  auto bad = d->CtlWithToken("mlt_" + std::string(64, '1'), {"runs", "list"});
  EXPECT_EQ(bad.exit_code, 7);
  EXPECT_EQ(bad.err.find(std::string(64, '1')), std::string::npos) << "the token was echoed";

  // From a file: --token-file and MLCTL_TOKEN_FILE.
  const std::string file = dir_.Sub("viewer.token");
  WriteText(file, viewer + "\n");
  ::chmod(file.c_str(), 0600);
  auto by_option = RunCommand({MlctlPath(), "--server", d->url(), "--token-file", file, "whoami"},
                              {"MLCTL_TOKEN=", "MLCTL_TOKEN_FILE="});
  EXPECT_EQ(by_option.out, "ci (viewer)\n") << by_option.err;
  auto by_env = RunCommand({MlctlPath(), "--server", d->url(), "whoami"},
                           {"MLCTL_TOKEN=", "MLCTL_TOKEN_FILE=" + file});
  EXPECT_EQ(by_env.out, "ci (viewer)\n") << by_env.err;
  auto missing_file = RunCommand({MlctlPath(), "--server", d->url(), "--token-file",
                                  dir_.Sub("nope"), "whoami"}, {"MLCTL_TOKEN="});
  EXPECT_EQ(missing_file.exit_code, 2);
  EXPECT_NE(missing_file.err.find("cannot read the token file"), std::string::npos);
  // There is no option that takes a token itself.
  auto argv_token = RunCommand({MlctlPath(), "--server", d->url(), "--token", viewer, "whoami"});
  EXPECT_EQ(argv_token.exit_code, 2);

  // Listing shows names, never tokens; revoking ends the token.
  auto list = d->Ctl({"--json", "tokens", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find(viewer.substr(4)), std::string::npos);
  EXPECT_EQ(list.out.find(d->admin_token().substr(4)), std::string::npos);
  json tokens = json::parse(list.out)["tokens"];
  ASSERT_EQ(tokens.size(), 2u);
  const int64_t id = tokens[1]["id"];
  auto plain = d->Ctl({"tokens", "list"});
  EXPECT_NE(plain.out.find("ci"), std::string::npos);
  EXPECT_EQ(d->CtlWithToken(viewer, {"tokens", "list"}).exit_code, 7);
  auto rev = d->Ctl({"tokens", "revoke", std::to_string(id)});
  EXPECT_EQ(rev.exit_code, 0) << rev.err;
  EXPECT_EQ(d->CtlWithToken(viewer, {"whoami"}).exit_code, 7);
  EXPECT_EQ(d->Ctl({"tokens", "revoke", std::to_string(id)}).exit_code, 5) << "revoked twice";
  auto bad_role = d->Ctl({"tokens", "create", "x", "--role", "root"});
  EXPECT_EQ(bad_role.exit_code, 2);
  // The daemon log names tokens and roles, never their values.
  const std::string log = ReadText(d->log_path());
  EXPECT_NE(log.find("'ci' (role viewer) created"), std::string::npos) << log;
  EXPECT_NE(log.find("'ci' (role viewer) revoked"), std::string::npos);
  EXPECT_EQ(log.find(viewer), std::string::npos);
}

}  // namespace
}  // namespace mlops::e2e
