// The model routes in process (the Router, real SQLite, no HTTP): every
// route that takes a name, version, alias or key id gets a corpus of
// traversal and SQL-injection strings and answers 4xx problem documents,
// never 2xx or 5xx; bodies are checked strictly; production needs admin.
#include "api/model_routes.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../registry/temp_dir.h"
#include "api/json_response.h"
#include "mlops/common/files.h"
#include "mlops/registry/artifact_store.h"
#include "mlops/registry/model_registry.h"
#include "mlops/registry/store.h"
#include "models/model_service.h"
#include "mlops/signing/signing.h"

namespace mlops::api {
namespace {

using nlohmann::json;

// Route patterns with the placeholder each payload replaces.
const char* const kNameRoutes[][2] = {
    {"GET", "/api/v1/models/{}"},
    {"GET", "/api/v1/models/{}/versions/1"},
    {"GET", "/api/v1/models/{}/versions/1/signature"},
    {"POST", "/api/v1/models/{}/versions/1/verify"},
    {"POST", "/api/v1/models/{}/versions/1/promote"},
    {"POST", "/api/v1/models/{}/versions/1/approve"},
    {"POST", "/api/v1/models/{}/rollback"},
    {"PUT", "/api/v1/models/{}/aliases/champion"},
    {"DELETE", "/api/v1/models/{}/aliases/champion"},
};
const char* const kVersionRoutes[][2] = {
    {"GET", "/api/v1/models/toy/versions/{}"},
    {"GET", "/api/v1/models/toy/versions/{}/signature"},
    {"POST", "/api/v1/models/toy/versions/{}/verify"},
    {"POST", "/api/v1/models/toy/versions/{}/promote"},
    {"POST", "/api/v1/models/toy/versions/{}/approve"},
};
const char* const kAliasRoutes[][2] = {
    {"PUT", "/api/v1/models/toy/aliases/{}"},
    {"DELETE", "/api/v1/models/toy/aliases/{}"},
};
const char* const kKeyRoutes[][2] = {{"POST", "/api/v1/keys/{}/revoke"}};

// As the server hands them to the router: already percent-decoded once.
const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> kCorpus = {
      "..", ".", "...", "..%2f", "%2e%2e", "%252e%252e%252f", "..\\..\\etc", "\\..\\",
      "C:\\Windows", "file:", "file:%2f%2fetc", "a#b", "a?b", "a b", std::string("a\0b", 3),
      "%00", "x' OR '1'='1", "x\"; DROP TABLE models;--", "1; DELETE FROM audit_log",
      "' UNION SELECT * FROM api_tokens --", "$(id)", "`id`", "~root", ".hidden", "-rf",
      std::string(300, 'a'), "\xff\xfe", "%", "{}"};
  return kCorpus;
}

class ModelRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string state = dir_.Join("state");
    ASSERT_TRUE(MakeDirs(state, 0700).ok());
    ASSERT_TRUE(registry::OpenSqliteStore(JoinPath(state, "registry.db"), &store_).ok());
    ASSERT_TRUE(registry::OpenSqliteModelRegistry(JoinPath(state, "registry.db"), &models_).ok());
    artifacts_ = std::make_unique<registry::ArtifactStore>(JoinPath(state, "artifacts"));
    models::ModelServiceOptions o;
    o.state_dir = state;
    service_ = std::make_unique<models::ModelService>(store_.get(), models_.get(),
                                                      artifacts_.get(), &clock_, o);
    AddModelRoutes(service_.get(), models_.get(), &clock_, &router_);
    registry::ModelVersionRecord v;
    v.model = "toy";
    v.artifact_sha256 = std::string(64, 'a');
    v.run_id = 1;
    v.gates_passed = true;
    ASSERT_TRUE(models_->RegisterVersion("toy", "test", 1, &v).ok());
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& role = "admin",
                    std::map<std::string, std::string> query = {}) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.role = role;
    req.actor = role + "-token";
    req.query = std::move(query);
    return router_.Dispatch(&req);
  }

  void ExpectRefused(const HttpResponse& r, const std::string& what) {
    EXPECT_GE(r.status, 400) << what;
    EXPECT_LT(r.status, 500) << what << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << what;
    ++tried_;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<registry::Store> store_;
  std::unique_ptr<registry::ModelRegistry> models_;
  std::unique_ptr<registry::ArtifactStore> artifacts_;
  std::unique_ptr<models::ModelService> service_;
  Router router_;
  int tried_ = 0;
};

std::string Fill(const char* pattern, const std::string& payload) {
  std::string p = pattern;
  p.replace(p.find("{}"), 2, payload);
  return p;
}

TEST_F(ModelRoutesTest, TraversalAndInjectionPayloadsAreRefusedOnEveryRoute) {
  const std::string good_body = R"({"to":"staging","expected_production":0,"request_id":"request-0001"})";
  auto run_all = [&](const auto& routes, const std::string& payload) {
    for (const auto& route : routes) {
      const std::string what = std::string(route[0]) + " " + Fill(route[1], payload);
      ExpectRefused(Call(route[0], Fill(route[1], payload), good_body), what);
    }
  };
  for (const std::string& payload : Corpus()) {
    run_all(kNameRoutes, payload);
    run_all(kVersionRoutes, payload);
    run_all(kAliasRoutes, payload);
    run_all(kKeyRoutes, payload);
    ExpectRefused(Call("GET", "/api/v1/audit", "", "viewer", {{"model", payload}}), "audit model");
    ExpectRefused(Call("GET", "/api/v1/audit", "", "viewer", {{"limit", payload}}), "audit limit");
    ExpectRefused(Call("GET", "/api/v1/audit", "", "viewer", {{"before", payload}}), "audit before");
  }
  for (const char* version : {"0", "-1", "1.5", "1e3", "01x", "99999999999999999999", "+1"}) {
    run_all(kVersionRoutes, version);
  }
  // Nothing was written: one version, its registration the only audit entry.
  std::vector<registry::AuditRecord> audit;
  ASSERT_TRUE(models_->ListAudit({}, &audit).ok());
  EXPECT_EQ(audit.size(), 1u);
  std::vector<registry::ModelRecord> all;
  ASSERT_TRUE(models_->ListModels(&all).ok());
  EXPECT_EQ(all.size(), 1u);
  std::cout << "[ model routes ] " << tried_ << " malformed requests refused with 4xx\n";
  EXPECT_GT(tried_, 400);
}

