// The registry's conformance suite stamped onto the timing decorator: it
// must behave exactly as the store it wraps.
#include "metrics/daemon_metrics.h"
#include "metrics/timed_store.h"
#include "store_conformance.h"

namespace mlops::registry {
namespace {

metrics::Registry& SharedRegistry() {
  static auto* r = new metrics::Registry;
  return *r;
}

metrics::DaemonMetrics& SharedMetrics() {
  static auto* m = new metrics::DaemonMetrics(&SharedRegistry(), {"test", 0});
  return *m;
}

INSTANTIATE_TEST_SUITE_P(
    TimedSqlite, StoreConformance,
    ::testing::Values(StoreBackend{
        "timed_sqlite",
        [](const std::string& dir, std::unique_ptr<Store>* out) {
          std::unique_ptr<Store> inner;
          MLOPS_RETURN_IF_ERROR(OpenSqliteStore(dir + "/registry.db", &inner));
          *out = metrics::NewTimedStore(std::move(inner),
                                        &SharedMetrics().registry_operations(),
                                        &SharedMetrics().registry_seconds(),
                                        &SharedMetrics().registry_latency());
          return Status::OK();
        }}),
    StoreBackendName);

}  // namespace
}  // namespace mlops::registry
