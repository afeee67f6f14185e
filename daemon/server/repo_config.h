// Watched repositories and data paths, as the daemon's config names them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mlops::server {

struct RepoConfig {
  std::string name;                         // [A-Za-z0-9._-], unique
  std::string url;                          // local path, file://, ssh, https
  std::vector<std::string> branches{"main"};
  std::chrono::milliseconds poll_interval{std::chrono::seconds(30)};
  std::string pipeline_path = ".mlops/pipeline.yaml";
  std::string webhook_secret;               // GitLab token / GitHub HMAC key
  // 0: a push is dispatched at once unless a run of its branch is queued.
  std::chrono::milliseconds coalesce_window{0};
  std::chrono::milliseconds fetch_timeout{std::chrono::seconds(60)};
};

}  // namespace mlops::server
