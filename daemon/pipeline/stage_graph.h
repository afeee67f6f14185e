// StageGraph: the dependency graph of a valid Pipeline, by stage index (the
// position in Pipeline::stages). Built once in O(V+E); the scheduler asks it
// what a stage needs, what needs it, and an order that respects both.
//
// Thread-safety: immutable after construction, safe to share.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pipeline/pipeline.h"

namespace mlops::pipeline {

class StageGraph {
 public:
  // REQUIRES: every `needs` names a stage of `pipeline`, names are unique and
  // there is no cycle; ParsePipeline guarantees all three. Keeps no
  // reference to `pipeline`.
  explicit StageGraph(const Pipeline& pipeline);

  int size() const { return static_cast<int>(dependencies_.size()); }
  // The index of the stage called `name`, or -1.
  int Find(std::string_view name) const;

  // Stages that `stage` needs, in the order of its `needs`.
  const std::vector<int>& dependencies(int stage) const { return dependencies_[stage]; }
  // Stages that need `stage`, in file order.
  const std::vector<int>& dependents(int stage) const { return dependents_[stage]; }
  // Every stage after all of its dependencies. Stages without `needs` come
  // first in file order, then each stage once its last dependency is placed
  // (Kahn's algorithm, first in first out): the same pipeline always gives
  // the same order.
  const std::vector<int>& topological_order() const { return order_; }

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, int, NameHash, std::equal_to<>> index_;
  std::vector<std::vector<int>> dependencies_;
  std::vector<std::vector<int>> dependents_;
  std::vector<int> order_;
};

// Looks for dependency cycles among the stages of `pipeline`; `needs` naming
// no stage are ignored, a stage that needs itself is a cycle of one. Returns
// one cycle per strongly connected component that has one, in file order of
// their first stage. Each is the stage names along `needs` edges, starting
// and ending with the component's first stage in file order:
// {"a", "b", "c", "a"} when a needs b, b needs c and c needs a. The cycle
// is a shortest one through that stage. O(V+E).
std::vector<std::vector<std::string>> FindCycles(const Pipeline& pipeline);

// The first of FindCycles() in *path; false (and *path untouched) when the
// stages form a DAG.
bool FindCycle(const Pipeline& pipeline, std::vector<std::string>* path);

}  // namespace mlops::pipeline
