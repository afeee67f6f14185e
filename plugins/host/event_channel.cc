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
  std::string line;
  line.reserve(json_object.size() + 1);
  line.append(json_object);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return;
  if (!WriteAll(fd_, line)) fd_ = -1;
}

}  // namespace mlops::host
