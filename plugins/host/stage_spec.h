// StageSpec: what one attempt runs, as read by the stage host from the spec
// file the daemon wrote (field list in stage_protocol.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlops::host {

struct StageInput {
  std::string name;
  std::string path;
};

struct StageSpec {
  int64_t attempt_id = 0;
  std::string params_json = "{}";
  std::vector<StageInput> inputs;
  std::string work_dir;
  std::string scratch_dir;
  std::map<std::string, std::string> env;
  int64_t kill_grace_ms = 5000;  // SIGTERM -> SIGKILL, if the host must end itself
  // The attempt's memory limit; 0: none. Enforced by the cgroup when
  // `cgroup` names one (the host joins it first), else by RLIMIT_DATA.
  int64_t memory_limit_bytes = 0;
  std::string cgroup;  // a cgroup v2 folder made for this attempt; empty: none
};

// Parses the spec file's text. On failure returns false and *error says
// which field is wrong.
bool ParseStageSpec(const std::string& text, StageSpec* spec, std::string* error);

}  // namespace mlops::host
