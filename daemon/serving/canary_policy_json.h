// A canary policy as the JSON kept with the canary in the registry
// (CanaryRecord::policy_json), so that a canary is judged by the policy it
// started with even if the pipeline file changes meanwhile.
// Thread-safety: free functions.
#pragma once

#include <string>

#include "mlops/common/status.h"
#include "pipeline/pipeline.h"

namespace mlops::serving {

std::string CanaryPolicyToJson(const pipeline::CanaryPolicy& policy);
// InvalidArgument naming the field when a value is out of the ranges the
// pipeline format allows; missing fields keep their defaults.
Status CanaryPolicyFromJson(const std::string& text, pipeline::CanaryPolicy* out);

}  // namespace mlops::serving
