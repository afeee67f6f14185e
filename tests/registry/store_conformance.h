// The Store conformance suite: every test in store_conformance*.cc runs
// against every backend instantiated with
//   INSTANTIATE_TEST_SUITE_P(Name, StoreConformance,
//                            ::testing::Values(StoreBackend{"name", opener}),
//                            StoreBackendName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "mlops/common/sha256.h"
#include "mlops/registry/store.h"
#include "temp_dir.h"

namespace mlops::registry {

struct StoreBackend {
  std::string name;
  // Opens a new, empty store that may keep its files under `dir`.
  std::function<Status(const std::string& dir, std::unique_ptr<Store>* out)> open;
};

inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

inline std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

// The digest the suite gives the content called `name`.
inline std::string Digest(const std::string& name) { return Sha256Hex(name); }

// Records a pipeline named `name` and a queued run of it (run->id is set).
inline ::testing::AssertionResult AddPipelineAndRun(Store* store, const std::string& name,
                                                    RunRecord* run) {
  PipelineRecord pipeline;
  pipeline.name = name;
  pipeline.definition_sha256 = Digest(name);
  Status s = store->UpsertPipeline(&pipeline);
  if (s.ok()) {
    run->pipeline_id = pipeline.id;
    s = store->CreateRun(run);
  }
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.message();
}

inline std::vector<int64_t> RunIds(const std::vector<RunRecord>& runs) {
  std::vector<int64_t> ids;
  for (const RunRecord& r : runs) ids.push_back(r.id);
  return ids;
}

inline std::vector<std::string> Stages(const std::vector<StageAttemptRecord>& attempts) {
  std::vector<std::string> out;
  for (const StageAttemptRecord& a : attempts) out.push_back(a.stage);
  return out;
}

inline std::set<std::string> Shas(const std::vector<ArtifactRecord>& artifacts) {
  std::set<std::string> out;
  for (const ArtifactRecord& a : artifacts) out.insert(a.sha256);
  return out;
}

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    Status st = GetParam().open(dir_.path(), &store_);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // Registers pipeline `name` (definition "def of <name>") and returns its id.
  int64_t AddPipeline(const std::string& name, const std::string& definition = "");
  // Creates a run of `pipeline_id` in `status` and returns its id.
  int64_t AddRun(int64_t pipeline_id, RunStatus status = RunStatus::kRunning);
  // Creates a running attempt of `stage` in `run_id` and returns its id.
  int64_t AddAttempt(int64_t run_id, const std::string& stage, const std::string& cache_key = "");
  // Finishes `attempt_id` as succeeded, consuming and producing the named
  // contents (the digest of a name is Sha256Hex(name)).
  void FinishWith(int64_t attempt_id, const std::vector<std::string>& consumed,
                  const std::vector<std::string>& produced,
                  AttemptStatus status = AttemptStatus::kSucceeded);

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace mlops::registry
