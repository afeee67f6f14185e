#include "data/csv_loader.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "data/class_labels.h"
#include "data/csv_record.h"
#include "data/line_reader.h"
#include "data/number_text.h"

namespace mlops::ml {
namespace {

enum class Role { kFeature, kLabel, kDropped };

struct Column {
  Role role = Role::kFeature;
  std::string name;
  bool named = false;  // the name comes from the file's header line
  const ColumnRule* rule = nullptr;
};

// " in column 'x'" for a column named by the file, else nothing: the
// column number is in the location already.
std::string InColumn(const Column& c) { return c.named ? " in column '" + c.name + "'" : ""; }

std::string Quote(const std::string& text) {
  constexpr size_t kMax = 40;
  return "'" + (text.size() > kMax ? text.substr(0, kMax) + "..." : text) + "'";
}

std::string NameList(const std::vector<std::string>& names) {
  constexpr size_t kMax = 8;
  std::string out;
  const size_t shown = names.size() <= kMax ? names.size() : kMax - 2;
  for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (shown < names.size()) out += ", ..., " + names.back() + " (" + std::to_string(names.size()) + " columns)";
  return out;
}

std::string RangeText(const ColumnRule& r) {
  if (r.min && r.max) return "[" + FormatNumber(*r.min) + ", " + FormatNumber(*r.max) + "]";
  if (r.min) return ">= " + FormatNumber(*r.min);
  return "<= " + FormatNumber(*r.max);
}

// One data file (and its optional label file) into a Dataset.
class Loader {
 public:
  explicit Loader(const DataSpec& spec) : spec_(spec) {}
  Status Load(Dataset* out);

 private:
  Status ReadHeader(CsvRecordReader& reader, std::vector<std::string>* names);
  Status ReadSklearnHeader(const std::vector<CsvField>& rec);
  Status CheckFirstRow(const std::vector<CsvField>& rec, size_t line, std::vector<std::string>* names);
  Status PlanColumns(const std::vector<std::string>& names, size_t line);
  Status ParseRow(const std::vector<CsvField>& rec);
  // A numeric value of column c (a feature or a regression label).
  Status ParseValue(const CsvField& f, size_t c, const Column& col, double* out) const;
  Status ParseLabel(const CsvField& f, size_t c, const Column& col);
  Status ReadLabelFile(size_t data_rows);
  Status LabelFieldCount(const std::vector<CsvField>& rec) const {
    return Status::InvalidArgument(Where(spec_.label_path, rec[1].line, 2) + std::to_string(rec.size()) +
                                   " fields, expected 1 (one label per line)");
  }
  Status ResolveClasses();
  Status Error(const CsvField& f, size_t c, const std::string& what) const {
    return Status::InvalidArgument(Where(*path_, f.line, c + 1) + what);
  }

