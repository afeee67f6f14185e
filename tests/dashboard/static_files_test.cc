// The dashboard's static file routes in-process: which files of the folder
// are served, their types and headers, revalidation, and what is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "api/dashboard_routes.h"

namespace mlops::api {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("mlops-static-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/sub.js");  // a folder, whatever its name
    Write("index.html", "<!doctype html><title>t</title>");
    Write("app.mjs", "export const x = 1;");
    Write("style.css", "body{}");
    Write("notes.cmake", "not served: unknown extension");
    Write(".hidden.js", "not served: hidden");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  HttpResponse Get(const Router& router, const std::string& path, const std::string& etag = "") {
    HttpRequest req;
    req.method = "GET";
    req.path = path;
    if (!etag.empty()) req.headers["if-none-match"] = etag;
    return router.Dispatch(&req);
  }
  static std::string HeaderOf(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) if (k == name) return v;
    return "";
  }
  std::string dir_;
};

TEST_F(StaticFilesTest, KeepsOnlyPlainFilesWithKnownTypesAndSafeNames) {
  auto files = LoadStaticFolder(dir_);
  std::string names;
  for (const auto& [name, f] : files) names += name + " ";
  EXPECT_EQ(names, "app.mjs index.html style.css ");
  EXPECT_EQ(files["app.mjs"].content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files["style.css"].content_type, "text/css; charset=utf-8");
  EXPECT_TRUE(LoadStaticFolder(dir_ + "/absent").empty());
}

TEST_F(StaticFilesTest, ServesIndexAndFilesWithCspAndRevalidation) {
  Router router;
  AddDashboardRoutes(dir_, &router);
  HttpResponse index = Get(router, "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<!doctype html><title>t</title>");
  EXPECT_EQ(HeaderOf(index, "Content-Security-Policy"), kDashboardCsp);
  EXPECT_EQ(std::string(kDashboardCsp).find("unsafe"), std::string::npos);
  EXPECT_EQ(HeaderOf(index, "Cache-Control"), "no-cache");
  const std::string etag = HeaderOf(index, "ETag");
  ASSERT_EQ(etag.size(), 34u);
  HttpResponse again = Get(router, "/", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get(router, "/", "\"other\"").status, 200);
  EXPECT_EQ(Get(router, "/ui/app.mjs").body, "export const x = 1;");
  for (const char* refused : {"/ui/notes.cmake", "/ui/.hidden.js", "/ui/sub.js", "/ui/index.htm"}) {
    HttpResponse r = Get(router, refused);
    EXPECT_EQ(r.status, 404) << refused;
    EXPECT_FALSE(HeaderOf(r, "Content-Security-Policy").empty()) << refused;
  }
}

TEST_F(StaticFilesTest, AMissingFolderAnswers404SayingWhere) {
  Router router;
  AddDashboardRoutes(dir_ + "/absent", &router);
  HttpResponse r = Get(router, "/");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("not installed"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(dir_ + "/absent"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace mlops::api
