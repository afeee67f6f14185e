// The data paths a scan watches: looked up (through the scheduler's
// PipelineCache) once per definition digest, not on every scan.
#include "server/watched_data_paths.h"

#include <gtest/gtest.h>

#include "mlops/common/sha256.h"

namespace mlops::server {
namespace {

registry::PipelineRecord Pipeline(int64_t id, const std::string& name, const std::string& data) {
  registry::PipelineRecord rec;
  rec.id = id;
  rec.name = name;
  rec.definition = "version: 1\nname: " + name + "\n" + (data.empty() ? "" : "on:\n  data: [" + data + "]\n") +
                   "stages:\n  - {name: a, uses: exec, run: \"true\"}\n";
  rec.definition_sha256 = Sha256Hex(rec.definition);
  return rec;
}

using Watched = std::map<std::string, std::vector<int64_t>>;

TEST(WatchedDataPathsTest, AbsolutePathsOfEveryPipelineInTheGivenOrder) {
  scheduler::PipelineCache cache;
  WatchedDataPaths w(&cache);
  Watched got = w.Update({Pipeline(7, "a", "/data/x.csv, rel/y.csv"), Pipeline(3, "b", "/data/x.csv"),
                          Pipeline(5, "c", "")});
  EXPECT_EQ(got, (Watched{{"/data/x.csv", {7, 3}}}));  // the relative path is git's
  EXPECT_EQ(w.lookups(), 3);
}

TEST(WatchedDataPathsTest, AnUnchangedDefinitionIsNotParsedAgain) {
  scheduler::PipelineCache cache;
  WatchedDataPaths w(&cache);
  const std::vector<registry::PipelineRecord> list = {Pipeline(1, "a", "/d/1"), Pipeline(2, "b", "/d/2")};
  const Watched first = w.Update(list);
  for (int scan = 0; scan < 5; ++scan) EXPECT_EQ(w.Update(list), first);
  EXPECT_EQ(w.lookups(), 2);
}

TEST(WatchedDataPathsTest, ANewDefinitionIsParsedAndAGoneOneForgotten) {
  scheduler::PipelineCache cache;
  WatchedDataPaths w(&cache);
  w.Update({Pipeline(1, "a", "/d/1"), Pipeline(2, "b", "/d/2")});
  // Pipeline b changed (a new digest) and now watches another path.
  Watched got = w.Update({Pipeline(1, "a", "/d/1"), Pipeline(2, "b", "/d/3")});
  EXPECT_EQ(got, (Watched{{"/d/1", {1}}, {"/d/3", {2}}}));
  EXPECT_EQ(w.lookups(), 3);
  // Pipeline a is gone; if it comes back it is parsed again.
  EXPECT_EQ(w.Update({Pipeline(2, "b", "/d/3")}), (Watched{{"/d/3", {2}}}));
  EXPECT_EQ(w.Update({Pipeline(1, "a", "/d/1"), Pipeline(2, "b", "/d/3")}),
            (Watched{{"/d/1", {1}}, {"/d/3", {2}}}));
  EXPECT_EQ(w.lookups(), 4);
  EXPECT_EQ(cache.parses(), 3);  // a's definition came back from the cache, unparsed
}

TEST(WatchedDataPathsTest, ABrokenDefinitionWatchesNothingAndIsNotRetriedUnchanged) {
  scheduler::PipelineCache cache;
  WatchedDataPaths w(&cache);
  registry::PipelineRecord broken = Pipeline(1, "a", "/d/1");
  broken.definition = "version: 1\nname: a\non: {data: [/d/1]}\nstages: [{name: a, uses: exec, run: [unclosed\n";
  broken.definition_sha256 = Sha256Hex(broken.definition);
  EXPECT_EQ(w.Update({broken, Pipeline(2, "b", "/d/2")}), (Watched{{"/d/2", {2}}}));
  EXPECT_EQ(w.Update({broken, Pipeline(2, "b", "/d/2")}), (Watched{{"/d/2", {2}}}));
  EXPECT_EQ(w.lookups(), 2);
}

TEST(WatchedDataPathsTest, ARecordWithoutItsDigestIsHashedNotReparsed) {
  scheduler::PipelineCache cache;
  WatchedDataPaths w(&cache);
  registry::PipelineRecord rec = Pipeline(1, "a", "/d/1");
  rec.definition_sha256.clear();
  EXPECT_EQ(w.Update({rec}), (Watched{{"/d/1", {1}}}));
  EXPECT_EQ(w.Update({rec}), (Watched{{"/d/1", {1}}}));
  EXPECT_EQ(w.lookups(), 1);
}

}  // namespace
}  // namespace mlops::server
