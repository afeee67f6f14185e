// mlopsd: the MLOps daemon. Only flag parsing and signal wiring live here.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "mlops/common/build_info.h"
#include "mlops/common/stop_signals.h"
#include "server/daemon.h"

int main(int argc, char** argv) {
  CLI::App app{"mlopsd: the MLOps daemon"};
  std::string config_file, state_dir, listen, stage_host;
  std::vector<std::string> pipelines, plugin_dirs;
  double cpus = -1;
  int gpus = -1;
  app.add_option("--config", config_file, "YAML config file")->check(CLI::ExistingFile);
  app.add_option("--state-dir", state_dir, "folder for the registry, artifacts, logs, workspaces");
  app.add_option("--listen", listen, "HOST:PORT for the API (port 0 picks a free one)");
  app.add_option("--pipelines", pipelines, "folder of pipeline files (repeatable)");
  app.add_option("--plugin-dir", plugin_dirs, "folder of stage plugins (repeatable)");
  app.add_option("--stage-host", stage_host, "path of the mlops-stage binary");
  app.add_option("--cpus", cpus, "cpu slots for stages (default: core count)");
  app.add_option("--gpus", gpus, "GPU slots for stages");
  app.set_version_flag("--version", mlops::VersionText("mlopsd"), "print the version and build");
  CLI11_PARSE(app, argc, argv);

  mlops::server::DaemonConfig config;
  if (!config_file.empty()) {
    mlops::Status s = mlops::server::LoadConfigFile(config_file, &config);
    if (!s.ok()) {
      // One line per problem (the loader reports them all at once).
      std::string text = s.message();
      for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 9)) {
        text.insert(at + 1, "mlopsd: ");
      }
      std::cerr << "mlopsd: " << text << "\n";
      return 2;
    }
  }
  if (!state_dir.empty()) config.state_dir = state_dir;
  if (!listen.empty()) config.listen = listen;
  if (!pipelines.empty()) config.pipeline_dirs = pipelines;
  if (!plugin_dirs.empty()) config.plugin_dirs = plugin_dirs;
  if (!stage_host.empty()) config.stage_host = stage_host;
  if (cpus >= 0) config.cpus = cpus;
  if (gpus >= 0) config.gpus = gpus;
  mlops::server::ApplyDefaults(&config);
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  // Every thread inherits this mask; one thread waits for the signals.
  const sigset_t stop_signals = mlops::BlockStopSignals();

  mlops::server::Daemon daemon(config);
  mlops::Status s = daemon.Start();
  if (!s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  std::thread waiter([&] {
    const int sig = mlops::WaitForStopSignal(stop_signals);
    spdlog::info("received {}, stopping", mlops::StopSignalName(sig));
    daemon.RequestStop();
  });
  waiter.detach();
  daemon.Run();
  return 0;
}
