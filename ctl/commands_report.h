// mlctl report junit|metrics|dotenv RUN -o FILE: CI reports of one run
// (run_reports.h). Each writes FILE atomically ("-" = stdout) and returns an
// exit code (exit_codes.h): 0 once the report is written, whatever the run's
// outcome (`mlctl runs wait` says that); 4 or 5 when the daemon cannot be
// asked; 2 when FILE cannot be written or the dotenv values are not fit.
#pragma once

#include <cstdint>
#include <string>

#include "api_client.h"

namespace mlops::ctl {

int ReportJUnit(const ApiClient& api, int64_t run_id, const std::string& dest);
int ReportMetrics(const ApiClient& api, int64_t run_id, const std::string& dest);
int ReportDotenv(const ApiClient& api, int64_t run_id, const std::string& dest);

}  // namespace mlops::ctl
