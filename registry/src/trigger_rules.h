// Checks that every Store implementation applies the same way to the
// trigger tables (repositories, commits, data versions, webhook
// deliveries). Internal to the registry library.
#pragma once

#include "mlops/common/status.h"
#include "mlops/registry/records.h"

namespace mlops::registry::internal {

// InvalidArgument for an empty name or a branch that is empty or holds a
// line break (branches are stored one per line).
Status CheckRepository(const RepositoryRecord& r);
// InvalidArgument unless repository, branch and a 40-hex sha are set.
Status CheckNewCommit(const CommitRecord& c);
// InvalidArgument for an empty path or a malformed digest.
Status CheckDataVersion(const DataVersionRecord& d);
// InvalidArgument for an empty source or delivery id.
Status CheckDelivery(const WebhookDeliveryRecord& d);

// The Conflict a replayed delivery gets.
Status ReplayedDelivery(const WebhookDeliveryRecord& d, int64_t first_received_ms);

}  // namespace mlops::registry::internal
