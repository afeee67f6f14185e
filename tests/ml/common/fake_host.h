// FakeHost: runs a plugin .so in-process against a recording host API, for
// the ML plugins' tests. The real stage host (plugins/host) is exercised by
// the integration and end-to-end tests; this one lets a test set params and
// inputs directly and look at every metric, param, log line and output.
#pragma once

#include <dlfcn.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "mlops/plugin.h"

namespace mlops::ml::testing {

struct RecordedMetric {
  std::string key;
  double value;
  int64_t step;
};

struct RecordedOutput {
  std::string name, path, media_type;
};

// One stage invocation's inputs and everything the plugin reported.
// Not copyable: the host API receives a pointer to it.
class FakeStage {
 public:
  std::string params_json = "{}";
  std::vector<std::pair<std::string, std::string>> inputs;  // name, absolute path
  std::string work_dir;
  std::string scratch_dir;
  bool cancel = false;

  std::vector<std::string> logs;
  std::vector<RecordedMetric> metrics;
  std::vector<RecordedOutput> outputs;
  std::map<std::string, std::string> params;  // key -> JSON text
  std::string error;
  double last_progress = 0;

  FakeStage() = default;
  FakeStage(const FakeStage&) = delete;
  FakeStage& operator=(const FakeStage&) = delete;

  // Last value of a metric, or `missing`.
  double MetricValue(const std::string& key, double missing = -1e300) const {
    double v = missing;
    for (const auto& m : metrics) {
      if (m.key == key) v = m.value;
    }
    return v;
  }
  const RecordedOutput* Output(const std::string& name) const {
    for (const auto& o : outputs) {
      if (o.name == name) return &o;
    }
    return nullptr;
  }
  std::string AllLogs() const {
    std::string all;
    for (const auto& l : logs) all += l + "\n";
    return all;
  }

  std::mutex mu;  // plugins may report from several threads
};

inline FakeStage* Self(mlops_stage* s) { return reinterpret_cast<FakeStage*>(s); }

inline mlops_host_api MakeFakeHostApi() {
  mlops_host_api api{};
  api.struct_size = sizeof(api);
  api.params_json = [](mlops_stage* s) { return Self(s)->params_json.c_str(); };
  api.input_count = [](mlops_stage* s) { return Self(s)->inputs.size(); };
  api.input_at = [](mlops_stage* s, size_t i, const char** name, const char** path) {
    FakeStage* f = Self(s);
    if (i >= f->inputs.size()) return MLOPS_NOT_FOUND;
    *name = f->inputs[i].first.c_str();
    *path = f->inputs[i].second.c_str();
    return MLOPS_OK;
  };
  api.work_dir = [](mlops_stage* s) { return Self(s)->work_dir.c_str(); };
  api.scratch_dir = [](mlops_stage* s) { return Self(s)->scratch_dir.c_str(); };
  api.log = [](mlops_stage* s, mlops_log_level, const char* m) {
    std::lock_guard<std::mutex> l(Self(s)->mu);
    Self(s)->logs.emplace_back(m);
  };
  api.progress = [](mlops_stage* s, double f, const char*) {
    std::lock_guard<std::mutex> l(Self(s)->mu);
    Self(s)->last_progress = f;
  };
  api.metric = [](mlops_stage* s, const char* key, double v, int64_t step) {
    std::lock_guard<std::mutex> l(Self(s)->mu);
    Self(s)->metrics.push_back({key, v, step});
  };
  api.artifact = [](mlops_stage* s, const char* name, const char* path, const char* mt) {
    std::lock_guard<std::mutex> l(Self(s)->mu);
    std::string p = path;
    if (p.empty() || p[0] != '/') p = Self(s)->work_dir + "/" + p;
    Self(s)->outputs.push_back({name, p, mt != nullptr ? mt : ""});
    return MLOPS_OK;
  };
  api.is_cancelled = [](mlops_stage* s) { return Self(s)->cancel ? 1 : 0; };
  api.set_error = [](mlops_stage* s, const char* m) {
    std::lock_guard<std::mutex> l(Self(s)->mu);
    Self(s)->error = m;
  };
  api.param = [](mlops_stage* s, const char* key, const char* value) {
    std::lock_guard<std::mutex> l(Self(s)->mu);
    Self(s)->params[key] = value;
  };
  return api;
}

// A plugin .so loaded with dlopen, as the stage host does.
class LoadedPlugin {
 public:
  explicit LoadedPlugin(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      load_error_ = dlerror();
      return;
    }
    auto entry = reinterpret_cast<mlops_plugin_entry_fn>(dlsym(handle_, MLOPS_PLUGIN_ENTRY_SYMBOL));
    info_.struct_size = sizeof(info_);
    if (entry == nullptr || entry(&info_) != 0) load_error_ = "no usable entry symbol";
  }
  ~LoadedPlugin() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  bool ok() const { return load_error_.empty(); }
  const std::string& load_error() const { return load_error_; }
  const mlops_plugin_info& info() const { return info_; }

  mlops_status Run(FakeStage& stage) const {
    static const mlops_host_api api = MakeFakeHostApi();
    return info_.run(reinterpret_cast<mlops_stage*>(&stage), &api);
  }

 private:
  void* handle_ = nullptr;
  mlops_plugin_info info_{};
  std::string load_error_;
};

}  // namespace mlops::ml::testing
