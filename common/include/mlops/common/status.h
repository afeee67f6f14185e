// Status: the outcome of an operation that can fail, as a plain value.
// OK carries no message and costs nothing; every other code carries a
// human-readable message that says where and what was expected.
// Thread-safety: immutable after construction, safe to share.
#pragma once

#include <string>
#include <utility>

namespace mlops {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // the named thing does not exist
    kInvalidArgument,  // caller input is malformed
    kCorruption,       // stored data is unreadable or inconsistent
    kIOError,          // the OS refused (file, socket, process)
    kConflict,         // a concurrent change or a state that forbids it
    kUnavailable,      // a peer or resource cannot be reached now
    kPermissionDenied,
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  // IOError with strerror(errno_value) appended: "what: reason".
  static Status FromErrno(const std::string& what, int errno_value);

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsPermissionDenied() const { return code_ == Code::kPermissionDenied; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

#define MLOPS_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::mlops::Status _st = (expr);          \
    if (!_st.ok()) return _st;             \
  } while (0)

}  // namespace mlops
