#include "trigger_rules.h"

#include <algorithm>
#include <string>

#include "mlops/common/sha256.h"

namespace mlops::registry::internal {

Status CheckRepository(const RepositoryRecord& r) {
  if (r.name.empty()) return Status::InvalidArgument("repository: empty name");
  for (const std::string& b : r.branches) {
    if (b.empty() || b.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("repository " + r.name + ": bad branch name '" + b + "'");
    }
  }
  return Status::OK();
}

Status CheckNewCommit(const CommitRecord& c) {
  bool hex = c.sha.size() == 40 && std::all_of(c.sha.begin(), c.sha.end(), [](char ch) {
               return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
             });
  if (!hex) return Status::InvalidArgument("commit '" + c.sha + "' is not 40 lower-case hex");
  if (c.repository.empty() || c.branch.empty()) {
    return Status::InvalidArgument("commit " + c.sha + ": repository and branch must be set");
  }
  return Status::OK();
}

Status CheckDataVersion(const DataVersionRecord& d) {
  if (d.path.empty()) return Status::InvalidArgument("data version: empty path");
  if (!IsSha256Hex(d.sha256)) {
    return Status::InvalidArgument("data version of " + d.path + ": digest '" + d.sha256 +
                                   "' is not 64 lower-case hex characters");
  }
  return Status::OK();
}

Status CheckDelivery(const WebhookDeliveryRecord& d) {
  if (d.source.empty() || d.delivery_id.empty()) {
    return Status::InvalidArgument("webhook delivery: source and delivery id must be set");
  }
  return Status::OK();
}

Status ReplayedDelivery(const WebhookDeliveryRecord& d, int64_t first_received_ms) {
  return Status::Conflict("webhook delivery " + d.source + "/" + d.delivery_id +
                          " was received before (at " + std::to_string(first_received_ms) +
                          " ms): a replay starts nothing");
}

}  // namespace mlops::registry::internal
