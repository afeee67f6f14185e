// ResourcePool: the cpu, gpu and memory capacity that running stages hold.
// GPU slots are exclusive and named by index (exported to the stage as
// CUDA_VISIBLE_DEVICES). Thread-safety: not thread-safe; owned by the
// scheduler loop.
#pragma once

#include <string>
#include <vector>

#include "pipeline/pipeline.h"

namespace mlops::scheduler {

struct Capacity {
  double cpus = 2;
  int gpus = 0;
  int64_t memory_mb = 0;  // 0 = not limited
};

struct Grant {
  double cpus = 0;
  std::vector<int> gpus;
  int64_t memory_mb = 0;
  std::string CudaVisibleDevices() const;  // "0,2" or "" for none
};

class ResourcePool {
 public:
  explicit ResourcePool(Capacity capacity) : capacity_(capacity), gpu_busy_(capacity.gpus, false) {}

  // True when the request can never fit, whatever else is released;
  // *why then says which resource.
  bool NeverFits(const pipeline::Resources& want, std::string* why) const;
  // Takes the resources if they are free now.
  bool TryAcquire(const pipeline::Resources& want, Grant* grant);
  void Release(const Grant& grant);

  double cpus_in_use() const { return cpus_used_; }
  int gpus_in_use() const;
  const Capacity& capacity() const { return capacity_; }

 private:
  Capacity capacity_;
  double cpus_used_ = 0;
  int64_t memory_used_ = 0;
  std::vector<bool> gpu_busy_;
};

}  // namespace mlops::scheduler