  const DataSpec& spec_;
  const std::string* path_ = &spec_.path;  // the file being read, for messages
  bool named_ = false;
  size_t header_line_ = 0;  // 0: no header line
  std::string label_name_;  // from the label file
  std::vector<Column> columns_;
  std::optional<ClassLabels> classes_;    // declared (spec or sklearn header)
  std::vector<std::string> label_texts_;  // classification labels, before inference
  size_t first_label_line_ = 0, first_label_column_ = 0;
  long long sklearn_samples_ = -1, sklearn_features_ = -1;
  std::vector<float> features_;
  std::vector<double> labels_;
  size_t rows_ = 0;
};

Status Loader::Load(Dataset* out) {
  LineReader lines;
  MLOPS_RETURN_IF_ERROR(lines.Open(spec_.path));
  CsvRecordReader reader(&lines, spec_.delimiter);
  if (!spec_.classes.empty()) classes_.emplace(spec_.classes);
  std::vector<std::string> names;
  MLOPS_RETURN_IF_ERROR(ReadHeader(reader, &names));

  std::vector<CsvField> rec;
  bool eof = false;
  MLOPS_RETURN_IF_ERROR(reader.Next(&rec, &eof));
  if (eof) return Status::InvalidArgument(Where(spec_.path, reader.line(), 1) + "no data rows, expected at least one");
  MLOPS_RETURN_IF_ERROR(CheckFirstRow(rec, reader.line(), &names));
  MLOPS_RETURN_IF_ERROR(PlanColumns(names, header_line_ > 0 ? header_line_ : reader.line()));
  while (!eof) {
    MLOPS_RETURN_IF_ERROR(ParseRow(rec));
    MLOPS_RETURN_IF_ERROR(reader.Next(&rec, &eof));
  }
  if (sklearn_samples_ >= 0 && static_cast<size_t>(sklearn_samples_) != rows_) {
    return Status::InvalidArgument(Where(spec_.path, header_line_, 1) + "n_samples " +
                                   std::to_string(sklearn_samples_) + ", expected " + std::to_string(rows_) +
                                   " (the data rows in the file)");
  }
  if (!spec_.label_path.empty()) MLOPS_RETURN_IF_ERROR(ReadLabelFile(rows_));
  if (spec_.task == Task::kClassification) MLOPS_RETURN_IF_ERROR(ResolveClasses());

  Dataset d;
  d.source = spec_.path;
  d.task = spec_.task;
  for (const auto& c : columns_) {
    if (c.role == Role::kFeature) d.feature_names.push_back(c.name);
    if (c.role == Role::kLabel) d.label_name = c.name;
  }
  if (!spec_.label_path.empty()) d.label_name = label_name_;
  if (classes_) d.classes = classes_->names();
  d.rows = rows_;
  d.cols = d.feature_names.size();
  d.features = std::move(features_);
  d.labels = std::move(labels_);
  *out = std::move(d);
  return Status::OK();
}

Status Loader::ReadHeader(CsvRecordReader& reader, std::vector<std::string>* names) {
  if (spec_.format != "sklearn" && !spec_.header) return Status::OK();
  std::vector<CsvField> rec;
  bool eof = false;
  MLOPS_RETURN_IF_ERROR(reader.Next(&rec, &eof));
  if (eof) return Status::InvalidArgument(Where(spec_.path, reader.line(), 1) + "no data rows, expected at least one");
  header_line_ = reader.line();
  if (spec_.format == "sklearn") return ReadSklearnHeader(rec);
  named_ = true;
  std::set<std::string> seen;
  for (size_t c = 0; c < rec.size(); ++c) {
    std::string name = rec[c].text.empty() ? "col" + std::to_string(c + 1) : rec[c].text;
    if (!seen.insert(name).second) {
      return Error(rec[c], c, "column name " + Quote(name) + " appears twice, expected distinct names");
    }
    names->push_back(std::move(name));
  }
  return Status::OK();
}

Status Loader::ReadSklearnHeader(const std::vector<CsvField>& rec) {
  const char* layout = ", expected n_samples,n_features,class names... (the sklearn layout)";
  if (rec.size() < 3) {
    return Status::InvalidArgument(Where(spec_.path, rec[0].line, rec.size() + 1) + std::to_string(rec.size()) +
                                   " fields" + layout);
  }
  if (!ParseInteger(rec[0].text, &sklearn_samples_) || sklearn_samples_ <= 0) {
    return Error(rec[0], 0, "n_samples " + Quote(rec[0].text) + ", expected a positive integer");
  }
  if (!ParseInteger(rec[1].text, &sklearn_features_) || sklearn_features_ <= 0) {
    return Error(rec[1], 1, "n_features " + Quote(rec[1].text) + ", expected a positive integer");
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (size_t c = 2; c < rec.size(); ++c) {
    if (rec[c].text.empty()) return Error(rec[c], c, "empty class name" + std::string(layout));
    if (!seen.insert(rec[c].text).second) {
      return Error(rec[c], c, "class name " + Quote(rec[c].text) + " appears twice, expected distinct names");
    }
    names.push_back(rec[c].text);
  }
  if (!spec_.classes.empty() && spec_.classes != names) {
    std::string declared;
    for (const auto& n : spec_.classes) declared += (declared.empty() ? "" : ", ") + n;
    return Error(rec[2], 2, "class names " + NameList(names) + ", expected the declared classes " + declared);
  }
  classes_.emplace(std::move(names));
  return Status::OK();
}

Status Loader::CheckFirstRow(const std::vector<CsvField>& rec, size_t line, std::vector<std::string>* names) {
  if (sklearn_features_ >= 0) {
    if (rec.size() != static_cast<size_t>(sklearn_features_) + 1) {
      return Status::InvalidArgument(Where(spec_.path, header_line_, 2) + "n_features " +
                                     std::to_string(sklearn_features_) + ", expected " +
                                     std::to_string(rec.size() - 1) + " (line " + std::to_string(line) + " has " +
                                     std::to_string(rec.size()) + " fields, the label last)");
    }
    for (size_t c = 0; c + 1 < rec.size(); ++c) names->push_back("col" + std::to_string(c + 1));
    names->push_back("target");
  } else if (!named_) {
    for (size_t c = 0; c < rec.size(); ++c) names->push_back("col" + std::to_string(c + 1));
  }
  return Status::OK();
}

Status Loader::PlanColumns(const std::vector<std::string>& names, size_t line) {
  const std::string& path = spec_.path;
  auto missing = [&](const std::string& what, const std::string& name) {
    return Status::InvalidArgument(Where(path, line, 1) + what + " names " + Quote(name) +
                                   ", which is not a column; expected one of: " + NameList(names));
  };
  auto index_of = [&](const std::string& name) -> size_t {
    for (size_t c = 0; c < names.size(); ++c) {
      if (names[c] == name) return c;
    }
    return names.size();
  };
  columns_.resize(names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    columns_[c].name = names[c];
    columns_[c].named = named_;
  }
  if (spec_.label_path.empty()) {
    if (names.size() < 2) {
      return Status::InvalidArgument(Where(path, line, 1) + "1 column, expected at least 2 (features and the label)");
    }
    size_t label = names.size() - 1;
    if (!spec_.label.empty()) {
      label = index_of(spec_.label);
      if (label == names.size()) return missing("'label'", spec_.label);
    }
    columns_[label].role = Role::kLabel;
  }
  for (const auto& name : spec_.drop) {
    const size_t c = index_of(name);
    if (c == names.size()) return missing("'drop'", name);
    if (columns_[c].role == Role::kLabel) {
      return Status::InvalidArgument(Where(path, line, c + 1) + "'drop' names the label column " + Quote(name) +
                                     ", expected feature columns only");
    }
    columns_[c].role = Role::kDropped;
  }
  for (const auto& [name, rule] : spec_.columns) {
    const size_t c = index_of(name);
    if (c == names.size()) return missing("'columns'", name);
    if (columns_[c].role == Role::kLabel && (spec_.task == Task::kClassification || rule.allow_missing)) {
      return Status::InvalidArgument(Where(path, line, c + 1) + "'columns' gives a rule for the label column " +
                                     Quote(name) + ", expected feature columns (or min/max for a regression label)");
    }
    columns_[c].rule = &rule;
  }
  size_t features = 0;
  for (const auto& col : columns_) features += col.role == Role::kFeature;
  if (features == 0) {
    return Status::InvalidArgument(Where(path, line, 1) + "no feature column left, expected at least one");
  }
  return Status::OK();
}

Status Loader::ParseRow(const std::vector<CsvField>& rec) {
  if (rec.size() != columns_.size()) {
    const size_t c = std::min(rec.size(), columns_.size());
    const size_t at = c < rec.size() ? rec[c].line : rec.back().line;
    const char* of = named_                   ? " (as in the header)"
                     : sklearn_features_ >= 0 ? " (n_features and the label)"
                                              : " (as in the first row)";
    return Status::InvalidArgument(Where(spec_.path, at, c + 1) + std::to_string(rec.size()) + " fields, expected " +
                                   std::to_string(columns_.size()) + of);
  }
  for (size_t c = 0; c < rec.size(); ++c) {
    const Column& col = columns_[c];
    if (col.role == Role::kDropped) continue;
    if (col.role == Role::kLabel) {
      MLOPS_RETURN_IF_ERROR(ParseLabel(rec[c], c, col));
      continue;
    }
    double v;
    MLOPS_RETURN_IF_ERROR(ParseValue(rec[c], c, col, &v));
    if (std::fabs(v) > FLT_MAX) {
      return Error(rec[c], c,
                   "value " + Quote(rec[c].text) + InColumn(col) + " does not fit a float, expected |x| <= 3.4e38");
    }
    features_.push_back(static_cast<float>(v));
  }
  ++rows_;
  return Status::OK();
}

Status Loader::ParseValue(const CsvField& f, size_t c, const Column& col, double* out) const {
  const bool label = col.role == Role::kLabel;
  if (IsMissing(f.text)) {
    if (!label && col.rule != nullptr && col.rule->allow_missing) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return Status::OK();
    }
    return Error(f, c,
                 (label ? "missing label" : "missing value " + Quote(f.text)) + InColumn(col) +
                     (label ? ", expected a number" : ", expected a number (or allow_missing for the column)"));
  }
  if (!ParseNumber(f.text, out)) {
    return Error(f, c, Quote(f.text) + InColumn(col) + " is not a number, expected a decimal number");
  }
  if (!std::isfinite(*out)) return Error(f, c, "value " + Quote(f.text) + InColumn(col) + ", expected a finite number");
  if (col.rule != nullptr && ((col.rule->min && *out < *col.rule->min) || (col.rule->max && *out > *col.rule->max))) {
    return Error(f, c, "value " + f.text + InColumn(col) + " is out of range, expected " + RangeText(*col.rule));
  }
  return Status::OK();
}

Status Loader::ParseLabel(const CsvField& f, size_t c, const Column& col) {
  if (spec_.task == Task::kRegression) {
    double v;
    MLOPS_RETURN_IF_ERROR(ParseValue(f, c, col, &v));
    labels_.push_back(v);
    return Status::OK();
  }
  if (IsMissing(f.text)) return Error(f, c, "missing label" + InColumn(col) + ", expected a class name");
  if (sklearn_samples_ >= 0) {
    const long long k = static_cast<long long>(classes_->names().size());
    long long index;
    if (!ParseInteger(f.text, &index) || index < 0 || index >= k) {
      return Error(f, c,
                   "label " + Quote(f.text) + ", expected a class index in [0, " + std::to_string(k) + ") (classes " +
                       NameList(classes_->names()) + ")");
    }
    labels_.push_back(static_cast<double>(index));
    return Status::OK();
  }
  if (classes_) {
    const long index = classes_->Find(f.text);
    if (index < 0) {
      return Error(f, c,
                   "unknown label " + Quote(f.text) + InColumn(col) + ", expected one of the classes " +
                       NameList(classes_->names()));
    }
    labels_.push_back(static_cast<double>(index));
    return Status::OK();
  }
  if (label_texts_.empty()) {
    first_label_line_ = f.line;
    first_label_column_ = c + 1;
  }
  label_texts_.push_back(f.text);
  return Status::OK();
}

Status Loader::ReadLabelFile(size_t data_rows) {
  path_ = &spec_.label_path;
  LineReader lines;
  MLOPS_RETURN_IF_ERROR(lines.Open(spec_.label_path));
  CsvRecordReader reader(&lines, spec_.delimiter);
  Column col;
  col.role = Role::kLabel;
  col.name = "target";
  std::vector<CsvField> rec;
  bool eof = false;
  if (spec_.header) {
    MLOPS_RETURN_IF_ERROR(reader.Next(&rec, &eof));
    if (!eof && rec.size() != 1) return LabelFieldCount(rec);
    if (!eof && !rec[0].text.empty()) {
      col.name = rec[0].text;
      col.named = true;
    }
  }
  size_t count = 0;
  for (;;) {
    MLOPS_RETURN_IF_ERROR(reader.Next(&rec, &eof));
    if (eof) break;
    if (rec.size() != 1) return LabelFieldCount(rec);
    if (++count > data_rows) {
      return Status::InvalidArgument(Where(spec_.label_path, reader.line(), 1) + "label " + std::to_string(count) +
                                     ", expected " + std::to_string(data_rows) + " labels (the data rows of " +
                                     spec_.path + ")");
    }
    MLOPS_RETURN_IF_ERROR(ParseLabel(rec[0], 0, col));
  }
  if (count != data_rows) {
    return Status::InvalidArgument(Where(spec_.label_path, reader.line(), 1) + std::to_string(count) +
                                   " labels, expected " + std::to_string(data_rows) + " (the data rows of " +
                                   spec_.path +
                                   (spec_.header ? "; header: true takes each file's first line as names)" : ")"));
  }
  label_name_ = col.name;
  return Status::OK();
}

Status Loader::ResolveClasses() {
  if (classes_) return Status::OK();
  ClassLabels inferred = ClassLabels::Infer(label_texts_);
  if (inferred.names().size() < 2) {
    return Status::InvalidArgument(Where(*path_, first_label_line_, first_label_column_) + "every label is " +
                                   Quote(label_texts_.front()) +
                                   ", expected at least 2 classes (declare 'classes' for a file with one)");
  }
  labels_.reserve(label_texts_.size());
  for (const auto& t : label_texts_) labels_.push_back(static_cast<double>(inferred.Find(t)));
  label_texts_.clear();
  classes_.emplace(std::move(inferred));
  return Status::OK();
}

}  // namespace

Status LoadDataset(const DataSpec& spec, Dataset* out) {
  Loader loader(spec);
  return loader.Load(out);
}

}  // namespace mlops::ml
