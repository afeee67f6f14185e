#include "triggers/coalescer.h"

#include <algorithm>

namespace mlops::triggers {

TriggerCoalescer::TriggerCoalescer(Clock* clock, Duration window)
    : clock_(clock), window_(std::max(window, Duration(0))) {}

std::string TriggerCoalescer::Report(const std::string& repository, const std::string& branch,
                                     const std::string& commit, const std::string& origin) {
  std::lock_guard lock(mu_);
  TimePoint now = clock_->Now();
  auto [it, fresh] = pending_.try_emplace(Key{repository, branch});
  PendingTrigger& p = it->second;
  if (fresh) {
    p.repository = repository;
    p.branch = branch;
    p.commit = commit;
    p.origin = origin;
    p.reports = 1;
    p.first_report = now;
    p.due = now + window_;
    return "";
  }
  ++p.reports;
  if (p.commit == commit) return "";
  std::string replaced = std::move(p.commit);
  p.superseded.push_back(replaced);
  // A commit that comes back within the burst is pending again, not
  // superseded.
  std::erase(p.superseded, commit);
  p.commit = commit;
  p.origin = origin;
  return replaced;
}

void TriggerCoalescer::Hold(const std::string& repository, const std::string& branch) {
  std::lock_guard lock(mu_);
  held_.insert(Key{repository, branch});
}

void TriggerCoalescer::Release(const std::string& repository, const std::string& branch) {
  std::lock_guard lock(mu_);
  held_.erase(Key{repository, branch});
}

bool TriggerCoalescer::held(const std::string& repository, const std::string& branch) const {
  std::lock_guard lock(mu_);
  return held_.count(Key{repository, branch}) != 0;
}

std::optional<TimePoint> TriggerCoalescer::NextDue() const {
  std::lock_guard lock(mu_);
  std::optional<TimePoint> next;
  for (const auto& [key, p] : pending_) {
    if (held_.count(key) != 0) continue;
    if (!next || p.due < *next) next = p.due;
  }
  return next;
}

std::vector<PendingTrigger> TriggerCoalescer::TakeIf(bool only_due) {
  std::lock_guard lock(mu_);
  TimePoint now = clock_->Now();
  std::vector<PendingTrigger> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (only_due && (it->second.due > now || held_.count(it->first) != 0)) {
      ++it;
      continue;
    }
    out.push_back(std::move(it->second));
    it = pending_.erase(it);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PendingTrigger& a, const PendingTrigger& b) { return a.due < b.due; });
  return out;
}

std::vector<PendingTrigger> TriggerCoalescer::TakeDue() { return TakeIf(true); }

std::vector<PendingTrigger> TriggerCoalescer::TakeAll() { return TakeIf(false); }

size_t TriggerCoalescer::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace mlops::triggers
