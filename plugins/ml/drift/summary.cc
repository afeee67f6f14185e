#include "drift/summary.h"

#include "drift/binned_measures.h"

namespace mlops::ml::drift {

std::string_view MeasureName(Measure m) {
  switch (m) {
    case Measure::kPsi: return "psi";
    case Measure::kKs: return "ks";
    case Measure::kJs: return "js";
    case Measure::kWasserstein: return "wasserstein";
  }
  return "psi";
}

std::optional<Measure> ParseMeasure(std::string_view name) {
  for (Measure m : {Measure::kPsi, Measure::kKs, Measure::kJs, Measure::kWasserstein}) {
    if (MeasureName(m) == name) return m;
  }
  return std::nullopt;
}

double DefaultThreshold(Measure m) {
  switch (m) {
    case Measure::kPsi: return kDefaultPsiAlarm;
    case Measure::kKs: return 0.1;
    case Measure::kJs: return 0.1;
    case Measure::kWasserstein: return 0.1;
  }
  return kDefaultPsiAlarm;
}

BatchSummary Summarise(const std::vector<FeatureScore>& scores) {
  BatchSummary s;
  double worst_ratio = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const FeatureScore& f = scores[i];
    if (f.score > f.threshold) s.drifted.push_back(i);
    const double ratio = f.score / f.threshold;
    if (!s.worst || ratio > worst_ratio) {
      s.worst = i;
      worst_ratio = ratio;
    }
  }
  return s;
}

}  // namespace mlops::ml::drift
