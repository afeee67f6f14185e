#include "commands_gc.h"

#include <cstdio>
#include <iostream>

#include "exit_codes.h"
#include "json_fields.h"
#include "table.h"

namespace mlops::ctl {
namespace {

std::string Bytes(int64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

int Gc(const ApiClient& api, bool dry_run, bool artifacts, const Output& out) {
  nlohmann::json resp;
  int rc = api.Post("/api/v1/gc", {{"dry_run", dry_run}, {"artifacts", artifacts}}, &resp);
  if (rc != kExitOk) return rc;
  if (out.json) {
    std::cout << resp.dump(2) << "\n";
  } else {
    Table t({"KIND", "PATH", "SIZE", "REASON"});
    for (const auto& r : resp["removed"]) {
      t.Add({Str(r, "kind"), Str(r, "path"), Bytes(Int(r, "bytes")), Str(r, "reason")});
    }
    if (!resp["removed"].empty()) t.Print(std::cout);
    std::cout << (dry_run ? "would remove " : "removed ") << Int(resp, "count") << " entries ("
              << Bytes(Int(resp, "bytes")) << "); kept " << Int(resp, "kept_in_use")
              << " that an active run or a model version needs\n";
  }
  for (const auto& e : resp["errors"]) std::cerr << "mlctl: gc: " << e.get<std::string>() << "\n";
  return resp["errors"].empty() ? kExitOk : kExitApiError;
}

}  // namespace mlops::ctl
