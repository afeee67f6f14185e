// EventChannel: the stage host's half of the event stream to the daemon.
// Each Send() writes one whole line (a JSON object plus '\n') to a file
// descriptor, retrying short writes, so lines never interleave.
// Thread-safety: Send() may be called from any thread.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace mlops::host {

class EventChannel {
 public:
  // Does not own `fd`. fd < 0 discards every event (a host run by hand).
  explicit EventChannel(int fd) : fd_(fd) {}
  EventChannel(const EventChannel&) = delete;
  EventChannel& operator=(const EventChannel&) = delete;

  // Writes `json_object` and a newline, after any held lines, in one
  // write. A write error (the daemon is gone) disables the channel; the
  // stage goes on.
  void Send(std::string_view json_object);
  // Keeps the line for the next Send(): for events that only count with
  // the result (output artifacts), so that the daemon wakes once for both.
  void Hold(std::string_view json_object);

 private:
  std::mutex mu_;
  int fd_;  // guarded by mu_
  std::string held_;  // guarded by mu_
};

// Writes all of `data` to `fd`, retrying EINTR and short writes.
bool WriteAll(int fd, std::string_view data);

}  // namespace mlops::host
