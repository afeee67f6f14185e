// The reference profile: what the drift monitor compares new data with, a
// summary of the rows a model was trained on. Per feature the count of
// values, the missing count, min/max, mean/std and the reference's fixed
// quantile bins (bins.h) with their counts, and a bounded sample of its
// values for the KS test and the Wasserstein distance; for the label of a
// classification data set, the class frequencies. Written as JSON (format
// "mlopsd.reference_profile", version 1, docs/drift.md): keys sorted,
// features in column order, numbers in shortest round-trip form, so the
// same rows give the same bytes wherever the file lies. The trainer writes
// one beside every model (docs/ml/trainer.md). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "data/data_spec.h"
#include "data/dataset.h"
#include "drift/bins.h"
#include "drift/streaming.h"
#include "mlops/common/status.h"

namespace mlops::ml::drift {

inline constexpr const char* kReferenceProfileFormat = "mlopsd.reference_profile";
inline constexpr int kReferenceProfileVersion = 1;
inline constexpr const char* kReferenceProfileMediaType =
    "application/vnd.mlopsd.reference-profile+json";

struct NumericProfile {
  uint64_t count = 0;    // values present
  uint64_t missing = 0;  // NaN (empty, NA) values
  // Empty when count is 0.
  std::optional<double> min, max, mean, std;  // std: population (ddof 0)
  std::vector<double> edges;    // interior bin edges
  std::vector<uint64_t> counts;  // edges.size() + 1 when count > 0
  // At most kDefaultKsSample present values, ascending: all of them, or a
  // uniform sample drawn with a fixed seed (streaming.h), so the same rows
  // give the same sample.
  std::vector<double> sample;
};

struct FeatureProfile {
  std::string name;
  NumericProfile numeric;
};

struct ReferenceProfile {
  uint64_t rows = 0;
  size_t bins = 0;  // the bin count asked for; a feature may have fewer
  std::vector<FeatureProfile> features;
  std::string label;  // the label column's name
  // Classification: class name -> rows; empty for regression.
  std::map<std::string, uint64_t> label_frequencies;
};

// Profiles `rows` of `data` (all rows when `rows` is empty; indices must be
// < data.rows) with `bins` bins per feature. InvalidArgument when bins is
// not in 2..kMaxBins or there is no row.
Status ProfileDataset(const Dataset& data, std::span<const size_t> rows, size_t bins,
                      ReferenceProfile* out);

// Loads the CSV file `spec` describes with the project's loader
// (data/csv_loader.h; its errors name file, line and column) and profiles
// every row.
Status ProfileCsv(const DataSpec& spec, size_t bins, ReferenceProfile* out);

nlohmann::json ToJson(const ReferenceProfile& profile);

// The inverse of ToJson: ParseReferenceProfile(ToJson(p)) gives p back.
// InvalidArgument naming the key ("features[3].bins.counts: expected ...")
// for another format or version, a missing or mistyped key, counts that do
// not fit the edges, or edges out of order.
Status ParseReferenceProfile(const nlohmann::json& j, ReferenceProfile* out);

bool operator==(const NumericProfile& a, const NumericProfile& b);
bool operator==(const FeatureProfile& a, const FeatureProfile& b);
bool operator==(const ReferenceProfile& a, const ReferenceProfile& b);
// ToJson(profile) as the file's text: indented by 2, newline-terminated.
std::string Serialize(const ReferenceProfile& profile);

}  // namespace mlops::ml::drift
