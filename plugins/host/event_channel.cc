#include "event_channel.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace mlops::host {

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void EventChannel::Send(std::string_view json_object) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string lines;
  lines.swap(held_);
  lines.reserve(lines.size() + json_object.size() + 1);
  lines.append(json_object);
  lines.push_back('\n');
  if (fd_ < 0) return;
  if (!WriteAll(fd_, lines)) fd_ = -1;
}

void EventChannel::Hold(std::string_view json_object) {
  std::lock_guard<std::mutex> lock(mu_);
  held_.append(json_object);
  held_.push_back('\n');
}

}  // namespace mlops::host
