// Clock: the seam for time. The daemon uses SystemClock; tests use FakeClock,
// which only moves when told, so no test sleeps.
#pragma once

#include <chrono>
#include <cstdint>

namespace mlops {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines and backoff.
  virtual TimePoint Now() = 0;
  // Wall time in milliseconds since the Unix epoch, for records.
  virtual int64_t WallMillis() = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() override;
  int64_t WallMillis() override;
};

class FakeClock final : public Clock {
 public:
  TimePoint Now() override { return now_; }
  int64_t WallMillis() override { return wall_epoch_ms_ + now_.time_since_epoch().count(); }
  void Advance(Duration d) { now_ += d; }
  void AdvanceTo(TimePoint t) { if (t > now_) now_ = t; }

 private:
  TimePoint now_{Duration(1'000'000)};
  int64_t wall_epoch_ms_ = 1'700'000'000'000;
};

}  // namespace mlops
