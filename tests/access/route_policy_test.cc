// The policy table and the Authorizer in-process: a route without a policy
// row stops the daemon's start; the gate's answers for each role.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>

#include "api/auth.h"
#include "api/route_policy.h"
#include "mlops/common/files.h"
#include "mlops/registry/token_store.h"

namespace mlops::api {
namespace {

HttpResponse Okay(const HttpRequest&) { return HttpResponse::Json(200, "{}"); }

TEST(RoutePolicyTable, RowsAreUniqueAndWellFormed) {
  std::set<std::string> seen;
  for (const RoutePolicy& p : RoutePolicies()) {
    const std::string key = std::string(p.method) + " " + p.pattern;
    EXPECT_TRUE(seen.insert(key).second) << "duplicate row " << key;
    EXPECT_EQ(p.pattern[0], '/') << key;
    const std::string m = p.method;
    EXPECT_TRUE(m == "GET" || m == "POST" || m == "PUT" || m == "DELETE") << key;
  }
  // Only /healthz and the dashboard's static files are public by default.
  int open = 0;
  for (const RoutePolicy& p : RoutePolicies()) open += p.access == Access::kPublic;
  EXPECT_EQ(open, 3);
  EXPECT_EQ(PolicyFor("GET", "/healthz"), Access::kPublic);
  EXPECT_EQ(PolicyFor("GET", "/"), Access::kPublic);
  EXPECT_EQ(PolicyFor("GET", "/ui/{file}"), Access::kPublic);
  EXPECT_EQ(PolicyFor("GET", "/api/v1/runs/{id}/metrics"), Access::kViewer);
  EXPECT_EQ(PolicyFor("HEAD", "/api/v1/runs"), Access::kViewer);
  EXPECT_EQ(PolicyFor("POST", "/api/v1/tokens"), Access::kAdmin);
  EXPECT_FALSE(PolicyFor("DELETE", "/api/v1/runs").has_value());
}

TEST(RoutePolicyTable, EveryRouteOfTheTablePasses) {
  Router router;
  for (const RoutePolicy& p : RoutePolicies()) router.Add(p.method, p.pattern, Okay);
  EXPECT_TRUE(CheckRoutePolicies(router).ok());
}

TEST(RoutePolicyTable, ARouteWithoutARowRefusesTheStart) {
  Router router;
  router.Add("GET", "/api/v1/runs", Okay);
  router.Add("POST", "/api/v1/debug/dump", Okay);
  Status s = CheckRoutePolicies(router);
  ASSERT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("POST /api/v1/debug/dump"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("route_policy.cc"), std::string::npos);
  // A known path under another method is not covered by its GET row.
  Router r2;
  r2.Add("DELETE", "/api/v1/runs/{id}", Okay);
  EXPECT_FALSE(CheckRoutePolicies(r2).ok());
}

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mlops-auth-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(registry::OpenSqliteTokenStore(dir_ + "/registry.db", &tokens_).ok());
    for (const char* role : {"viewer", "operator", "admin"}) {
      registry::TokenRecord rec;
      ASSERT_TRUE(tokens_->Create(role, role, "t", 1, &rec, &secret_[role]).ok());
    }
    for (const RoutePolicy& p : RoutePolicies()) router_.Add(p.method, p.pattern, Okay);
  }
  void TearDown() override {
    tokens_.reset();
    ASSERT_TRUE(RemoveTree(dir_).ok());
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& auth,
                    bool public_metrics = false, HttpRequest* seen = nullptr) {
    Authorizer a(&router_, tokens_.get(), &clock_, AuthOptions{public_metrics});
    HttpRequest req;
    req.method = method;
    req.path = path;
    if (!auth.empty()) req.headers["authorization"] = auth;
    HttpResponse deny;
    if (!a.Admit(&req, &deny)) return deny;
    if (seen) *seen = req;
    return router_.Dispatch(&req);
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<registry::TokenStore> tokens_;
  std::map<std::string, std::string> secret_;
  Router router_;
};

TEST_F(AuthorizerTest, RolesAreCheckedAgainstTheRow) {
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/runs", "").status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/runs", "Bearer " + secret_["viewer"]).status, 200);
  EXPECT_EQ(Call("POST", "/api/v1/pipelines/p/runs", "Bearer " + secret_["viewer"]).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/pipelines/p/runs", "Bearer " + secret_["operator"]).status, 200);
  HttpResponse r = Call("POST", "/api/v1/tokens", "Bearer " + secret_["operator"]);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("needs the role 'admin'"), std::string::npos) << r.body;
  HttpRequest seen;
  EXPECT_EQ(Call("POST", "/api/v1/tokens", "bearer  " + secret_["admin"], false, &seen).status, 200);
  EXPECT_EQ(seen.actor, "admin");
  EXPECT_EQ(seen.role, "admin");
  // Webhooks carry their own secret: no bearer token needed.
  EXPECT_EQ(Call("POST", "/api/v1/webhooks/gitlab/r", "").status, 200);
}

