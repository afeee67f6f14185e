#include "process/stage_host_env.h"

#include <map>
#include <mutex>

extern char** environ;

namespace mlops {
namespace {

std::mutex& OverridesMutex() {
  static std::mutex mu;
  return mu;
}

// Name -> value; an empty value removes the name.
std::map<std::string, std::string>& Overrides() {
  static std::map<std::string, std::string> overrides;
  return overrides;
}

}  // namespace

void SetStageHostEnv(const std::string& name, const std::string& value) {
  std::lock_guard<std::mutex> lock(OverridesMutex());
  Overrides()[name] = value;
}

StageHostEnvironment::StageHostEnvironment() {
  std::lock_guard<std::mutex> lock(OverridesMutex());
  const auto& overrides = Overrides();
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (overrides.count(name) == 0) entries_.push_back(std::move(entry));
  }
  for (const auto& [name, value] : overrides) {
    if (!value.empty()) entries_.push_back(name + "=" + value);
  }
  for (std::string& entry : entries_) pointers_.push_back(entry.data());
  pointers_.push_back(nullptr);
}

}  // namespace mlops
