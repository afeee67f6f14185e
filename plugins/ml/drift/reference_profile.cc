#include "drift/reference_profile.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "data/csv_loader.h"
#include "drift/bins.h"
#include "drift/wasserstein.h"
#include "metrics/summation.h"

namespace mlops::ml::drift {
namespace {

NumericProfile ProfileColumn(const std::vector<double>& column, size_t bins) {
  NumericProfile p;
  std::vector<double> present;
  present.reserve(column.size());
  for (double v : column) {
    if (std::isnan(v)) {
      ++p.missing;
    } else {
      present.push_back(v);
    }
  }
  p.count = present.size();
  if (present.empty()) return p;
  const auto [lo, hi] = std::minmax_element(present.begin(), present.end());
  p.min = *lo;
  p.max = *hi;
  p.mean = metrics::Mean(present);
  p.std = PopulationStd(present);
  // The loader gives finite values; present is non-empty and bins >= 2.
  if (QuantileEdges(present, bins, &p.edges).ok()) p.counts = BinCounts(p.edges, present);
  return p;
}

nlohmann::json OrNull(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

Status ProfileDataset(const Dataset& data, std::span<const size_t> rows, size_t bins,
                      ReferenceProfile* out) {
  if (bins < 2 || bins > kMaxBins) {
    return Status::InvalidArgument("bins must be from 2 to " + std::to_string(kMaxBins) + ", got " +
                                   std::to_string(bins));
  }
  std::vector<size_t> all;
  if (rows.empty()) {
    all.resize(data.rows);
    for (size_t i = 0; i < data.rows; ++i) all[i] = i;
    rows = all;
  }
  if (rows.empty()) return Status::InvalidArgument(data.source + ": no row to profile");
  for (size_t r : rows) {
    if (r >= data.rows) {
      return Status::InvalidArgument("row " + std::to_string(r) + " is beyond the " +
                                     std::to_string(data.rows) + " rows of " + data.source);
    }
  }
  ReferenceProfile p;
  p.rows = rows.size();
  p.bins = bins;
  p.label = data.label_name;
  std::vector<double> column(rows.size());
  for (size_t c = 0; c < data.cols; ++c) {
    for (size_t i = 0; i < rows.size(); ++i) column[i] = data.row(rows[i])[c];
    p.features.push_back({data.feature_names[c], ProfileColumn(column, bins)});
  }
  if (data.task == Task::kClassification) {
    for (size_t r : rows) ++p.label_frequencies[data.classes[static_cast<size_t>(data.labels[r])]];
  }
  *out = std::move(p);
  return Status::OK();
}

Status ProfileCsv(const DataSpec& spec, size_t bins, ReferenceProfile* out) {
  Dataset data;
  MLOPS_RETURN_IF_ERROR(LoadDataset(spec, &data));
  return ProfileDataset(data, {}, bins, out);
}

nlohmann::json ToJson(const ReferenceProfile& profile) {
  nlohmann::json features = nlohmann::json::array();
  for (const FeatureProfile& f : profile.features) {
    const NumericProfile& n = f.numeric;
    features.push_back({{"name", f.name},
                        {"type", "numeric"},
                        {"count", n.count},
                        {"missing", n.missing},
                        {"min", OrNull(n.min)},
                        {"max", OrNull(n.max)},
                        {"mean", OrNull(n.mean)},
                        {"std", OrNull(n.std)},
                        {"bins", {{"edges", n.edges}, {"counts", n.counts}}}});
  }
  nlohmann::json label = {{"name", profile.label}};
  if (profile.label_frequencies.empty()) {
    label["type"] = "numeric";
  } else {
    label["type"] = "categorical";
    label["frequencies"] = profile.label_frequencies;
  }
  return {{"format", kReferenceProfileFormat},
          {"version", kReferenceProfileVersion},
          {"rows", profile.rows},
          {"bins", profile.bins},
          {"features", features},
          {"label", label}};
}

std::string Serialize(const ReferenceProfile& profile) { return ToJson(profile).dump(2) + "\n"; }

}  // namespace mlops::ml::drift