TEST_F(AuthorizerTest, UnauthorizedAnswersChallengeAndNeverEchoTheToken) {
  const std::string fake = "mlt_" + std::string(64, 'c');
  for (const std::string& h : {std::string("Bearer"), std::string("Basic eHl6"), std::string("garbage"),
                               "Bearer " + fake, "Bearer " + fake + " x", "Token " + secret_["admin"],
                               "Bearer " + std::string(20000, 'z')}) {
    HttpResponse r = Call("GET", "/api/v1/runs", h);
    EXPECT_EQ(r.status, 401) << h.substr(0, 40);
    EXPECT_EQ(r.content_type, "application/problem+json");
    ASSERT_FALSE(r.headers.empty());
    EXPECT_EQ(r.headers[0].first, "WWW-Authenticate");
    EXPECT_EQ(r.headers[0].second.rfind("Bearer realm=\"mlopsd\"", 0), 0u);
    EXPECT_EQ(r.body.find(fake), std::string::npos);
    EXPECT_EQ(r.body.find(secret_["admin"]), std::string::npos);
    EXPECT_EQ(r.body.find("zzzzzzzz"), std::string::npos);
  }
}

TEST_F(AuthorizerTest, UnknownPathsNeedATokenBeforeTheyAre404) {
  EXPECT_EQ(Call("GET", "/api/v1/secret-route", "").status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/secret-route", "Bearer " + secret_["viewer"]).status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/runs", "").status, 401);
  EXPECT_EQ(Call("DELETE", "/api/v1/runs", "Bearer " + secret_["viewer"]).status, 405);
}

TEST_F(AuthorizerTest, MetricsArePublicOnlyWhenConfigured) {
  EXPECT_EQ(Call("GET", "/metrics", "").status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "", true).status, 200);
  EXPECT_EQ(Call("GET", "/metrics", "Bearer " + secret_["viewer"]).status, 200);
  // public_metrics opens /metrics only.
  EXPECT_EQ(Call("GET", "/readyz", "", true).status, 401);
}

}  // namespace
}  // namespace mlops::api

namespace mlops::api {
namespace {

TEST(CanonicalPath, DotSegmentsBackslashesAndEmptySegmentsAreRefused) {
  for (const char* ok : {"/", "/healthz", "/api/v1/runs/12", "/api/v1/pipelines/a..b",
                         "/api/v1/pipelines/..;", "/api/v1/pipelines/%2e"}) {
    EXPECT_EQ(NonCanonicalPathReason(ok), "") << ok;
  }
  for (const char* bad : {"", "api", "/api/v1/runs/", "/api/v1//runs", "/api/v1/runs/../x",
                          "/api/v1/runs/..", "/api/./v1", "/api/v1/a\\b", "/..", "//"}) {
    EXPECT_NE(NonCanonicalPathReason(bad), "") << bad;
  }
}

TEST(CanonicalPath, ControlBytesAreRefused) {
  for (const std::string& bad : {std::string("/api/v1/runs/1/logs/a\0b", 24), std::string("/a\x01"),
                                std::string("/a\tb"), std::string("/a\nb"), std::string("/a\x1f"),
                                std::string("/a\x7f")}) {
    EXPECT_NE(NonCanonicalPathReason(bad).find("control bytes"), std::string::npos) << bad;
  }
  EXPECT_EQ(NonCanonicalPathReason("/api/v1/runs/1/logs/a b\x80"), "");
}

TEST(Router, APathParameterWithAControlByteIsRefused) {
  Router router;
  int handled = 0;
  router.Add("GET", "/runs/{id}/logs/{stage}", [&](const HttpRequest&) {
    ++handled;
    return HttpResponse::Text(200, "log");
  });
  HttpRequest req;
  req.method = "GET";
  req.path = std::string("/runs/1/logs/a\0b", 16);
  HttpResponse r = router.Dispatch(&req);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("'stage'"), std::string::npos) << r.body;
  req.path = "/runs/1/logs/a";
  EXPECT_EQ(router.Dispatch(&req).status, 200);
  EXPECT_EQ(handled, 1);
}

}  // namespace
}  // namespace mlops::api

namespace mlops::api {
namespace {

// A `predictor` token may predict on mlops-serve and read nothing of the
// API: every route that takes a token refuses it, /metrics included.
TEST_F(AuthorizerTest, PredictorTokensAreRefusedOnEveryApiRoute) {
  registry::TokenRecord rec;
  std::string predictor;
  ASSERT_TRUE(tokens_->Create("p", "predictor", "t", 1, &rec, &predictor).ok());
  int refused = 0;
  for (const RoutePolicy& p : RoutePolicies()) {
    if (p.access == Access::kPublic || p.access == Access::kWebhook) continue;
    HttpResponse r = Call(p.method, p.pattern, "Bearer " + predictor);
    EXPECT_EQ(r.status, 403) << p.method << " " << p.pattern;
    EXPECT_NE(r.body.find("has role 'predictor'"), std::string::npos) << r.body;
    ++refused;
  }
  EXPECT_GT(refused, 20);
  EXPECT_EQ(Call("GET", "/api/v1/no-such-route", "Bearer " + predictor).status, 403);
  EXPECT_EQ(Call("GET", "/healthz", "Bearer " + predictor).status, 200);
}

}  // namespace
}  // namespace mlops::api
