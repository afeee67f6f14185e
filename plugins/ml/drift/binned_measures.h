// Measures over bin counts: the population stability index (PSI) and the
// Jensen-Shannon distance, for numeric features over the reference's fixed
// bins (bins.h) and for categorical features over category frequencies.
// Counts are all they need, so they also serve streaming (streaming.h).
//
// PSI = sum_i (q_i - p_i) * ln(q_i / p_i), p_i the reference's share of
// bin i, q_i the current one's, each floored at kPsiFloor so an empty bin
// counts as a share of 1e-4 instead of making the sum infinite. The floor
// does not depend on the row counts. JS distance: scipy's
// spatial.distance.jensenshannon(p, q, base=2), in [0, 1]. docs/drift.md.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "mlops/common/status.h"

namespace mlops::ml::drift {

inline constexpr double kPsiFloor = 1e-4;
inline constexpr double kDefaultPsiAlarm = 0.2;

// PSI between two count vectors over the same bins. InvalidArgument when
// the sizes differ, there is no bin, or a side has no count.
Status Psi(std::span<const uint64_t> reference, std::span<const uint64_t> current, double* out);

// Jensen-Shannon distance, base 2. Same errors as Psi.
Status JsDistance(std::span<const uint64_t> reference, std::span<const uint64_t> current,
                  double* out);

// PSI over category frequencies: the union of the categories of both
// sides, a category absent from one side having share 0 there (floored).
Status CategoricalPsi(const std::map<std::string, uint64_t>& reference,
                      const std::map<std::string, uint64_t>& current, double* out);

}  // namespace mlops::ml::drift
