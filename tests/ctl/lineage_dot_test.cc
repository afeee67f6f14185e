#include "lineage_dot.h"

#include <gtest/gtest.h>

namespace mlops::ctl {
namespace {

using nlohmann::json;

TEST(LineageDot, DrawsAttemptsArtifactsAndDataVersions) {
  const std::string in(64, 'a'), model(64, 'b');
  const json g = {
      {"attempts", {{{"id", 7}, {"run_id", 3}, {"stage", "train"}, {"attempt", 2},
                     {"plugin", {{"name", "trainer"}}}}}},
      {"edges", {{{"attempt_id", 7}, {"artifact", in}, {"kind", "consumed"}, {"name", "data.csv"}},
                 {{"attempt_id", 7}, {"artifact", model}, {"kind", "produced"}, {"name", "model.mlp"}}}},
      {"data_versions", {{{"id", 4}, {"path", "/d/x.csv"}, {"sha256", in}, {"run_id", 3}}}},
      {"runs", json::array()}};
  const std::string dot = LineageDot(g, model);
  EXPECT_EQ(dot.rfind("digraph lineage {", 0), 0u);
  EXPECT_NE(dot.find("\"attempt:7\" [shape=box, label=\"run 3: train (attempt 2)\\ntrainer\"]"),
            std::string::npos) << dot;
  EXPECT_NE(dot.find("\"artifact:" + in + "\" -> \"attempt:7\";"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"attempt:7\" -> \"artifact:" + model + "\";"), std::string::npos) << dot;
  EXPECT_NE(dot.find("style=bold"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"data:4\" -> \"attempt:7\";"), std::string::npos) << dot;
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
}

TEST(LineageDot, EscapesWhatUsersNamed) {
  const json g = {{"attempts", {{{"id", 1}, {"run_id", 1}, {"stage", "a\"b\\c\nd\x01"}, {"attempt", 1}}}},
                  {"edges", json::array()}};
  const std::string dot = LineageDot(g, "");
  EXPECT_NE(dot.find("label=\"run 1: a\\\"b\\\\c\\nd\"]"), std::string::npos) << dot;
}

}  // namespace
}  // namespace mlops::ctl
