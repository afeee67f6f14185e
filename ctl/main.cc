// mlctl: the command-line client of mlopsd. Only wiring lives here.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "command_hint.h"
#include "commands.h"
#include "commands_report.h"
#include "commands_keys.h"
#include "commands_models.h"
#include "commands_serving.h"
#include "commands_tokens.h"
#include "commands_gc.h"
#include "commands_serve_log.h"
#include "exit_codes.h"
#include "mlops/common/build_info.h"

using namespace mlops::ctl;

int main(int argc, char** argv) {
  CLI::App app{"mlctl: control mlopsd, the MLOps daemon", "mlctl"};
  app.require_subcommand(1);
  // Global options are accepted after a subcommand too (`mlctl runs list
  // --json`): every subcommand made below inherits this.
  app.fallthrough();
  app.set_version_flag("--version", mlops::VersionText("mlctl"), "print the version and build");
  const char* env_server = std::getenv("MLCTL_SERVER");
  std::string server = env_server && *env_server ? env_server : "http://127.0.0.1:8765";
  Output out;
  app.add_option("--server", server, "daemon URL, http://HOST:PORT (env MLCTL_SERVER)");
  app.add_flag("--json", out.json, "print JSON for scripts instead of tables");
  int rc = kExitOk;
  // The bearer token: --token-file, MLCTL_TOKEN or MLCTL_TOKEN_FILE (never
  // an option holding the token: argv is visible to every local user).
  std::string token_file;
  app.add_option("--token-file", token_file, "file holding the API token (env MLCTL_TOKEN_FILE; "
                 "or the token itself in env MLCTL_TOKEN)");
  auto api = [&] {
    std::string token, error;
    if (!ResolveToken(token_file, &token, &error)) {
      std::cerr << "mlctl: " << error << "\n";
      throw CLI::RuntimeError(kExitUsage);
    }
    return ApiClient(server, token);
  };

  auto* pipeline = app.add_subcommand("pipeline", "validate, list and show pipelines");
  pipeline->require_subcommand(1);
  std::vector<std::string> files, extra_plugins;
  auto* validate = pipeline->add_subcommand("validate", "check pipeline files offline");
  validate->add_option("files", files, "pipeline YAML files")->required();
  validate->add_option("--plugin", extra_plugins, "also accept this third-party plugin name");
  validate->callback([&] { rc = PipelineValidate(files, extra_plugins, out); });
  pipeline->add_subcommand("list", "pipelines the daemon knows")->callback([&] {
    rc = PipelineList(api(), out);
  });
  pipeline->add_subcommand("reload", "re-read the pipeline folders now")->callback([&] {
    rc = PipelineReload(api(), out);
  });
  std::string pipeline_name;
  auto* pshow = pipeline->add_subcommand("show", "a pipeline's definition");
  pshow->add_option("name", pipeline_name)->required();
  pshow->callback([&] { rc = PipelineShow(api(), pipeline_name, out); });

  TriggerOptions trig;
  auto* trigger = app.add_subcommand("trigger", "start a run of a pipeline; prints the run id");
  trigger->add_option("pipeline", trig.pipeline)->required();
  trigger->add_flag("--wait", trig.wait, "follow the run; exit 0 only if it succeeded");
  trigger->add_flag("--force", trig.force, "ignore the stage cache");
  trigger->add_option("--reason", trig.reason, "why this run is started");
  trigger->add_option("--commit", trig.commit, "git commit the run is for");
  trigger->add_option("--timeout", trig.timeout_s, "with --wait: give up after this many seconds");
  trigger->callback([&] { rc = Trigger(api(), trig, out); });

  auto* runs = app.add_subcommand("runs", "list, show and cancel runs");
  runs->require_subcommand(1);
  RunListOptions list_opts;
  auto* rlist = runs->add_subcommand("list", "runs, newest first");
  rlist->add_option("--pipeline", list_opts.pipeline);
  rlist->add_option("--status", list_opts.status);
  rlist->add_option("--limit", list_opts.limit)->check(CLI::Range(1, 1000));
  rlist->add_option("--before", list_opts.before, "page: runs older than this id");
  rlist->callback([&] { rc = RunsList(api(), list_opts, out); });
  int64_t run_id = 0;
  double wait_timeout = 0;
  auto* rshow = runs->add_subcommand("show", "a run and its stage attempts");
  rshow->add_option("id", run_id)->required()->check(CLI::PositiveNumber);
  rshow->callback([&] { rc = RunsShow(api(), run_id, out); });
  auto* rcancel = runs->add_subcommand("cancel", "cancel a run");
  rcancel->add_option("id", run_id)->required()->check(CLI::PositiveNumber);
  rcancel->callback([&] { rc = RunsCancel(api(), run_id, out); });
  auto* rwait = runs->add_subcommand("wait", "follow a run to its end");
  rwait->add_option("id", run_id)->required()->check(CLI::PositiveNumber);
  rwait->add_option("--timeout", wait_timeout);
  rwait->callback([&] { rc = WaitForRun(api(), run_id, wait_timeout, out); });

  std::string stage;
  int attempt = 0;
  bool follow = false;
  auto* logs = app.add_subcommand("logs", "a run's stage logs");
  logs->add_option("run", run_id)->required()->check(CLI::PositiveNumber);
  logs->add_option("stage", stage, "one stage (default: all)");
  logs->add_option("--attempt", attempt, "attempt number (default: the latest)");
  logs->add_flag("-f,--follow", follow,
                 "keep printing until the run ends (stages and retries as they start)");
  logs->callback([&] { rc = Logs(api(), run_id, stage, attempt, follow); });

  std::string sha;
  bool downstream = false;
  auto* lineage = app.add_subcommand("lineage", "what an artifact came from, or what it fed");
  lineage->add_option("artifact", sha, "artifact sha256")->required();
  lineage->add_flag("--downstream", downstream, "walk forward instead of back");
  std::string lineage_format = "table";
  lineage->add_option("--format", lineage_format, "table, json or dot (Graphviz)")
      ->check(CLI::IsMember({"table", "json", "dot"}));
  lineage->callback([&] { rc = Lineage(api(), sha, downstream, lineage_format, out); });

  auto* artifacts = app.add_subcommand("artifacts", "content-addressed artifacts");
  artifacts->require_subcommand(1);
  int limit = 50;
  auto* alist = artifacts->add_subcommand("list", "newest first");
  alist->add_option("--limit", limit)->check(CLI::Range(1, 10000));
  alist->callback([&] { rc = ArtifactsList(api(), limit, out); });
  auto* ashow = artifacts->add_subcommand("show", "one artifact's record");
  ashow->add_option("sha256", sha)->required();
  ashow->callback([&] { rc = ArtifactsShow(api(), sha, out); });
  std::string dest = "-";
  auto* aget = artifacts->add_subcommand("get", "download an artifact (verified)");
  aget->add_option("sha256", sha)->required();
  aget->add_option("-o,--output", dest, "file to write (default: stdout)");
  aget->callback([&] { rc = ArtifactsGet(api(), sha, dest); });

  std::string repo_name;
  auto* repos = app.add_subcommand("repos", "watched Git repositories");
  repos->require_subcommand(1);
  repos->add_subcommand("list", "each repository's state")->callback([&] { rc = ReposList(api(), out); });
  auto* rpshow = repos->add_subcommand("show", "one repository's state");
  rpshow->add_option("name", repo_name)->required();
  rpshow->callback([&] { rc = ReposShow(api(), repo_name, out); });
  auto* rpsync = repos->add_subcommand("sync", "fetch now (used by the post-receive hook)");
  rpsync->add_option("name", repo_name)->required();
  rpsync->callback([&] { rc = ReposSync(api(), repo_name, out); });

  int64_t data_id = 0;
  auto* data = app.add_subcommand("data", "data versions of watched paths");
  data->require_subcommand(1);
  data->add_subcommand("list", "data versions, newest first")->callback([&] { rc = DataList(api(), out); });
  auto* dshow = data->add_subcommand("show", "a data version and the runs it fed");
  dshow->add_option("id", data_id)->required()->check(CLI::PositiveNumber);
  dshow->callback([&] { rc = DataShow(api(), data_id, out); });

  auto* plugins = app.add_subcommand("plugins", "stage plugins");
  plugins->require_subcommand(1);
  plugins->add_subcommand("list", "plugins the daemon found")->callback([&] {
    rc = PluginsList(api(), out);
  });

  auto* report = app.add_subcommand("report", "CI reports of a run: junit, metrics, dotenv");
  report->require_subcommand(1);
  std::string report_dest = "-";
  const std::pair<const char*, const char*> kinds[] = {
      {"junit", "JUnit XML: one test case per stage"},
      {"metrics", "OpenMetrics text of the run's durations and stage metrics"},
      {"dotenv", "KEY=VALUE lines: RUN_ID, RUN_STATUS, MODEL_NAME, MODEL_VERSION"}};
  for (const auto& [kind, help] : kinds) {
    auto* sub = report->add_subcommand(kind, help);
    sub->add_option("run", run_id)->required()->check(CLI::PositiveNumber);
    sub->add_option("-o,--output", report_dest, "file to write (default: stdout)");
    const std::string k = kind;
    sub->callback([&, k] {
      if (k == "junit") rc = ReportJUnit(api(), run_id, report_dest);
      else if (k == "metrics") rc = ReportMetrics(api(), run_id, report_dest);
      else rc = ReportDotenv(api(), run_id, report_dest);
    });
  }

  auto* tokens = app.add_subcommand("tokens", "API tokens (admin)");
  tokens->require_subcommand(1);
  std::string token_name, token_role;
  int64_t token_id = 0;
  auto* tcreate = tokens->add_subcommand("create", "make a token; prints it once");
  tcreate->add_option("name", token_name)->required();
  tcreate->add_option("--role", token_role, "predictor (mlops-serve only), viewer, operator or admin")
      ->required()
      ->check(CLI::IsMember({"predictor", "viewer", "operator", "admin"}));
  tcreate->callback([&] { rc = TokensCreate(api(), token_name, token_role, out); });
  tokens->add_subcommand("list", "every token (never their values)")->callback([&] {
    rc = TokensList(api(), out);
  });
  auto* trevoke = tokens->add_subcommand("revoke", "revoke a token by id");
  trevoke->add_option("id", token_id)->required()->check(CLI::PositiveNumber);
  trevoke->callback([&] { rc = TokensRevoke(api(), token_id, out); });
  app.add_subcommand("whoami", "the name and role of the token in use")->callback([&] {
    rc = WhoAmI(api(), out);
  });

  auto* gc = app.add_subcommand("gc", "remove what retention lets go from the state folder (admin)");
  bool gc_dry_run = false, gc_artifacts = false;
  gc->add_flag("--dry-run", gc_dry_run, "list what would be removed; remove nothing");
  gc->add_flag("--artifacts", gc_artifacts,
               "also stored content that no run or model version references");
  gc->callback([&] { rc = Gc(api(), gc_dry_run, gc_artifacts, out); });

  // `keys` is shared: offline verbs here (commands_keys.*); the daemon's key
  // verbs (list, trust, revoke) are added to the same `keys` command.
  auto* keys = app.add_subcommand("keys", "signing keys: generate, sign-file, list, trust, revoke");
  keys->require_subcommand(1);
  AddOfflineKeyCommands(app, keys, out, &rc);
  AddModelCommands(app, keys, api, out, &rc);
  AddServingCommands(app, api, out, &rc);

  AddServeLogCommand(app, api, out, &rc);

  const std::string hint = UnknownCommandHint(app, std::vector<std::string>(argv + 1, argv + argc));
  if (!hint.empty()) {
    std::cerr << "mlctl: " << hint << "\nRun with --help for more information.\n";
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return rc;
}
