// mlctl's verbs. Each returns an exit code (exit_codes.h); output goes to
// stdout as a table, or as JSON when `json` is set.
#pragma once

#include <string>
#include <vector>

#include "api_client.h"

namespace mlops::ctl {

struct Output {
  bool json = false;
};

int PipelineValidate(const std::vector<std::string>& files, const std::vector<std::string>& plugins,
                     const Output& out);
int PipelineList(const ApiClient& api, const Output& out);
int PipelineShow(const ApiClient& api, const std::string& name, const Output& out);
int PipelineReload(const ApiClient& api, const Output& out);

struct TriggerOptions {
  std::string pipeline;
  std::string reason;
  std::string commit;
  bool force = false;
  bool wait = false;
  double timeout_s = 0;  // 0 = wait forever
};
int Trigger(const ApiClient& api, const TriggerOptions& opts, const Output& out);
// Follows a run until it ends; exit code from its final status.
int WaitForRun(const ApiClient& api, int64_t run_id, double timeout_s, const Output& out);

struct RunListOptions {
  std::string pipeline, status;
  int limit = 20;
  int64_t before = 0;
};
int RunsList(const ApiClient& api, const RunListOptions& opts, const Output& out);
int RunsShow(const ApiClient& api, int64_t id, const Output& out);
int RunsCancel(const ApiClient& api, int64_t id, const Output& out);
int Logs(const ApiClient& api, int64_t run_id, const std::string& stage, int attempt, bool follow);
// `format`: "table", "json" (also with --json) or "dot" (Graphviz).
int Lineage(const ApiClient& api, const std::string& sha, bool downstream,
            const std::string& format, const Output& out);
int ArtifactsList(const ApiClient& api, int limit, const Output& out);
int ArtifactsShow(const ApiClient& api, const std::string& sha, const Output& out);
int ArtifactsGet(const ApiClient& api, const std::string& sha, const std::string& dest);
int PluginsList(const ApiClient& api, const Output& out);
int ReposList(const ApiClient& api, const Output& out);
int ReposShow(const ApiClient& api, const std::string& name, const Output& out);
int ReposSync(const ApiClient& api, const std::string& name, const Output& out);
int DataList(const ApiClient& api, const Output& out);
int DataShow(const ApiClient& api, int64_t id, const Output& out);

}  // namespace mlops::ctl
