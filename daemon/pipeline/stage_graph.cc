#include "pipeline/stage_graph.h"

#include <algorithm>

namespace mlops::pipeline {

namespace {

// Stage index by name (the first stage wins) and, per stage, the indices it
// needs; unknown names are dropped.
std::vector<std::vector<int>> NeedsEdges(const Pipeline& pipeline) {
  std::unordered_map<std::string_view, int> index;
  index.reserve(pipeline.stages.size());
  for (size_t i = 0; i < pipeline.stages.size(); ++i) {
    index.emplace(pipeline.stages[i].name, static_cast<int>(i));
  }
  std::vector<std::vector<int>> edges(pipeline.stages.size());
  for (size_t i = 0; i < pipeline.stages.size(); ++i) {
    for (const std::string& need : pipeline.stages[i].needs) {
      const auto it = index.find(need);
      if (it != index.end()) edges[i].push_back(it->second);
    }
  }
  return edges;
}

// Tarjan's strongly connected components, iteratively (a 1000-stage chain
// would otherwise recurse 1000 deep). component[v] numbers each stage's.
std::vector<int> Components(const std::vector<std::vector<int>>& edges) {
  const int n = static_cast<int>(edges.size());
  std::vector<int> order(n, -1), low(n, 0), component(n, -1);
  std::vector<int> stack;
  std::vector<std::pair<int, size_t>> calls;  // stage, next edge to follow
  int counter = 0, components = 0;
  for (int root = 0; root < n; ++root) {
    if (order[root] != -1) continue;
    const auto visit = [&](int v) {
      order[v] = low[v] = counter++;
      stack.push_back(v);
      calls.emplace_back(v, 0);
    };
    visit(root);
    while (!calls.empty()) {
      const int v = calls.back().first;
      const size_t next = calls.back().second;
      if (next < edges[v].size()) {
        ++calls.back().second;
        const int w = edges[v][next];
        if (order[w] == -1) {
          visit(w);
        } else if (component[w] == -1) {
          low[v] = std::min(low[v], order[w]);
        }
        continue;
      }
      calls.pop_back();
      if (!calls.empty()) low[calls.back().first] = std::min(low[calls.back().first], low[v]);
      if (low[v] != order[v]) continue;
      int w = -1;
      do {
        w = stack.back();
        stack.pop_back();
        component[w] = components;
      } while (w != v);
      ++components;
    }
  }
  return component;
}

// A shortest cycle through `start` inside its component, by breadth-first
// search; `parent` is all -1 on entry and on return.
std::vector<int> ShortestCycle(const std::vector<std::vector<int>>& edges,
                               const std::vector<int>& component, int start,
                               std::vector<int>* parent) {
  std::vector<int> queue = {start};
  (*parent)[start] = start;
  int last = -1;
  for (size_t head = 0; head < queue.size() && last == -1; ++head) {
    const int v = queue[head];
    for (int w : edges[v]) {
      if (w == start) {
        last = v;
        break;
      }
      if (component[w] != component[start] || (*parent)[w] != -1) continue;
      (*parent)[w] = v;
      queue.push_back(w);
    }
  }
  std::vector<int> cycle;
  for (int v = last; v != start; v = (*parent)[v]) cycle.push_back(v);
  cycle.push_back(start);
  std::reverse(cycle.begin(), cycle.end());
  cycle.push_back(start);
  for (int v : queue) (*parent)[v] = -1;
  return cycle;
}

}  // namespace

StageGraph::StageGraph(const Pipeline& pipeline) : dependencies_(NeedsEdges(pipeline)) {
  const int n = size();
  index_.reserve(n);
  for (int i = 0; i < n; ++i) index_.emplace(pipeline.stages[i].name, i);
  dependents_.resize(n);
  std::vector<int> unmet(n, 0);
  for (int i = 0; i < n; ++i) {
    for (int d : dependencies_[i]) dependents_[d].push_back(i);
    unmet[i] = static_cast<int>(dependencies_[i].size());
  }
  order_.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (unmet[i] == 0) order_.push_back(i);
  }
  for (size_t head = 0; head < order_.size(); ++head) {
    for (int dependent : dependents_[order_[head]]) {
      if (--unmet[dependent] == 0) order_.push_back(dependent);
    }
  }
}

int StageGraph::Find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

std::vector<std::vector<std::string>> FindCycles(const Pipeline& pipeline) {
  const std::vector<std::vector<int>> edges = NeedsEdges(pipeline);
  const std::vector<int> component = Components(edges);
  const int n = static_cast<int>(edges.size());
  // A component holds a cycle when it has two stages or a self-need.
  std::vector<int> size(n, 0), first(n, -1);
  std::vector<bool> self_need(n, false);
  for (int v = 0; v < n; ++v) {
    const int c = component[v];
    ++size[c];
    if (first[c] == -1) first[c] = v;
    if (std::find(edges[v].begin(), edges[v].end(), v) != edges[v].end()) self_need[c] = true;
  }
  std::vector<std::vector<std::string>> cycles;
  std::vector<int> parent(n, -1);
  for (int v = 0; v < n; ++v) {
    const int c = component[v];
    if (first[c] != v || (size[c] < 2 && !self_need[c])) continue;
    std::vector<std::string> names;
    for (int stage : ShortestCycle(edges, component, v, &parent)) {
      names.push_back(pipeline.stages[stage].name);
    }
    cycles.push_back(std::move(names));
  }
  return cycles;
}

bool FindCycle(const Pipeline& pipeline, std::vector<std::string>* path) {
  std::vector<std::vector<std::string>> cycles = FindCycles(pipeline);
  if (cycles.empty()) return false;
  *path = std::move(cycles.front());
  return true;
}

}  // namespace mlops::pipeline
