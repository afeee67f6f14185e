// TimedStore: a registry::Store that forwards every call to another Store and
// counts it (mlopsd_registry_operations_total{operation,result}) and times it
// (mlopsd_registry_operation_duration_seconds{operation}). The registry
// itself knows nothing of metrics.
// Thread-safety: as the wrapped store; the metric updates are lock-free.
#pragma once

#include <memory>

#include "metrics/metric_registry.h"
#include "mlops/registry/store.h"

namespace mlops::metrics {

// REQUIRES: `operations` labelled {operation, result}, `latency` labelled
// {operation}; both outlive the returned store.
std::unique_ptr<registry::Store> NewTimedStore(std::unique_ptr<registry::Store> inner,
                                               Family<Counter>* operations,
                                               Family<Histogram>* latency);

// The `result` label for a status: "ok", "not_found", "invalid_argument",
// "corruption", "io_error", "conflict", "unavailable", "permission_denied".
const char* ResultLabel(const Status& s);

}  // namespace mlops::metrics
