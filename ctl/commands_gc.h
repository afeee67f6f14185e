// mlctl gc: what retention removes from the daemon's state folder now
// (--dry-run lists it and removes nothing), and with --artifacts the
// content no run or model version references (docs/operations.md). Admin.
#pragma once

#include "api_client.h"
#include "commands.h"

namespace mlops::ctl {

int Gc(const ApiClient& api, bool dry_run, bool artifacts, const Output& out);

}  // namespace mlops::ctl
