// TimedStore: a registry::Store that forwards every call to another Store and
// counts it (mlopsd_registry_operations_total{operation,result}), adds its
// time to mlopsd_registry_operation_seconds_total{operation} (with the count,
// each operation's mean) and observes it in
// mlopsd_registry_operation_duration_seconds{kind} (read or write: the
// distribution per operation cost 14 lines each and carried little). The
// registry itself knows nothing of metrics.
// Thread-safety: as the wrapped store; the metric updates are lock-free.
#pragma once

#include <memory>
#include <string>

#include "metrics/metric_registry.h"
#include "mlops/registry/store.h"

namespace mlops::metrics {

// REQUIRES: `operations` labelled {operation, result}, `seconds` labelled
// {operation}, `latency` labelled {kind}; all outlive the returned store.
std::unique_ptr<registry::Store> NewTimedStore(std::unique_ptr<registry::Store> inner,
                                               Family<Counter>* operations,
                                               Family<Counter>* seconds,
                                               Family<Histogram>* latency);

// "read" for operations that only read (get_*, list_*, find_*, lineage_*),
// else "write".
const char* OperationKind(const std::string& operation);

// The `result` label for a status: "ok", "not_found", "invalid_argument",
// "corruption", "io_error", "conflict", "unavailable", "permission_denied".
const char* ResultLabel(const Status& s);

}  // namespace mlops::metrics
