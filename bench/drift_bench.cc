// The drift measures on ROWS x FEATURES (bench/drift.sh): per feature, bin
// edges from a reference of REF_ROWS values, PSI and the JS distance over
// every current value (one pass, BinnedCounter), KS and the normalised
// Wasserstein distance on the first SAMPLE values of each side. Half the
// features are shifted. Only the measures are timed, not the generation.
// Prints one JSON line: seconds, peak RSS, features drifted by PSI.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "data/rng.h"
#include "drift/binned_measures.h"
#include "drift/bins.h"
#include "drift/ks.h"
#include "drift/streaming.h"
#include "drift/wasserstein.h"

using namespace mlops::ml;

int main(int argc, char** argv) {
  const size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const size_t features = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100;
  const size_t ref_rows = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 100000;
  const size_t sample = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : drift::kDefaultKsSample;
  std::vector<double> ref(ref_rows), cur(rows);
  double seconds = 0, checksum = 0;
  int drifted = 0;
  for (size_t f = 0; f < features; ++f) {
    Rng rng(1000 + f);
    const double shift = f % 2 == 1 ? 0.5 : 0.0;
    for (double& v : ref) v = rng.Normal();
    for (double& v : cur) v = shift + rng.Normal();
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> edges;
    if (!drift::QuantileEdges(ref, drift::kDefaultBins, &edges).ok()) return 1;
    const std::vector<uint64_t> ref_counts = drift::BinCounts(edges, ref);
    drift::BinnedCounter counter(edges);
    counter.Add(cur);
    double psi = 0, js = 0, w = 0;
    drift::KsResult ks;
    const std::span<const double> ref_sample(ref.data(), std::min(sample, ref_rows));
    const std::span<const double> cur_sample(cur.data(), std::min(sample, rows));
    if (!drift::Psi(ref_counts, counter.counts(), &psi).ok() ||
        !drift::JsDistance(ref_counts, counter.counts(), &js).ok() ||
        !drift::KolmogorovSmirnov(ref_sample, cur_sample, &ks).ok() ||
        !drift::NormalisedWasserstein(ref_sample, cur_sample, &w).ok()) {
      return 1;
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    drifted += psi > drift::kDefaultPsiAlarm;
    checksum += psi + js + ks.statistic + ks.p_value + w;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"tool\": \"mlops_drift\", \"seconds\": %.3f, \"peak_rss_mb\": %.1f, \"drifted\": %d, "
      "\"checksum\": %.6f}\n",
      seconds, usage.ru_maxrss / 1024.0, drifted, checksum);
  return 0;
}
