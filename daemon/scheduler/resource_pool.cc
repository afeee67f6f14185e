#include "scheduler/resource_pool.h"

#include <algorithm>

namespace mlops::scheduler {

std::string Grant::CudaVisibleDevices() const {
  std::string out;
  for (int g : gpus) {
    if (!out.empty()) out.push_back(',');
    out += std::to_string(g);
  }
  return out;
}

bool ResourcePool::NeverFits(const pipeline::Resources& want, std::string* why) const {
  // A stage asking for more cpus than exist still runs alone with all of them.
  if (want.gpus > capacity_.gpus) {
    *why = "needs " + std::to_string(want.gpus) + " GPU(s), this daemon has " +
           std::to_string(capacity_.gpus);
    return true;
  }
  if (capacity_.memory_mb > 0 && want.memory_mb > capacity_.memory_mb) {
    *why = "needs " + std::to_string(want.memory_mb) + " MB of memory, this daemon has " +
           std::to_string(capacity_.memory_mb) + " MB";
    return true;
  }
  return false;
}

bool ResourcePool::TryAcquire(const pipeline::Resources& want, Grant* grant) {
  double cpus = std::min(want.cpus, capacity_.cpus);
  if (cpus_used_ > 0 && cpus_used_ + cpus > capacity_.cpus + 1e-9) return false;
  if (capacity_.memory_mb > 0 && memory_used_ > 0 &&
      memory_used_ + want.memory_mb > capacity_.memory_mb) {
    return false;
  }
  std::vector<int> free;
  for (int i = 0; i < capacity_.gpus && static_cast<int>(free.size()) < want.gpus; ++i) {
    if (!gpu_busy_[i]) free.push_back(i);
  }
  if (static_cast<int>(free.size()) < want.gpus) return false;
  for (int g : free) gpu_busy_[g] = true;
  cpus_used_ += cpus;
  memory_used_ += want.memory_mb;
  grant->cpus = cpus;
  grant->gpus = std::move(free);
  grant->memory_mb = want.memory_mb;
  return true;
}

void ResourcePool::Release(const Grant& grant) {
  cpus_used_ = std::max(0.0, cpus_used_ - grant.cpus);
  memory_used_ = std::max<int64_t>(0, memory_used_ - grant.memory_mb);
  for (int g : grant.gpus) gpu_busy_[g] = false;
}

int ResourcePool::gpus_in_use() const {
  return static_cast<int>(std::count(gpu_busy_.begin(), gpu_busy_.end(), true));
}

}  // namespace mlops::scheduler
