#include "pipeline/pipeline_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "pipeline/stage_graph.h"

namespace mlops::pipeline {
namespace {

using std::chrono::milliseconds;

const std::set<std::string> kPlugins = {"evaluator", "exec",    "quantizer",
                                        "signer",    "trainer", "tuner"};

Pipeline ParseOk(const std::string& yaml) {
  Pipeline p;
  std::vector<PipelineError> errors;
  EXPECT_TRUE(ParsePipeline(yaml, ParseOptions{"t.yaml", kPlugins}, &p, &errors));
  for (const PipelineError& e : errors) ADD_FAILURE() << e.ToString();
  return p;
}

std::vector<std::string> Errors(const std::string& yaml) {
  Pipeline p;
  p.name = "untouched";
  std::vector<PipelineError> errors;
  EXPECT_FALSE(ParsePipeline(yaml, ParseOptions{"t.yaml", kPlugins}, &p, &errors));
  EXPECT_EQ(p.name, "untouched");
  std::vector<std::string> lines;
  for (const PipelineError& e : errors) lines.push_back(e.ToString());
  return lines;
}

std::string OneStage(const std::string& body) {
  return "version: 1\nname: p\nstages:\n  - name: s\n" + body;
}

TEST(PipelineParserTest, SpecExample) {
  Pipeline p;
  std::vector<PipelineError> errors;
  const std::string path = std::string(MLOPS_PIPELINE_TEST_DIR) + "/valid/spec_example.yaml";
  ASSERT_TRUE(ParsePipelineFile(path, ParseOptions{"<pipeline>", kPlugins}, &p, &errors))
      << (errors.empty() ? "" : errors[0].ToString());
  EXPECT_EQ(p.version, 1);
  EXPECT_EQ(p.name, "breast-cancer");
  EXPECT_EQ(p.on.git_branches, std::vector<std::string>{"main"});
  EXPECT_EQ(p.on.data_paths, std::vector<std::string>{"data/breast_cancer.csv"});
  EXPECT_FALSE(p.on.drift.has_value());
  ASSERT_EQ(p.stages.size(), 6u);

  const Stage& prepare = p.stages[0];
  EXPECT_EQ(prepare.name, "prepare");
  EXPECT_EQ(prepare.uses, "exec");
  EXPECT_TRUE(prepare.needs.empty());
  EXPECT_EQ(prepare.run, "python3 prepare.py --out features.csv");
  EXPECT_FALSE(prepare.shell);
  EXPECT_EQ(prepare.argv,
            (std::vector<std::string>{"python3", "prepare.py", "--out", "features.csv"}));
  EXPECT_EQ(prepare.inputs, std::vector<std::string>{"data/breast_cancer.csv"});
  EXPECT_EQ(prepare.outputs, std::vector<std::string>{"features.csv"});
  EXPECT_EQ(prepare.with_json, "{}");
  EXPECT_EQ(prepare.pos.line, 8);
  EXPECT_EQ(prepare.pos.column, 5);

  const Stage& tune = p.stages[1];
  EXPECT_EQ(tune.uses, "tuner");
  EXPECT_EQ(tune.needs, std::vector<std::string>{"prepare"});
  EXPECT_EQ(
      tune.with_json,
      R"j({"parallel":2,"space":{"hidden":"choice(16, 32, 64)","lr":"loguniform(1e-4, 1e-1)"},)j"
      R"j("strategy":"tpe","target":"val_f1","trials":24})j");
  EXPECT_TRUE(tune.argv.empty());

  const Stage& train = p.stages[2];
  EXPECT_EQ(train.uses, "trainer");
  EXPECT_EQ(train.resources.gpus, 1);
  EXPECT_DOUBLE_EQ(train.resources.cpus, 2);
  EXPECT_EQ(train.resources.memory_mb, 0);
  EXPECT_EQ(train.retries, 2);
  EXPECT_EQ(train.timeout, std::chrono::minutes(30));
  EXPECT_EQ(train.retry_backoff, milliseconds(1000));

  EXPECT_EQ(p.stages[3].with_json,
            R"j({"compare_to":"production","gates":{"f1":">= 0.95","roc_auc":">= 0.98"}})j");
  EXPECT_EQ(p.stages[4].name, "quantize");
  EXPECT_EQ(p.stages[5].needs, std::vector<std::string>{"quantize"});
  EXPECT_EQ(p.stages[5].timeout, std::chrono::hours(1));

  ASSERT_TRUE(p.model.has_value());
  EXPECT_EQ(p.model->name, "breast-cancer-mlp");
  EXPECT_EQ(p.model->artifact, "quantize.model");
  EXPECT_EQ(p.model->promote_staging, "on_gates");
  EXPECT_EQ(p.model->promote_production, "manual");
  EXPECT_EQ(p.FindStage("evaluate"), &p.stages[3]);
  EXPECT_EQ(p.FindStage("deploy"), nullptr);

  const StageGraph g(p);
  EXPECT_EQ(g.topological_order(), (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(PipelineParserTest, DocsFullExample) {
  const std::string dir = MLOPS_PIPELINE_TEST_DIR;
  std::ifstream doc(dir + "/../../docs/pipeline-format.md");
  ASSERT_TRUE(doc.good());
  std::string line, example;
  bool in_example = false;
  while (std::getline(doc, line)) {
    if (line == "```yaml") {
      in_example = true;
      example.clear();
    } else if (in_example && line == "```") {
      in_example = false;
    } else if (in_example) {
      example += line + "\n";
    }
  }
  std::ifstream file(dir + "/valid/full_example.yaml");
  std::stringstream copy;
  copy << file.rdbuf();
  EXPECT_EQ(copy.str(), example) << "docs/pipeline-format.md and valid/full_example.yaml differ";

  const Pipeline p = ParseOk(example);
  ASSERT_EQ(p.stages.size(), 7u);
  EXPECT_EQ(p.stages[0].env.at("PYTHONHASHSEED"), "0");
  EXPECT_EQ(p.stages[0].resources.memory_mb, 512);
  EXPECT_EQ(p.stages[1].argv,
            (std::vector<std::string>{"/bin/sh", "-c", "wc -l features.csv > rows.txt"}));
  EXPECT_EQ(p.stages[3].retry_backoff, std::chrono::seconds(30));
  EXPECT_EQ(p.stages[3].timeout, std::chrono::minutes(90));
  EXPECT_EQ(p.stages[3].resources.memory_mb, 4096);
  const StageGraph g(p);
  EXPECT_EQ(g.dependents(0), (std::vector<int>{1, 2}));
}

TEST(PipelineParserTest, MinimalDefaults) {
  const Pipeline p = ParseOk("version: 1\nname: p\nstages:\n  - {name: s, uses: trainer}\n");
  EXPECT_TRUE(p.on.git_branches.empty());
  EXPECT_FALSE(p.on.drift.has_value());
  EXPECT_FALSE(p.model.has_value());
  const Stage& s = p.stages[0];
  EXPECT_DOUBLE_EQ(s.resources.cpus, 1);
  EXPECT_EQ(s.resources.gpus, 0);
  EXPECT_EQ(s.retries, 0);
  EXPECT_EQ(s.timeout, std::chrono::hours(1));
  EXPECT_EQ(s.env.size(), 0u);
}

TEST(PipelineParserTest, ModelPromoteDefaults) {
  const Pipeline p = ParseOk(OneStage("    uses: trainer\nmodel: {name: m, artifact: s.model}\n"));
  ASSERT_TRUE(p.model.has_value());
  EXPECT_EQ(p.model->promote_staging, "on_gates");
  EXPECT_EQ(p.model->promote_production, "manual");
}

TEST(PipelineParserTest, ModelPromoteCanary) {
  const Pipeline none = ParseOk(OneStage("    uses: trainer\nmodel: {name: m, artifact: s.model}\n"));
  EXPECT_FALSE(none.model->canary.has_value());
  const Pipeline p = ParseOk(OneStage(
      "    uses: trainer\nmodel:\n  name: m\n  artifact: s.model\n  promote:\n"
      "    canary:\n      steps: [5, 25, 100]\n      window: 2s\n      min_requests: 20\n"
      "      promote: auto\n      limits: {error_rate_increase: 0, p99_latency_ratio: 1.5, "
      "shadow_disagreement: 0.2}\n"));
  ASSERT_TRUE(p.model->canary.has_value());
  const CanaryPolicy& c = *p.model->canary;
  EXPECT_EQ(c.steps, (std::vector<int>{5, 25, 100}));
  EXPECT_EQ(c.window, std::chrono::seconds(2));
  EXPECT_EQ(c.min_requests, 20);
  EXPECT_EQ(c.promote, "auto");
  EXPECT_DOUBLE_EQ(c.max_error_rate_increase, 0);
  EXPECT_DOUBLE_EQ(c.max_p99_latency_ratio, 1.5);
  ASSERT_TRUE(c.max_shadow_disagreement.has_value());
  EXPECT_DOUBLE_EQ(*c.max_shadow_disagreement, 0.2);
  const Pipeline d = ParseOk(OneStage(
      "    uses: trainer\nmodel: {name: m, artifact: s.model, promote: {canary: {}}}\n"));
  ASSERT_TRUE(d.model->canary.has_value());
  EXPECT_EQ(d.model->canary->steps, (std::vector<int>{10, 50, 100}));
  EXPECT_EQ(d.model->canary->promote, "manual");
  EXPECT_FALSE(d.model->canary->max_shadow_disagreement.has_value());
}

TEST(PipelineParserTest, ArtifactOfDottedStageName) {
  const Pipeline p = ParseOk(
      "version: 1\nname: p\nstages:\n  - {name: v1.train, uses: trainer}\n"
      "model: {name: m, artifact: v1.train.model.pt, promote: {production: never}}\n");
  EXPECT_EQ(p.model->promote_production, "never");
}

TEST(PipelineParserTest, ExecCommandForms) {
  const Pipeline p = ParseOk(
      "version: 1\nname: p\nstages:\n"
      "  - {name: a, uses: exec, run: \"echo 'x y' | wc -c\", shell: true}\n"
      "  - {name: b, uses: exec, argv: [echo, \"$HOME\", \"\"]}\n"
      "  - name: c\n    uses: exec\n    run: |\n      python3 t.py\n        --lr 0.1\n");
  EXPECT_EQ(p.stages[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "echo 'x y' | wc -c"}));
  EXPECT_TRUE(p.stages[0].shell);
  EXPECT_EQ(p.stages[1].argv, (std::vector<std::string>{"echo", "$HOME", ""}));
  EXPECT_TRUE(p.stages[1].run.empty());
  EXPECT_EQ(p.stages[2].argv, (std::vector<std::string>{"python3", "t.py", "--lr", "0.1"}));
}

TEST(PipelineParserTest, EnvResourcesDurations) {
  const Pipeline p =
      ParseOk(OneStage("    uses: exec\n    run: env\n"
                       "    env: {SEED: 42, MODE: fast, RATIO: 0.5, ON: true}\n"
                       "    resources: {cpus: 0.5, gpus: 0, memory: 4G}\n"
                       "    retries: 100\n    retry_backoff: 250ms\n    timeout: 1h30m\n"));
  const Stage& s = p.stages[0];
  EXPECT_EQ(s.env, (std::map<std::string, std::string>{
                       {"MODE", "fast"}, {"ON", "true"}, {"RATIO", "0.5"}, {"SEED", "42"}}));
  EXPECT_DOUBLE_EQ(s.resources.cpus, 0.5);
  EXPECT_EQ(s.resources.memory_mb, 4096);
  EXPECT_EQ(s.retries, 100);
  EXPECT_EQ(s.retry_backoff, milliseconds(250));
  EXPECT_EQ(s.timeout, std::chrono::minutes(90));
}

TEST(PipelineParserTest, MemoryForms) {
  const auto memory = [](const std::string& text) {
    return ParseOk(OneStage("    uses: trainer\n    resources: {memory: " + text + "}\n"))
        .stages[0]
        .resources.memory_mb;
  };
  EXPECT_EQ(memory("512"), 512);
  EXPECT_EQ(memory("512M"), 512);
  EXPECT_EQ(memory("2G"), 2048);
  EXPECT_EQ(memory("1T"), 1024 * 1024);
  EXPECT_EQ(Errors(OneStage("    uses: trainer\n    resources: {memory: 4GB}\n")),
            std::vector<std::string>{
                "t.yaml:6:25: 'resources.memory' of stage 's': expected a size such as 512M, "
                "4G or 1T, or a whole number of megabytes, got '4GB'"});
}

TEST(PipelineParserTest, UnknownPluginsNotCheckedWithoutAList) {
  Pipeline p;
  std::vector<PipelineError> errors;
  EXPECT_TRUE(ParsePipeline(OneStage("    uses: anything\n"), ParseOptions{}, &p, &errors));
}

TEST(PipelineParserTest, OnIsAPlainKeyNotABoolean) {
  const Pipeline p = ParseOk(OneStage("    uses: trainer\n") + "on: {data: [a.csv]}\n");
  EXPECT_EQ(p.on.data_paths, std::vector<std::string>{"a.csv"});
}

TEST(PipelineParserTest, ErrorsAreCollectedInFileOrder) {
  EXPECT_EQ(Errors("version: 1\n"
                   "name: p\n"
                   "stages:\n"
                   "  - name: b\n"
                   "    uses: trainer\n"
                   "    needs: [zzz]\n"
                   "    timeout: 5\n"
                   "  - name: a\n"
                   "    uses: trianer\n"
                   "    retries: -1\n"
                   "bogus: 1\n"),
            (std::vector<std::string>{
                "t.yaml:6:13: stage 'b' needs unknown stage 'zzz'",
                "t.yaml:7:14: 'timeout' of stage 'b': bad duration '5': missing unit after 5 "
                "(use ms, s, m, h or d, e.g. 1h30m)",
                "t.yaml:9:11: unknown plugin 'trianer' in stage 'a' (known: evaluator, exec, "
                "quantizer, signer, trainer, tuner)",
                "t.yaml:10:14: 'retries' of stage 'a': expected an integer from 0 to 100, got '-1'",
                "t.yaml:11:1: unknown key 'bogus' at top level (allowed: version, name, on, "
                "stages, model)",
            }));
}

TEST(PipelineParserTest, QuotedStringsClosedAtEndOfFile) {
  const Pipeline p =
      ParseOk(OneStage("    uses: exec\n    argv: [echo, 'it''s', \"a \\\" b\\\\\"]"));
  EXPECT_EQ(p.stages[0].argv, (std::vector<std::string>{"echo", "it's", "a \" b\\"}));
}

TEST(PipelineParserTest, UnreadableFile) {
  Pipeline p;
  std::vector<PipelineError> errors;
  EXPECT_FALSE(ParsePipelineFile("/nonexistent/p.yaml", ParseOptions{}, &p, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(), "/nonexistent/p.yaml: no such file");
}

TEST(PipelineParserTest, ThousandStageChainParses) {
  std::string yaml = "version: 1\nname: chain\nstages:\n  - {name: s0, uses: exec, run: 'true'}\n";
  for (int i = 1; i < 1000; ++i) {
    yaml += "  - {name: s" + std::to_string(i) + ", uses: exec, run: 'true', needs: [s" +
            std::to_string(i - 1) + "]}\n";
  }
  const Pipeline p = ParseOk(yaml);
  ASSERT_EQ(p.stages.size(), 1000u);
  EXPECT_EQ(StageGraph(p).topological_order().back(), 999);
}

}  // namespace
}  // namespace mlops::pipeline
