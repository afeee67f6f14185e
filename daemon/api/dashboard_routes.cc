#include "api/dashboard_routes.h"

#include <dirent.h>
#include <sys/stat.h>

#include "mlops/common/files.h"
#include "mlops/common/sha256.h"

namespace mlops::api {
namespace {

const char* ContentTypeOf(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
      {".json", "application/json"}, {".txt", "text/plain; charset=utf-8"}};
  for (const auto& [ext, type] : kTypes) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return type;
    }
  }
  return nullptr;
}

bool SafeName(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void AddSecurityHeaders(HttpResponse* r) {
  r->headers.emplace_back("Content-Security-Policy", kDashboardCsp);
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("X-Frame-Options", "DENY");
}

HttpResponse Serve(const std::map<std::string, StaticFile>& files, const std::string& folder,
                   const std::string& name, const HttpRequest& req) {
  auto it = files.find(name);
  HttpResponse r;
  if (it == files.end()) {
    r = files.empty() ? HttpResponse::Problem(404, "the dashboard is not installed: no files in '" +
                                                       folder + "' (docs/dashboard.md)",
                                              req.path)
                      : HttpResponse::Problem(404, "the dashboard has no file '" + name + "'",
                                              req.path);
    AddSecurityHeaders(&r);
    return r;
  }
  const StaticFile& f = it->second;
  r.headers.emplace_back("ETag", f.etag);
  r.headers.emplace_back("Cache-Control", "no-cache");
  AddSecurityHeaders(&r);
  if (req.Header("if-none-match") == f.etag) {
    r.status = 304;
    r.content_type = f.content_type;
    return r;
  }
  r.content_type = f.content_type;
  r.body = f.body;
  return r;
}

}  // namespace

const char kDashboardCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

std::map<std::string, StaticFile> LoadStaticFolder(const std::string& folder) {
  std::map<std::string, StaticFile> files;
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return files;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    const char* type = ContentTypeOf(name);
    if (!SafeName(name) || type == nullptr) continue;
    const std::string path = JoinPath(folder, name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    StaticFile f;
    if (!ReadFile(path, &f.body).ok()) continue;
    f.content_type = type;
    f.etag = "\"" + Sha256Hex(f.body).substr(0, 32) + "\"";
    files.emplace(name, std::move(f));
  }
  ::closedir(dir);
  return files;
}

void AddDashboardRoutes(const std::string& folder, Router* router) {
  auto files = std::make_shared<const std::map<std::string, StaticFile>>(LoadStaticFolder(folder));
  router->Add("GET", "/", [files, folder](const HttpRequest& req) {
    return Serve(*files, folder, "index.html", req);
  });
  router->Add("GET", "/ui/{file}", [files, folder](const HttpRequest& req) {
    return Serve(*files, folder, req.path_params.at("file"), req);
  });
}

}  // namespace mlops::api
