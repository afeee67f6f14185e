// A pipeline's `uses:` is a plugin name, never a path:
// the parser refuses paths, traversal and URLs whether or not the installed
// plugins are known.
#include <gtest/gtest.h>

#include "pipeline/pipeline_parser.h"

namespace mlops::pipeline {
namespace {

bool Parses(const std::string& uses, const std::set<std::string>& known, std::string* errors) {
  std::string yaml = "version: 1\nname: p\nstages:\n  - name: s\n    uses: \"" + uses +
                     "\"\n" + (uses == "exec" ? "    run: echo\n" : "");
  Pipeline p;
  std::vector<PipelineError> errs;
  bool ok = ParsePipeline(yaml, ParseOptions{"t.yaml", known}, &p, &errs);
  errors->clear();
  for (const auto& e : errs) *errors += e.ToString() + "\n";
  return ok;
}

TEST(UsesName, PathsAndTraversalAreRefused) {
  const char* bad[] = {"/usr/lib/evil.so", "../exec",       "./exec",      "plugins/exec",
                       "..",              "..\\\\exec",    "exec.so/",    "file:///tmp/x.so",
                       "exec%2f..",       "exec\\u0000x",  ".hidden",     "ex ec",
                       "exec?x=1",        "exec#frag"};
  for (const std::set<std::string>& known :
       {std::set<std::string>{}, std::set<std::string>{"exec", "signer"}}) {
    for (const char* uses : bad) {
      std::string errors;
      EXPECT_FALSE(Parses(uses, known, &errors)) << uses;
      EXPECT_NE(errors.find("expected a plugin name"), std::string::npos)
          << uses << ": " << errors;
    }
  }
  std::string errors;
  EXPECT_TRUE(Parses("exec", {}, &errors)) << errors;
  EXPECT_TRUE(Parses("my-plugin_2.1", {}, &errors)) << errors;
}

}  // namespace
}  // namespace mlops::pipeline
