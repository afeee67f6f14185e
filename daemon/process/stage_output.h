// StageOutput: what a stage writes on stdout and stderr (its plugin's log
// calls included: they are stdout lines), copied by the runner from the
// attempt's output pipe into its log, with at most `cap` bytes kept per
// attempt: the first half of the cap (the head) and the last half (the
// tail). Output up to the cap is written as it arrives; once an attempt
// passes it, the log is cut back to the head, the tail is kept in memory
// (at most cap/2 bytes), and Finish() writes a line saying how many bytes
// were left out, then the tail. docs/limits.md describes it for users.
//
// A write to the log that fails (a full disk, say) is remembered with its
// errno: the runner ends the attempt with it. Output read after that is
// counted, not written.
// Thread-safety: none; one attempt's output belongs to the runner's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mlops {

class StageOutput {
 public:
  // Does not own `log_fd` (O_APPEND). cap >= 2.
  StageOutput(int log_fd, uint64_t cap);
  StageOutput(const StageOutput&) = delete;
  StageOutput& operator=(const StageOutput&) = delete;

  void Write(std::string_view bytes);
  // Writes the cut note and the tail, if the cap was passed. Output after
  // that (rare: a stage's late descendants) is written while the log is
  // under the cap, else counted and dropped.
  void Finish();

  uint64_t total() const { return total_; }      // bytes the stage wrote
  bool cut() const { return cut_; }
  uint64_t left_out() const { return left_out_; }  // bytes cut, known at Finish
  int write_errno() const { return write_errno_; }  // 0 while every write worked

  // "[mlopsd] stage output passed its cap of 64 MiB: ..." (no newline).
  static std::string CutNote(uint64_t cap, uint64_t left_out, uint64_t tail);
  // "64 MiB", "1.5 KiB", "12 bytes".
  static std::string FormatBytes(uint64_t bytes);

 private:
  bool Append(std::string_view bytes);  // to the log; false and write_errno_ on failure
  void KeepTail(std::string_view bytes);

  const int log_fd_;
  const uint64_t cap_;
  const uint64_t head_cap_;
  const uint64_t tail_cap_;
  uint64_t total_ = 0;       // stage bytes read
  uint64_t written_ = 0;     // stage bytes in the log
  int64_t head_end_ = -1;    // log size once the head was complete; -1 before
  bool cut_ = false;         // the log was cut back to the head
  std::string ring_;         // the last tail_cap_ bytes past the head, circular
  size_t ring_start_ = 0;    // oldest byte, once ring_ is full
  uint64_t left_out_ = 0;
  bool finished_ = false;
  int write_errno_ = 0;
};

}  // namespace mlops
