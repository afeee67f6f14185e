// ComputeCacheKey: every input that decides a stage's outputs changes the
// key, each on its own; the order of the inputs list does not.
#include "scheduler/cache_key.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

namespace mlops::scheduler {
namespace {

CacheKeyParts Base() {
  CacheKeyParts p;
  p.stage = "train";
  p.plugin_name = "trainer";
  p.plugin_version = "1.0.0";
  p.plugin_sha256 = std::string(64, 'a');
  p.params_json = R"({"lr":0.1})";
  p.inputs = {{"data/a.csv", std::string(64, 'b')}, {"data/b.csv", std::string(64, 'c')}};
  p.upstream_keys = {std::string(64, 'd'), std::string(64, 'e')};
  p.commit = std::string(40, '1');
  return p;
}

TEST(CacheKeyTest, EveryPartChangesTheKey) {
  const std::string base = ComputeCacheKey(Base());
  EXPECT_EQ(ComputeCacheKey(Base()), base);
  EXPECT_EQ(base.size(), 64u);
  const std::vector<std::pair<std::string, std::function<void(CacheKeyParts*)>>> changes = {
      {"stage", [](CacheKeyParts* p) { p->stage = "train2"; }},
      {"plugin name", [](CacheKeyParts* p) { p->plugin_name = "trainer2"; }},
      {"plugin version", [](CacheKeyParts* p) { p->plugin_version = "1.0.1"; }},
      {"plugin digest", [](CacheKeyParts* p) { p->plugin_sha256 = std::string(64, 'f'); }},
      {"params", [](CacheKeyParts* p) { p->params_json = R"({"lr":0.2})"; }},
      {"an input's digest", [](CacheKeyParts* p) { p->inputs[1].second = std::string(64, 'f'); }},
      {"an input's name", [](CacheKeyParts* p) { p->inputs[0].first = "data/a0.csv"; }},  // same order
      {"digests swapped between inputs",
       [](CacheKeyParts* p) { std::swap(p->inputs[0].second, p->inputs[1].second); }},
      {"one input fewer", [](CacheKeyParts* p) { p->inputs.pop_back(); }},
      {"an upstream key", [](CacheKeyParts* p) { p->upstream_keys[1] = std::string(64, 'f'); }},
      {"upstream order", [](CacheKeyParts* p) { std::swap(p->upstream_keys[0], p->upstream_keys[1]); }},
      {"commit", [](CacheKeyParts* p) { p->commit = std::string(40, '2'); }},
  };
  std::set<std::string> keys = {base};
  for (const auto& [what, change] : changes) {
    CacheKeyParts p = Base();
    change(&p);
    const std::string key = ComputeCacheKey(p);
    EXPECT_NE(key, base) << what << " does not change the key";
    EXPECT_TRUE(keys.insert(key).second) << what << " gives the key of another change";
  }
}

TEST(CacheKeyTest, InputOrderDoesNotMatter) {
  CacheKeyParts p = Base();
  std::swap(p.inputs[0], p.inputs[1]);
  EXPECT_EQ(ComputeCacheKey(p), ComputeCacheKey(Base()));
}

// Parts are not concatenated ambiguously: moving text from one part to the
// next gives another key.
TEST(CacheKeyTest, PartBoundariesCount) {
  CacheKeyParts a = Base(), b = Base();
  a.plugin_name = "train";
  a.plugin_version = "er1.0.0";
  b.plugin_name = "trainer";
  b.plugin_version = "1.0.0";
  EXPECT_NE(ComputeCacheKey(a), ComputeCacheKey(b));
}

}  // namespace
}  // namespace mlops::scheduler
