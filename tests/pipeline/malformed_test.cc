// Every malformed/NAME.yaml must be refused with exactly the lines of
// malformed/NAME.expected ("NAME.yaml:LINE:COL: message"), in that order.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pipeline/pipeline_parser.h"

namespace mlops::pipeline {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(MLOPS_PIPELINE_TEST_DIR) / "malformed";

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(kDir)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class MalformedPipelineTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedPipelineTest, RefusedWithExpectedMessages) {
  const std::string name = GetParam();
  const fs::path expected_path = kDir / (name + ".expected");
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
  std::vector<std::string> expected;
  std::istringstream lines(ReadAll(expected_path));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) expected.push_back(line);
  }

  ParseOptions options;
  options.file_name = name + ".yaml";
  options.known_plugins = {"evaluator", "exec", "quantizer", "signer", "trainer", "tuner"};
  Pipeline p;
  std::vector<PipelineError> errors;
  EXPECT_FALSE(ParsePipeline(ReadAll(kDir / (name + ".yaml")), options, &p, &errors));
  std::vector<std::string> actual;
  for (const PipelineError& e : errors) actual.push_back(e.ToString());
  EXPECT_EQ(actual, expected);
}

INSTANTIATE_TEST_SUITE_P(Files, MalformedPipelineTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace_if(
                               name.begin(), name.end(),
                               [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
                               '_');
                           return name;
                         });

}  // namespace
}  // namespace mlops::pipeline
