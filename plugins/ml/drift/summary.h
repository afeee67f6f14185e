// The verdict over one batch (a window of served rows or a data version):
// every feature's score under its measure, compared with its threshold. A
// feature drifts when its score is strictly above the threshold; the worst
// feature is the one with the largest score / threshold (ties: the first in
// input order). Scores are effect sizes, not p-values, so the verdict does
// not flip with the row count alone (docs/drift.md). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlops::ml::drift {

enum class Measure { kPsi, kKs, kJs, kWasserstein };

std::string_view MeasureName(Measure m);  // "psi", "ks", "js", "wasserstein"
std::optional<Measure> ParseMeasure(std::string_view name);
// The default alarm threshold of each measure (docs/drift.md).
double DefaultThreshold(Measure m);

struct FeatureScore {
  std::string feature;
  Measure measure = Measure::kPsi;
  double score = 0;
  double threshold = 0;  // > 0
  uint64_t reference_rows = 0;
  uint64_t current_rows = 0;
};

struct BatchSummary {
  std::vector<size_t> drifted;   // indexes into the scores, input order
  std::optional<size_t> worst;   // empty when there is no score
};

BatchSummary Summarise(const std::vector<FeatureScore>& scores);

}  // namespace mlops::ml::drift
