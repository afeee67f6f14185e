#include "process/stage_output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace mlops {

StageOutput::StageOutput(int log_fd, uint64_t cap)
    : log_fd_(log_fd),
      cap_(std::max<uint64_t>(cap, 2)),
      head_cap_(cap_ / 2),
      tail_cap_(cap_ - cap_ / 2) {}

bool StageOutput::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(log_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_errno_ = n < 0 ? errno : ENOSPC;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void StageOutput::KeepTail(std::string_view bytes) {
  if (bytes.size() >= tail_cap_) {
    ring_.assign(bytes.substr(bytes.size() - tail_cap_));
    ring_start_ = 0;
    return;
  }
  if (ring_.size() < tail_cap_) {
    const size_t room = std::min<size_t>(tail_cap_ - ring_.size(), bytes.size());
    ring_.append(bytes.substr(0, room));
    bytes.remove_prefix(room);
  }
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), ring_.size() - ring_start_);
    ring_.replace(ring_start_, n, bytes.substr(0, n));
    ring_start_ = (ring_start_ + n) % ring_.size();
    bytes.remove_prefix(n);
  }
}

void StageOutput::Write(std::string_view bytes) {
  total_ += bytes.size();
  if (write_errno_ != 0 || (cut_ && finished_)) return;
  if (head_end_ < 0) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), head_cap_ - written_));
    if (!Append(bytes.substr(0, take))) return;
    written_ += take;
    bytes.remove_prefix(take);
    if (written_ < head_cap_) return;
    struct stat st;
    if (::fstat(log_fd_, &st) != 0) {
      write_errno_ = errno;
      return;
    }
    head_end_ = st.st_size;
  }
  if (bytes.empty()) return;
  KeepTail(bytes);
  if (cut_) return;
  if (total_ <= cap_) {
    if (Append(bytes)) written_ += bytes.size();
    return;
  }
  // Past the cap: the log keeps the head; the tail waits in memory.
  if (::ftruncate(log_fd_, head_end_) != 0) write_errno_ = errno;
  cut_ = true;
}

void StageOutput::Finish() {
  if (!cut_ || finished_ || write_errno_ != 0) return;
  left_out_ = total_ - head_cap_ - ring_.size();
  std::string text = "\n" + CutNote(cap_, left_out_, ring_.size()) + "\n";
  text.append(ring_, ring_start_, std::string::npos);
  text.append(ring_, 0, ring_start_);
  Append(text);
  std::string().swap(ring_);
  ring_start_ = 0;
  finished_ = true;
}

std::string StageOutput::CutNote(uint64_t cap, uint64_t left_out, uint64_t tail) {
  return "[mlopsd] stage output passed its cap of " + FormatBytes(cap) + ": " +
         std::to_string(left_out) + " bytes left out here, between the first " +
         FormatBytes(cap / 2) + " (above) and the last " + FormatBytes(tail) + " (below)";
}

std::string StageOutput::FormatBytes(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double v = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (v >= 1024 && unit < 3) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (v == static_cast<double>(static_cast<uint64_t>(v))) {
    std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(v), kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

}  // namespace mlops
