// The `on.drift` grammar (docs/pipeline-format.md, "Drift policy"): what a
// policy parses into when the parser is told to accept it, its defaults,
// its errors with positions, and the refusal every daemon gets until a
// drift monitor acts on it.
#include <gtest/gtest.h>

#include "pipeline/pipeline_parser.h"

namespace mlops::pipeline {
namespace {

std::string WithDrift(const std::string& drift) {
  return "version: 1\nname: p\non:\n  drift:" + drift + "\nstages:\n  - {name: s, uses: exec, run: 'true'}\n";
}

// Parses with on.drift accepted; fails the test on any error.
DriftPolicy Accepted(const std::string& yaml) {
  ParseOptions options{"p.yaml", {}};
  options.accept_drift_policy = true;
  Pipeline p;
  std::vector<PipelineError> errors;
  EXPECT_TRUE(ParsePipeline(yaml, options, &p, &errors));
  for (const PipelineError& e : errors) ADD_FAILURE() << e.ToString();
  EXPECT_TRUE(p.on.drift.has_value());
  return p.on.drift.value_or(DriftPolicy{});
}

std::vector<std::string> Errors(const std::string& yaml, bool accept = true) {
  ParseOptions options{"p.yaml", {}};
  options.accept_drift_policy = accept;
  Pipeline p;
  std::vector<PipelineError> errors;
  EXPECT_FALSE(ParsePipeline(yaml, options, &p, &errors));
  std::vector<std::string> lines;
  for (const PipelineError& e : errors) lines.push_back(e.ToString());
  return lines;
}

TEST(DriftPolicyTest, EveryKey) {
  const DriftPolicy d = Accepted(WithDrift(R"(
    source: both
    measure: js
    threshold: 0.3
    features:
      mean radius: { measure: ks, threshold: 0.15 }
      mean area: { threshold: 0.4 }
      worst texture: { measure: wasserstein }
      worst area:
    watch: listed
    min_features: 2
    min_rows: 2000
    windows: 3
    cooldown: 6h)"));
  EXPECT_EQ(d.source, DriftPolicy::Source::kBoth);
  EXPECT_EQ(d.all.measure, "js");
  EXPECT_EQ(d.all.threshold, 0.3);
  ASSERT_EQ(d.features.size(), 4u);
  EXPECT_EQ(d.features.at("mean radius").measure, "ks");
  EXPECT_EQ(d.features.at("mean radius").threshold, 0.15);
  EXPECT_EQ(d.features.at("mean area").measure, "js");  // the policy's measure
  EXPECT_EQ(d.features.at("mean area").threshold, 0.4);
  EXPECT_EQ(d.features.at("worst texture").measure, "wasserstein");
  EXPECT_FALSE(d.features.at("worst texture").threshold.has_value());  // its own default
  EXPECT_EQ(d.features.at("worst area").measure, "js");
  EXPECT_EQ(d.features.at("worst area").threshold, 0.3);
  EXPECT_TRUE(d.listed_only);
  EXPECT_EQ(d.min_features, 2);
  EXPECT_EQ(d.min_rows, 2000);
  EXPECT_EQ(d.windows, 3);
  EXPECT_EQ(d.cooldown, std::chrono::hours(6));
  EXPECT_EQ(d.pos.line, 4);
  EXPECT_EQ(d.pos.column, 3);
}

TEST(DriftPolicyTest, Defaults) {
  for (const char* body : {" {}", ""}) {
    const DriftPolicy d = Accepted(WithDrift(body));
    EXPECT_EQ(d.source, DriftPolicy::Source::kServed);
    EXPECT_EQ(d.all.measure, "psi");
    EXPECT_FALSE(d.all.threshold.has_value());
    EXPECT_TRUE(d.features.empty());
    EXPECT_FALSE(d.listed_only);
    EXPECT_EQ(d.min_features, 1);
    EXPECT_EQ(d.min_rows, 1000);
    EXPECT_EQ(d.windows, 1);
    EXPECT_EQ(d.cooldown, std::chrono::hours(1));
  }
}

// More errors, one per key, in tests/pipeline/malformed/bad_drift.yaml.
TEST(DriftPolicyTest, ErrorsNamePositionAndExpectation) {
  EXPECT_EQ(Errors(WithDrift(" {measure: chi2}")),
            std::vector<std::string>{
                "p.yaml:4:20: 'on.drift.measure': expected psi, ks, js or wasserstein, got 'chi2'"});
  EXPECT_EQ(Errors(WithDrift(" {measure: ks, threshold: 1.5}")),
            std::vector<std::string>{
                "p.yaml:4:35: 'on.drift.threshold': ks scores lie in [0, 1], expected a number below 1"});
  EXPECT_EQ(Errors(WithDrift(" {source: kafka, threshold: -1}")),
            (std::vector<std::string>{
                "p.yaml:4:19: 'on.drift.source': expected served, data or both, got 'kafka'",
                "p.yaml:4:37: 'on.drift.threshold': expected a number > 0, got '-1'"}));
  EXPECT_EQ(Errors(WithDrift(" {watch: listed}")),
            std::vector<std::string>{"p.yaml:4:18: 'on.drift.watch': 'listed' needs at least one "
                                     "feature under 'on.drift.features'"});
  EXPECT_EQ(Errors(WithDrift(" {watch: listed, min_features: 2, features: {a: }}")),
            std::vector<std::string>{
                "p.yaml:4:18: 'on.drift.min_features' is 2 but only 1 features are watched"});
  EXPECT_EQ(Errors(WithDrift(" {feature_psi: 0.2}")),
            std::vector<std::string>{
                "p.yaml:4:11: unknown key 'feature_psi' in 'on.drift' (allowed: source, measure, "
                "threshold, features, watch, min_features, min_rows, windows, cooldown)"});
}

// Until the daemon acts on a drift policy, a valid one is refused with a
// message that says so; an invalid one gets its own errors first.
TEST(DriftPolicyTest, RefusedUntilADriftMonitorActsOnIt) {
  EXPECT_EQ(Errors(WithDrift(" {measure: psi, threshold: 0.2}"), false),
            std::vector<std::string>{
                "p.yaml:4:3: 'on.drift': drift policies are checked but not yet acted on (this "
                "mlopsd has no drift monitor), so this one would protect nothing; remove "
                "'on.drift' (docs/pipeline-format.md, \"Drift policy\")"});
  EXPECT_EQ(Errors(WithDrift(" {measure: chi2}"), false),
            std::vector<std::string>{
                "p.yaml:4:20: 'on.drift.measure': expected psi, ks, js or wasserstein, got 'chi2'"});
}

}  // namespace
}  // namespace mlops::pipeline