TEST_F(ModelRoutesTest, BodiesAreCheckedStrictly) {
  const std::string p = "/api/v1/models/toy/versions/1/promote";
  for (const char* body : {"", "[]", "{not json", R"({"to":"staging"})",
                           R"({"to":"staging","expected_production":0})",
                           R"({"to":"staging","expected_production":-1,"request_id":"request-0001"})",
                           R"({"to":"staging","expected_production":"0","request_id":"request-0001"})",
                           R"({"to":"live","expected_production":0,"request_id":"request-0001"})",
                           R"({"to":"staging","expected_production":0,"request_id":"short"})",
                           R"({"to":"staging","expected_production":0,"request_id":"request-0001","x":1})"}) {
    ExpectRefused(Call("POST", p, body, "operator"), body);
  }
  ExpectRefused(Call("POST", "/api/v1/models/toy/rollback", R"({"version":1,"request_id":"request-0002"})"),
                "rollback without reason");
  ExpectRefused(Call("PUT", "/api/v1/models/toy/aliases/champion", R"({"version":0})"), "alias 0");
  ExpectRefused(Call("POST", "/api/v1/keys", R"({"pem":"not a key","name":"ci"})"), "bad pem");
  ExpectRefused(Call("POST", "/api/v1/keys", R"({"pem":"x","name":"../ci"})"), "bad key name");
}

TEST_F(ModelRoutesTest, ProductionNeedsAdminAndAnUnsignedVersionIsRefused) {
  const std::string body =
      R"({"to":"production","expected_production":0,"request_id":"request-0003"})";
  auto r = Call("POST", "/api/v1/models/toy/versions/1/promote", body, "operator");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("admin"), std::string::npos);
  r = Call("POST", "/api/v1/models/toy/versions/1/promote", body, "admin");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("no signature"), std::string::npos) << r.body;
  r = Call("POST", "/api/v1/models/toy/versions/1/verify");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["verified"], false);
  r = Call("GET", "/api/v1/audit", "", "viewer", {{"model", "toy"}, {"limit", "10"}});
  ASSERT_EQ(r.status, 200);
  auto entries = json::parse(r.body)["entries"];
  ASSERT_GE(entries.size(), 3u);
  EXPECT_EQ(entries[0]["action"], "promote.refused");
  EXPECT_EQ(entries[0]["actor"], "admin-token");
}

// The trusted-key routes check the admin role themselves, whatever the
// route policy let through: a viewer or operator changes nothing.
TEST_F(ModelRoutesTest, TrustingAndRevokingKeysNeedAdminInTheHandler) {
  signing::PublicKey pub;
  ASSERT_TRUE(signing::GenerateKeyPair(dir_.Join("k.key"), dir_.Join("k.pub"), &pub).ok());
  const std::string body = json{{"pem", pub.pem}, {"name", "ci"}}.dump();
  const std::string revoke = "/api/v1/keys/" + pub.key_id + "/revoke";
  for (const std::string role : {"viewer", "operator", ""}) {
    auto r = Call("POST", "/api/v1/keys", body, role);
    EXPECT_EQ(r.status, 403) << role << ": " << r.body;
    EXPECT_NE(r.body.find("admin role only"), std::string::npos) << r.body;
  }
  auto r = Call("GET", "/api/v1/keys", "", "viewer");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(json::parse(r.body)["keys"].empty()) << r.body;
  r = Call("POST", "/api/v1/keys", body, "admin");
  ASSERT_EQ(r.status, 201) << r.body;
  for (const std::string role : {"viewer", "operator", ""}) {
    r = Call("POST", revoke, "{}", role);
    EXPECT_EQ(r.status, 403) << role << ": " << r.body;
    EXPECT_NE(r.body.find("admin role only"), std::string::npos) << r.body;
  }
  r = Call("GET", "/api/v1/keys", "", "viewer");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["keys"][0]["revoked"], false) << r.body;
  r = Call("POST", revoke, "{}", "admin");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["revoked"], true) << r.body;
}

TEST_F(ModelRoutesTest, ReadRoutesAnswerJson) {
  auto r = Call("GET", "/api/v1/models", "", "viewer");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["models"][0]["name"], "toy");
  r = Call("GET", "/api/v1/models/toy/versions/1", "", "viewer");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["signed"], false);
  r = Call("GET", "/api/v1/models/nope", "", "viewer");
  EXPECT_EQ(r.status, 404);
  r = Call("PUT", "/api/v1/models/toy/aliases/champion", R"({"version":1})", "operator");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("GET", "/api/v1/models/toy", "", "viewer");
  EXPECT_EQ(json::parse(r.body)["versions"][0]["aliases"][0], "champion");
  r = Call("GET", "/api/v1/keys", "", "viewer");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(json::parse(r.body)["keys"].empty());
}

}  // namespace
}  // namespace mlops::api
