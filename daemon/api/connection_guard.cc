#include "api/connection_guard.h"

namespace mlops::api {

ConnectionGuard::ConnectionGuard(ConnectionLimits limits, SocketSeam seam)
    : limits_(limits), seam_(std::move(seam)) {}

void ConnectionGuard::Refresh() {
  std::map<ClientSocket, State> now;
  std::set<ClientSocket> still_shut;
  for (const ClientSocket& s : seam_.list()) {
    if (shut_.count(s)) {
      still_shut.insert(s);
      continue;
    }
    auto it = open_.find(s);
    if (it != open_.end()) {
      State st = it->second;
      st.newest = false;
      now.emplace(s, st);
    } else {
      now.emplace(s, State{true, true, ++sequence_});
    }
  }
  open_.swap(now);
  shut_.swap(still_shut);
}

int ConnectionGuard::Opened() {
  std::lock_guard<std::mutex> lock(mu_);
  Refresh();
  std::map<std::string, int> per_client;
  for (const auto& [s, st] : open_) ++per_client[s.address];
  int closed = 0;
  for (auto& [address, count] : per_client) {
    while (count > limits_.per_client && CloseOldestIdle(address)) {
      --count;
      ++closed;
    }
  }
  while (static_cast<int>(open_.size()) > limits_.workers - limits_.reserve && CloseOldestIdle("")) {
    ++closed;
  }
  return closed;
}

bool ConnectionGuard::CloseOldestIdle(const std::string& address) {
  while (true) {
    auto oldest = open_.end();
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      const State& st = it->second;
      if (!st.idle || st.newest || (!address.empty() && it->first.address != address)) continue;
      if (oldest == open_.end() || st.idle_since < oldest->second.idle_since) oldest = it;
    }
    if (oldest == open_.end()) return false;
    const ClientSocket s = oldest->first;
    // Forgotten either way: closed now, or gone, or about to be served
    // (the next look finds it again).
    open_.erase(oldest);
    if (seam_.shut_down_if_idle(s)) {
      shut_.insert(s);
      ++closed_by_guard_;
      return true;
    }
  }
}

std::map<ClientSocket, ConnectionGuard::State>::iterator ConnectionGuard::Find(
    const std::string& address, int port) {
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->first.port == port && it->first.address == address) return it;
  }
  return open_.end();
}

void ConnectionGuard::RequestStarted(const std::string& address, int port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = Find(address, port);
  if (it == open_.end()) {
    Refresh();
    it = Find(address, port);
  }
  if (it != open_.end()) it->second.idle = false;
}

void ConnectionGuard::RequestEnded(const std::string& address, int port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = Find(address, port);
  if (it != open_.end()) {
    it->second.idle = true;
    it->second.idle_since = ++sequence_;
  }
}

void ConnectionGuard::Closing() { std::lock_guard<std::mutex> lock(mu_); }

int ConnectionGuard::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(open_.size());
}

int64_t ConnectionGuard::closed_by_guard() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_by_guard_;
}

}  // namespace mlops::api
