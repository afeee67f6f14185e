// PredictionLog: records sampled prediction requests for drift detection,
// in per-model, time-ordered segment files under a root folder
// (<state>/serving/predictions/<model>/<started_ms>-<seq>.jsonl; format in
// docs/serving.md, "Prediction log").
//
// The request path calls Admit(rows) and, when it says yes, builds a
// PredictionRecord and Offer()s it. Neither ever waits for the disk: Admit
// applies the sample rate and the rows-per-second cap; Offer puts the record
// on a bounded queue and drops it (counted) when the queue is full. One
// background thread encodes and appends, rotates segments and keeps the
// whole log under max_size_mb and max_age, dropping the oldest segment
// first. A write error (a full disk) drops the records it concerns, counts
// them and logs a warning at most once a minute; the next write tries
// again, so the log resumes by itself when space returns.
// Records carry only rows, outputs and ids the server chose to pass: no
// header, token or other secret reaches this class.
//
// Thread-safety: Admit, Offer, Flush and Stats are safe from any thread.
// Start and Stop are called by the owner, once each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "log/prediction_log_options.h"
#include "log/prediction_record.h"
#include "log/segment_files.h"
#include "mlops/common/clock.h"

namespace mlops::serving {

// Cumulative since Start.
struct PredictionLogStats {
  int64_t admitted = 0;          // requests Admit said yes to
  int64_t sampled_out = 0;       // requests left out by sample_rate
  int64_t rate_limited = 0;      // requests left out by max_rows_per_second
  int64_t queue_full = 0;        // records dropped: the writer was behind
  int64_t invalid = 0;           // records dropped: inconsistent (CheckPredictionRecord)
  int64_t write_failed = 0;      // records dropped: the disk refused
  int64_t written_records = 0;
  int64_t written_rows = 0;
  int64_t segments_dropped = 0;  // by the size or age bound
  int64_t bytes = 0;             // the log's size on disk now
  int64_t segments = 0;          // segment files now
};

class PredictionLog {
 public:
  // `root`: <state>/serving/predictions. `clock` and `files` must outlive
  // the log; null means the system ones.
  PredictionLog(std::string root, PredictionLogOptions options, Clock* clock = nullptr,
                SegmentFiles* files = nullptr);
  ~PredictionLog();  // Stop()
  PredictionLog(const PredictionLog&) = delete;
  PredictionLog& operator=(const PredictionLog&) = delete;

  // Checks the options, indexes the segments already there (they are
  // kept, bounded like new ones, and never appended to) and starts the
  // writer. Disabled: does nothing and returns OK. InvalidArgument on bad
  // options; IOError when the root cannot be created or listed.
  Status Start();
  // Writes what is queued, then stops the writer. Idempotent.
  void Stop();

  // Whether a request of `rows` rows is to be logged: false when disabled
  // or stopped, when sampled out, or when the rows-per-second bucket is
  // empty (a request larger than the bucket is admitted while it is not
  // empty and leaves it in debt, so batches are never starved).
  bool Admit(size_t rows);
  // Queues an admitted record for the writer; never blocks on I/O.
  void Offer(PredictionRecord record);
  // Waits until every record offered before the call is written or
  // dropped and the bounds are applied (tests, shutdown, benchmarks).
  void Flush();

  PredictionLogStats Stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mlops::serving
