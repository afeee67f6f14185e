// Objectives for the search tests: known functions of the params, with
// noise from the trial's own stream, so runs are reproducible.
#pragma once

#include <cmath>

#include "search/objective.h"

namespace mlops::ml::testing {

// A smooth bowl with its top (0) at lr = 10^-2.5, dropout = 0.2, units = 64,
// epochs = 120; small noise. Maximize.
inline TrialOutcome Bowl(const ParamValues& p, TrialContext& ctx) {
  const double lr = std::log10(p["lr"].get<double>()) + 2.5;
  const double dropout = p["dropout"].get<double>() - 0.2;
  const double units = p["units"] == 64 ? 0.0 : 0.3;
  const double epochs = (p["epochs"].get<double>() - 120) / 100;
  return TrialOutcome::Value(-(lr * lr + 4 * dropout * dropout + units + epochs * epochs) + 0.01 * ctx.rng().Normal());
}

inline nlohmann::json BowlSpace() {
  return {{"lr", "loguniform(1e-5, 1)"}, {"dropout", "uniform(0, 0.9)"}, {"units", "choice(8, 16, 32, 64, 128)"},
          {"epochs", "int(10, 300)"}};
}

// A learning curve: value(step) = q * (1 - exp(-step / 4)) for the trial's
// `q` param, reported for steps 1..steps; stops when told. Curves of
// different q never cross, so a larger q is better at every step.
inline TrialOutcome Curve(const ParamValues& p, TrialContext& ctx, int steps = 27) {
  const double q = p["q"].get<double>();
  double v = 0;
  for (int s = 1; s <= steps; ++s) {
    v = q * (1 - std::exp(-s / 4.0));
    if (ctx.Report(s, v)) return TrialOutcome{};
  }
  return TrialOutcome::Value(v);
}

}  // namespace mlops::ml::testing
