// Strict request bodies (daemon/api/json_body.h): unknown, duplicate and
// mistyped keys are refused with 400 naming the key.
#include "api/json_body.h"

#include <gtest/gtest.h>

namespace mlops::api {
namespace {

using nlohmann::json;

HttpRequest WithBody(const std::string& body) {
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/pipelines/p/runs";
  req.body = body;
  return req;
}

// The detail of the 400 problem, or "" when the body was accepted.
std::string Refusal(const std::string& body, bool* force = nullptr) {
  HttpRequest req = WithBody(body);
  json j;
  HttpResponse bad;
  bool f = false;
  std::string reason;
  if (ParseBody(req, {"force", "reason"}, &j, &bad) && BoolField(j, "force", false, &f, req, &bad) &&
      StringField(j, "reason", false, &reason, req, &bad)) {
    if (force) *force = f;
    return "";
  }
  EXPECT_EQ(bad.status, 400);
  json problem = json::parse(bad.body);
  return problem["detail"].get<std::string>();
}

TEST(JsonBody, KnownKeysOfTheRightTypeAreRead) {
  bool force = false;
  EXPECT_EQ(Refusal(R"({"force":true,"reason":"x"})", &force), "");
  EXPECT_TRUE(force);
  EXPECT_EQ(Refusal("", &force), "");
  EXPECT_FALSE(force);
  EXPECT_EQ(Refusal("{}"), "");
}

TEST(JsonBody, AnUnknownKeyIsNamed) {
  EXPECT_NE(Refusal(R"({"forse":true})").find("unknown field 'forse'"), std::string::npos);
}

TEST(JsonBody, ADuplicateKeyIsNamedWhateverTheValues) {
  EXPECT_NE(Refusal(R"({"force":true,"force":false})").find("duplicate key 'force'"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"force":true,"force":true})").find("duplicate key 'force'"),
            std::string::npos);
}

TEST(JsonBody, ADuplicateKeyInANestedObjectIsRefused) {
  HttpRequest req = WithBody(R"({"a":{"b":1,"b":2},"c":[{"d":1},{"d":2}]})");
  json j;
  HttpResponse bad;
  EXPECT_FALSE(ParseBody(req, {"a", "c"}, &j, &bad));
  EXPECT_NE(bad.body.find("duplicate key 'b'"), std::string::npos) << bad.body;
  // The same key in sibling objects is no duplicate.
  req.body = R"({"c":[{"d":1},{"d":2}],"a":{"d":3}})";
  EXPECT_TRUE(ParseBody(req, {"a", "c"}, &j, &bad)) << bad.body;
}

TEST(JsonBody, AWrongTypeIsNamed) {
  EXPECT_NE(Refusal(R"({"force":"yes"})").find("'force' must be a boolean (true or false)"), std::string::npos);
  EXPECT_NE(Refusal(R"({"force":1})").find("'force'"), std::string::npos);
  EXPECT_NE(Refusal(R"({"reason":5})").find("'reason' must be a string"), std::string::npos);
}

TEST(JsonBody, NotAnObjectIsRefused) {
  for (const char* body : {"[]", "1", "\"x\"", "{", "{\"force\":true} x", "null"}) {
    EXPECT_NE(Refusal(body).find("must be a JSON object"), std::string::npos) << body;
  }
}

TEST(JsonBody, ARouteWithoutFieldsTakesOnlyAnEmptyObject) {
  HttpRequest req = WithBody("{}");
  json j;
  HttpResponse bad;
  EXPECT_TRUE(ParseBody(req, {}, &j, &bad));
  req.body = R"({"x":1})";
  EXPECT_FALSE(ParseBody(req, {}, &j, &bad));
  EXPECT_NE(bad.body.find("unknown field 'x'; known: none"), std::string::npos) << bad.body;
}

TEST(JsonBody, IntFieldChecksTheMinimum) {
  HttpRequest req = WithBody(R"({"version":0})");
  json j;
  HttpResponse bad;
  int64_t v = 0;
  ASSERT_TRUE(ParseBody(req, {"version"}, &j, &bad));
  EXPECT_FALSE(IntField(j, "version", true, 1, &v, req, &bad));
  EXPECT_NE(bad.body.find("'version' must be an integer >= 1"), std::string::npos);
  req.body = "{}";
  ASSERT_TRUE(ParseBody(req, {"version"}, &j, &bad));
  EXPECT_FALSE(IntField(j, "version", true, 1, &v, req, &bad));
  EXPECT_NE(bad.body.find("'version' is required"), std::string::npos);
}

}  // namespace
}  // namespace mlops::api
