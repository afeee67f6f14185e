// Reports about one run for CI systems, made from the daemon's run document
// (GET /api/v1/runs/{id}: the run and its stage attempts with their metrics):
//   JUnit XML    one test case per stage and one per evaluator gate;
//   OpenMetrics  the run's and stages' durations and the stages' metrics,
//                ending in "# EOF" (GitLab's artifacts:reports:metrics);
//   dotenv       strict KEY=VALUE lines, at most 5 KB (artifacts:reports:dotenv).
// Pure functions of their inputs; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlops::ctl {

// One quality gate's verdict, from the evaluator's evaluation.json; the
// JUnit report gives the gates their own test suite, "<pipeline>.gates".
struct GateResult {
  std::string name;     // e.g. "f1 >= 0.95"
  bool passed = false;
  std::string message;  // why it failed; shown in the failure
};

// The JUnit XML of a run. `stages` lists the pipeline's stages in file
// order (a stage without attempt is reported skipped); when empty, the
// stages that have attempts are reported, in the order they were first
// tried. Each stage is judged by its latest attempt: succeeded or cached
// passes, failed or timed_out is a <failure>, cancelled is <skipped>,
// interrupted or still running is an <error>. All text is XML-escaped, and
// bytes that XML 1.0 cannot carry become U+FFFD.
std::string JUnitXml(const nlohmann::json& run, const std::vector<std::string>& stages,
                     const std::vector<GateResult>& gates = {});

// OpenMetrics text: mlops_run_duration_seconds, mlops_run_succeeded,
// mlops_stage_duration_seconds{stage}, and mlops_stage_metric{stage,metric}
// (the value of each metric at its highest step); ends with "# EOF\n".
std::string OpenMetricsText(const nlohmann::json& run);

// Variables a later CI job receives. The model's are empty until the model
// registry names one for the run.
struct DotenvFields {
  std::string run_id, run_status, model_name, model_version;
};
inline constexpr size_t kDotenvMaxBytes = 5 * 1024;

// "RUN_ID=..\nRUN_STATUS=..\nMODEL_NAME=..\nMODEL_VERSION=..\n", without
// the MODEL_ lines when the run registered no model version. Returns
// false and says why in *error when a value holds whitespace, a control
// character or invalid UTF-8, or the text exceeds kDotenvMaxBytes; *out is
// then left alone.
bool DotenvText(const DotenvFields& fields, std::string* out, std::string* error);

// Text as XML 1.0 character data or attribute value: & < > " ' escaped,
// characters XML cannot carry and invalid UTF-8 replaced by U+FFFD.
std::string XmlEscape(const std::string& text);

}  // namespace mlops::ctl
