#include "log/prediction_log_options.h"

#include <cmath>
#include <string>

namespace mlops::serving {

Status CheckPredictionLogOptions(const PredictionLogOptions& o) {
  if (!(o.sample_rate >= 0.0 && o.sample_rate <= 1.0))
    return Status::InvalidArgument("sample_rate must be between 0 and 1, got " +
                                   std::to_string(o.sample_rate));
  if (o.max_rows_per_second < 0)
    return Status::InvalidArgument("max_rows_per_second must be 0 (no cap) or more, got " +
                                   std::to_string(o.max_rows_per_second));
  // 1 TiB: far above any sane log, low enough that MiB -> bytes cannot overflow.
  if (o.max_size_mb < 1 || o.max_size_mb > (int64_t{1} << 20))
    return Status::InvalidArgument("max_size_mb must be between 1 and 1048576, got " +
                                   std::to_string(o.max_size_mb));
  if (o.max_age.count() < 0)
    return Status::InvalidArgument("max_age must be 0 (no limit) or a positive duration");
  if (o.queue_records == 0 || o.queue_bytes == 0)
    return Status::InvalidArgument("the prediction log's queue must hold at least one record");
  if (o.segment_bytes < 0 || o.segment_duration.count() <= 0)
    return Status::InvalidArgument("segment_bytes must be >= 0 and segment_duration positive");
  return Status::OK();
}

}  // namespace mlops::serving
