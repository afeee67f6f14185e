// The web dashboard's static files (docs/dashboard.md), served by the daemon
// itself: GET / answers the folder's index.html, GET /ui/{file} any other
// file of the folder. Both routes are public (the pages hold no data; the
// data comes only from /api/v1 with a bearer token).
//
// The folder is read once, when the routes are added: only regular files
// directly inside it whose names are [A-Za-z0-9._-]+ with a known extension
// (html, js, mjs, css, svg, png, ico, json, txt) are kept, so no request can
// name anything outside that list. A missing folder is not an error: both
// routes then answer 404 saying where the dashboard was looked for.
//
// Every answer carries a strict Content-Security-Policy (scripts and styles
// only from this origin, no inline script, no framing) and no-referrer
// (the server adds nosniff to every answer), an ETag and Cache-Control: no-cache (the browser keeps the
// file and revalidates it; If-None-Match answers 304).
// Thread-safety: the routes only read what was loaded before serving starts.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "api/http.h"

namespace mlops::api {

struct StaticFile {
  std::string content_type;
  std::string etag;  // quoted, from the content's SHA-256
  std::string body;
};

// The files of `folder` as described above, by name. Empty when the
// folder does not exist or holds none.
std::map<std::string, StaticFile> LoadStaticFolder(const std::string& folder);

// The Content-Security-Policy every dashboard answer carries.
extern const char kDashboardCsp[];

// Adds GET / and GET /ui/{file} serving `folder`'s files.
void AddDashboardRoutes(const std::string& folder, Router* router);

}  // namespace mlops::api
