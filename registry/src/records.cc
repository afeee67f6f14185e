#include "mlops/registry/records.h"

#include <array>
#include <string_view>
#include <utility>

namespace mlops::registry {

namespace {

constexpr std::array<std::pair<RunStatus, const char*>, 6> kRunNames = {{
    {RunStatus::kQueued, "queued"},
    {RunStatus::kRunning, "running"},
    {RunStatus::kSucceeded, "succeeded"},
    {RunStatus::kFailed, "failed"},
    {RunStatus::kCancelled, "cancelled"},
    {RunStatus::kInterrupted, "interrupted"},
}};

constexpr std::array<std::pair<AttemptStatus, const char*>, 7> kAttemptNames = {{
    {AttemptStatus::kRunning, "running"},
    {AttemptStatus::kSucceeded, "succeeded"},
    {AttemptStatus::kFailed, "failed"},
    {AttemptStatus::kTimedOut, "timed_out"},
    {AttemptStatus::kCancelled, "cancelled"},
    {AttemptStatus::kCached, "cached"},
    {AttemptStatus::kInterrupted, "interrupted"},
}};

constexpr std::array<std::pair<CommitStatus, const char*>, 4> kCommitNames = {{
    {CommitStatus::kPending, "pending"},
    {CommitStatus::kTriggered, "triggered"},
    {CommitStatus::kSuperseded, "superseded"},
    {CommitStatus::kIgnored, "ignored"},
}};

constexpr std::array<std::pair<EdgeKind, const char*>, 2> kEdgeNames = {{
    {EdgeKind::kConsumed, "consumed"},
    {EdgeKind::kProduced, "produced"},
}};

template <typename E, size_t N>
const char* NameOf(const std::array<std::pair<E, const char*>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
bool ValueOf(const std::array<std::pair<E, const char*>, N>& table, std::string_view name, E* out) {
  for (const auto& [v, n] : table) {
    if (name == n) {
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace

const char* ToString(RunStatus s) { return NameOf(kRunNames, s); }
bool ParseRunStatus(const std::string& s, RunStatus* out) { return ValueOf(kRunNames, s, out); }

const char* ToString(AttemptStatus s) { return NameOf(kAttemptNames, s); }
bool ParseAttemptStatus(const std::string& s, AttemptStatus* out) {
  return ValueOf(kAttemptNames, s, out);
}

const char* ToString(EdgeKind k) { return NameOf(kEdgeNames, k); }
bool ParseEdgeKind(const std::string& s, EdgeKind* out) { return ValueOf(kEdgeNames, s, out); }

const char* ToString(CommitStatus s) { return NameOf(kCommitNames, s); }
bool ParseCommitStatus(const std::string& s, CommitStatus* out) {
  return ValueOf(kCommitNames, s, out);
}

}  // namespace mlops::registry
