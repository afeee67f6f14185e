// Shared by the prediction log tests: records of a small classification
// model, and a SegmentFiles that fails appends on demand (a full disk).
#pragma once

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "log/prediction_record.h"
#include "log/segment_files.h"

namespace mlops::serving::testing {

inline std::shared_ptr<const PredictionSchema> IrisSchema() {
  auto s = std::make_shared<PredictionSchema>();
  s->feature_names = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
  s->classes = {"setosa", "versicolor", "virginica"};
  return s;
}

// `rows` rows whose first feature is `tag` (so tests can tell records apart).
inline PredictionRecord IrisRecord(int64_t time_ms, int64_t version, size_t rows, float tag,
                                   std::shared_ptr<const PredictionSchema> schema = IrisSchema()) {
  PredictionRecord r;
  r.time_ms = time_ms;
  r.model = "iris";
  r.version = version;
  r.protocol = kProtocolOpenInference;
  r.schema = std::move(schema);
  r.rows = rows;
  for (size_t i = 0; i < rows; ++i) {
    r.inputs.insert(r.inputs.end(), {tag, 3.5f, 1.4f, 0.2f});
    r.outputs.insert(r.outputs.end(), {0.9, 0.07, 0.03});
  }
  return r;
}

// The real files; fakes override what they change.
class ForwardingFiles : public SegmentFiles {
 public:
  Status MakeDirs(const std::string& dir) override { return real_.MakeDirs(dir); }
  Status Append(const std::string& path, std::string_view data) override {
    return real_.Append(path, data);
  }
  Status Remove(const std::string& path) override { return real_.Remove(path); }
  Status List(const std::string& dir, std::vector<Entry>* out) override { return real_.List(dir, out); }

 private:
  PosixSegmentFiles real_;
};

// Appends fail with ENOSPC while `full` is set.
class FullDiskFiles final : public ForwardingFiles {
 public:
  std::atomic<bool> full{false};
  Status Append(const std::string& path, std::string_view data) override {
    if (full) return Status::FromErrno("append to " + path, ENOSPC);
    return ForwardingFiles::Append(path, data);
  }
};

}  // namespace mlops::serving::testing
