// Predictor: the protocol-independent part of answering a prediction. It
// finds the model in the current set, picks the version (the one a path
// names, else production or canary by the routing key), runs the model on
// the request's rows, refuses a non-finite output (a 5xx: the model, not
// the request, is at fault), queues the shadow comparison of a canary
// answer with production's, and offers the request to the prediction log.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "log/prediction_record.h"
#include "mlops/common/status.h"
#include "serving/server/model_set.h"
#include "serving/server/serve_metrics.h"

namespace mlops::serving {

// Rows of raw features, row-major.
struct PredictInput {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> x;
};

// Where a served request is offered for the prediction log (serving/log):
// `admit(rows)` says whether to build the record at all, `offer` takes it.
// Both must never block on I/O. Unset: nothing is logged.
struct PredictionSink {
  std::function<bool(size_t rows)> admit;
  std::function<void(PredictionRecord record)> offer;
};

// The outcome of Resolve: the model and the version that will answer.
struct Resolved {
  std::shared_ptr<const ModelSet> set;  // holds the versions while in use
  const ServedModel* model = nullptr;
  std::shared_ptr<const LoadedVersion> version;
  bool routed = false;  // chosen by routing (not named by the path)
};

// Compares canary answers with production's on the same rows, off the
// response path: one thread, a bounded queue (a comparison that finds it
// full is skipped, not waited for).
class ShadowComparer {
 public:
  explicit ShadowComparer(ServeMetrics* metrics);
  ~ShadowComparer();
  void Offer(std::shared_ptr<const LoadedVersion> production,
             std::shared_ptr<const LoadedVersion> canary, std::shared_ptr<const PredictInput> in,
             std::vector<double> canary_out);
  // Whether two answers of a model of this kind disagree (classification:
  // any row's argmax differs; regression: any value differs by more than
  // 1e-6 relative).
  static bool Disagree(bool classification, size_t width, const std::vector<double>& a,
                       const std::vector<double>& b);

 private:
  struct Job {
    std::shared_ptr<const LoadedVersion> production, canary;
    std::shared_ptr<const PredictInput> in;
    std::vector<double> canary_out;
  };
  void Run();
  ServeMetrics* metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

class Predictor {
 public:
  Predictor(std::function<std::shared_ptr<const ModelSet>()> current, ServeMetrics* metrics,
            PredictionSink sink);

  // NotFound naming the model or version; Unavailable when the model has
  // no version that can answer (the reason of its production's failure).
  Status Resolve(const std::string& model, int64_t version, std::string_view key,
                 Resolved* out) const;
  // Runs the resolved version on `in` (REQUIRES: in->cols is its inputs()).
  // Corruption when an output is not finite.
  Status Run(const Resolved& r, std::shared_ptr<const PredictInput> in, const char* protocol,
             const std::string& request_id, std::vector<double>* out);

  std::shared_ptr<const ModelSet> Current() const { return current_(); }

 private:
  std::function<std::shared_ptr<const ModelSet>()> current_;
  PredictionSink sink_;
  ShadowComparer shadow_;
};

}  // namespace mlops::serving
