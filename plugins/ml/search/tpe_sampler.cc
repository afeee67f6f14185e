#include "search/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "search/parzen.h"

namespace mlops::ml {
namespace {

// l(x) and g(x) of one dimension; exactly one of the pairs is set.
struct DimensionDensities {
  std::optional<ParzenEstimator> good, bad;
  std::optional<CategoricalEstimator> good_cat, bad_cat;
};

// Integers live on [lo - .5, hi + .5] so that rounding gives each the same width.
double LowOf(const Dimension& d) { return d.kind == DimensionKind::kInt ? d.low - 0.5 : d.low; }
double HighOf(const Dimension& d) { return d.kind == DimensionKind::kInt ? d.high + 0.5 : d.high; }

DimensionDensities Fit(const Dimension& d, size_t i, const std::vector<const Trial*>& good,
                       const std::vector<const Trial*>& bad) {
  DimensionDensities out;
  if (d.kind == DimensionKind::kChoice) {
    const auto counts = [&](const std::vector<const Trial*>& trials) {
      std::vector<int> v;
      for (const Trial* t : trials) v.push_back(static_cast<int>(std::llround(t->x[i])));
      return v;
    };
    const int n = static_cast<int>(d.choices.size());
    out.good_cat.emplace(counts(good), n);
    out.bad_cat.emplace(counts(bad), n);
    return out;
  }
  const auto coords = [&](const std::vector<const Trial*>& trials) {
    std::vector<double> v;
    for (const Trial* t : trials) v.push_back(t->x[i]);
    return v;
  };
  const double lo = LowOf(d), hi = HighOf(d);
  out.good.emplace(coords(good), lo, hi);
  out.bad.emplace(coords(bad), lo, hi);
  return out;
}

double Draw(const Dimension& d, const DimensionDensities& f, Rng& rng) {
  if (f.good_cat) return f.good_cat->Sample(rng);
  const double x = f.good->Sample(rng);
  if (d.kind != DimensionKind::kInt) return x;
  return std::clamp(std::round(x), d.low, d.high);
}

// log l(x) - log g(x).
double LogRatio(const Dimension& d, const DimensionDensities& f, double x) {
  if (f.good_cat) {
    const int k = static_cast<int>(std::llround(x));
    return f.good_cat->LogProb(k) - f.bad_cat->LogProb(k);
  }
  if (d.kind == DimensionKind::kInt) {
    return f.good->LogMass(x - 0.5, x + 0.5) - f.bad->LogMass(x - 0.5, x + 0.5);
  }
  return f.good->LogPdf(x) - f.bad->LogPdf(x);
}

}  // namespace

TpeSampler::TpeSampler(const SearchSpace& space, const TpeOptions& options, Direction direction)
    : space_(space), options_(options), direction_(direction) {
  startup_ = options.n_startup > 0 ? options.n_startup : std::max(5, 2 * space.SearchableCount());
}

std::vector<double> TpeSampler::Suggest(int number, const std::vector<Trial>& history, Rng& rng) const {
  std::vector<const Trial*> observed;
  for (const Trial& t : history) {
    if (t.HasValue()) observed.push_back(&t);
  }
  if (static_cast<int>(observed.size()) < startup_) return RandomSampler(space_).Suggest(number, history, rng);

  // Best first; ties by trial number, so the split does not depend on sort internals.
  std::stable_sort(observed.begin(), observed.end(), [&](const Trial* a, const Trial* b) {
    return IsBetter(direction_, a->value, b->value);
  });
  const auto n = static_cast<double>(observed.size());
  const size_t n_good = static_cast<size_t>(std::clamp(std::ceil(options_.gamma * n), 1.0, n));
  const std::vector<const Trial*> good(observed.begin(), observed.begin() + static_cast<std::ptrdiff_t>(n_good));
  const std::vector<const Trial*> bad(observed.begin() + static_cast<std::ptrdiff_t>(n_good), observed.end());

  std::vector<DimensionDensities> densities(space_.dims.size());
  for (size_t i = 0; i < space_.dims.size(); ++i) {
    if (space_.dims[i].searchable()) densities[i] = Fit(space_.dims[i], i, good, bad);
  }
  std::vector<double> best;
  double best_score = -INFINITY;
  for (int c = 0; c < std::max(1, options_.candidates); ++c) {
    std::vector<double> x(space_.dims.size(), 0.0);
    double score = 0;
    for (size_t i = 0; i < space_.dims.size(); ++i) {
      const Dimension& d = space_.dims[i];
      if (!d.searchable()) continue;
      x[i] = Draw(d, densities[i], rng);
      score += LogRatio(d, densities[i], x[i]);
    }
    if (best.empty() || score > best_score) {
      best = std::move(x);
      best_score = score;
    }
  }
  return best;
}

}  // namespace mlops::ml
