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
  KsReservoir reservoir;
  for (double v : present) reservoir.Add(v);
  p.sample = reservoir.sample();
  std::sort(p.sample.begin(), p.sample.end());
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
                        {"bins", {{"edges", n.edges}, {"counts", n.counts}}},
                        {"sample", n.sample}});
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

namespace {

Status Wrong(const std::string& key, const std::string& expected, const nlohmann::json& got) {
  return Status::InvalidArgument("reference profile: " + key + ": expected " + expected + ", got " +
                                 (got.is_null() ? std::string("nothing") : got.dump()));
}

Status ReadCount(const nlohmann::json& j, const std::string& key, const std::string& where,
                 uint64_t* out) {
  const nlohmann::json& v = j.contains(key) ? j.at(key) : nlohmann::json();
  if (!v.is_number_unsigned()) return Wrong(where + key, "a count (integer >= 0)", v);
  *out = v.get<uint64_t>();
  return Status::OK();
}

Status ReadOptionalNumber(const nlohmann::json& j, const std::string& key, const std::string& where,
                          std::optional<double>* out) {
  const nlohmann::json& v = j.contains(key) ? j.at(key) : nlohmann::json();
  if (v.is_null()) {
    out->reset();
  } else if (v.is_number()) {
    *out = v.get<double>();
  } else {
    return Wrong(where + key, "a number or null", v);
  }
  return Status::OK();
}

Status ReadNumeric(const nlohmann::json& f, const std::string& where, NumericProfile* n) {
  MLOPS_RETURN_IF_ERROR(ReadCount(f, "count", where, &n->count));
  MLOPS_RETURN_IF_ERROR(ReadCount(f, "missing", where, &n->missing));
  MLOPS_RETURN_IF_ERROR(ReadOptionalNumber(f, "min", where, &n->min));
  MLOPS_RETURN_IF_ERROR(ReadOptionalNumber(f, "max", where, &n->max));
  MLOPS_RETURN_IF_ERROR(ReadOptionalNumber(f, "mean", where, &n->mean));
  MLOPS_RETURN_IF_ERROR(ReadOptionalNumber(f, "std", where, &n->std));
  const nlohmann::json bins = f.value("bins", nlohmann::json());
  const nlohmann::json edges = bins.is_object() ? bins.value("edges", nlohmann::json()) : nlohmann::json();
  const nlohmann::json counts = bins.is_object() ? bins.value("counts", nlohmann::json()) : nlohmann::json();
  if (!edges.is_array()) return Wrong(where + "bins.edges", "a list of numbers", edges);
  if (!counts.is_array()) return Wrong(where + "bins.counts", "a list of counts", counts);
  n->edges.clear();
  n->counts.clear();
  for (const nlohmann::json& e : edges) {
    if (!e.is_number()) return Wrong(where + "bins.edges", "a list of numbers", edges);
    if (!n->edges.empty() && !(e.get<double>() > n->edges.back())) {
      return Wrong(where + "bins.edges", "increasing numbers", edges);
    }
    n->edges.push_back(e.get<double>());
  }
  for (const nlohmann::json& c : counts) {
    if (!c.is_number_unsigned()) return Wrong(where + "bins.counts", "a list of counts", counts);
    n->counts.push_back(c.get<uint64_t>());
  }
  const size_t want = n->count == 0 ? 0 : n->edges.size() + 1;
  if (n->counts.size() != want) {
    return Wrong(where + "bins.counts", std::to_string(want) + " counts", counts);
  }
  const nlohmann::json sample = f.value("sample", nlohmann::json());
  if (!sample.is_array() || sample.size() > n->count ||
      (n->count > 0 && sample.empty())) {
    return Wrong(where + "sample", "a list of 1 to count numbers (none when count is 0)", sample);
  }
  n->sample.clear();
  for (const nlohmann::json& v : sample) {
    if (!v.is_number() || (!n->sample.empty() && v.get<double>() < n->sample.back())) {
      return Wrong(where + "sample", "ascending numbers", sample);
    }
    n->sample.push_back(v.get<double>());
  }
  return Status::OK();
}

}  // namespace

Status ParseReferenceProfile(const nlohmann::json& j, ReferenceProfile* out) {
  if (!j.is_object()) return Wrong("(top level)", "an object", j);
  if (j.value("format", nlohmann::json()) != kReferenceProfileFormat) {
    return Wrong("format", std::string("\"") + kReferenceProfileFormat + "\"", j.value("format", nlohmann::json()));
  }
  if (j.value("version", nlohmann::json()) != kReferenceProfileVersion) {
    return Wrong("version", std::to_string(kReferenceProfileVersion), j.value("version", nlohmann::json()));
  }
  ReferenceProfile p;
  uint64_t bins = 0;
  MLOPS_RETURN_IF_ERROR(ReadCount(j, "rows", "", &p.rows));
  MLOPS_RETURN_IF_ERROR(ReadCount(j, "bins", "", &bins));
  p.bins = static_cast<size_t>(bins);
  const nlohmann::json features = j.value("features", nlohmann::json());
  if (!features.is_array()) return Wrong("features", "a list", features);
  for (size_t i = 0; i < features.size(); ++i) {
    const std::string where = "features[" + std::to_string(i) + "].";
    const nlohmann::json& f = features[i];
    if (!f.is_object()) return Wrong(where.substr(0, where.size() - 1), "an object", f);
    if (!f.value("name", nlohmann::json()).is_string()) return Wrong(where + "name", "a string", f.value("name", nlohmann::json()));
    if (f.value("type", nlohmann::json()) != "numeric") return Wrong(where + "type", "\"numeric\"", f.value("type", nlohmann::json()));
    FeatureProfile fp;
    fp.name = f.at("name").get<std::string>();
    MLOPS_RETURN_IF_ERROR(ReadNumeric(f, where, &fp.numeric));
    p.features.push_back(std::move(fp));
  }
  const nlohmann::json label = j.value("label", nlohmann::json());
  if (!label.is_object() || !label.value("name", nlohmann::json()).is_string()) {
    return Wrong("label", "an object with a name", label);
  }
  p.label = label.at("name").get<std::string>();
  const nlohmann::json type = label.value("type", nlohmann::json());
  if (type == "categorical") {
    const nlohmann::json freq = label.value("frequencies", nlohmann::json());
    if (!freq.is_object()) return Wrong("label.frequencies", "an object of counts", freq);
    for (const auto& [name, count] : freq.items()) {
      if (!count.is_number_unsigned()) return Wrong("label.frequencies." + name, "a count", count);
      p.label_frequencies[name] = count.get<uint64_t>();
    }
  } else if (type != "numeric") {
    return Wrong("label.type", "\"categorical\" or \"numeric\"", type);
  }
  *out = std::move(p);
  return Status::OK();
}

bool operator==(const NumericProfile& a, const NumericProfile& b) {
  return a.count == b.count && a.missing == b.missing && a.min == b.min && a.max == b.max &&
         a.mean == b.mean && a.std == b.std && a.edges == b.edges && a.counts == b.counts &&
         a.sample == b.sample;
}

bool operator==(const FeatureProfile& a, const FeatureProfile& b) {
  return a.name == b.name && a.numeric == b.numeric;
}

bool operator==(const ReferenceProfile& a, const ReferenceProfile& b) {
  return a.rows == b.rows && a.bins == b.bins && a.features == b.features && a.label == b.label &&
         a.label_frequencies == b.label_frequencies;
}

}  // namespace mlops::ml::drift
