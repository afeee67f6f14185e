// mlops-serve: answers TF-Serving REST and Open Inference Protocol v2
// requests from the production (and canary) models of an mlopsd state
// folder, which it reads only. Flag parsing and signal wiring live here;
// docs/serving.md describes the rest.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "mlops/common/build_info.h"
#include "mlops/common/stop_signals.h"
#include "serving/server/serve_app.h"

int main(int argc, char** argv) {
  CLI::App app{"mlops-serve: the prediction server of mlopsd"};
  std::string config_file, state_dir, listen, log_level = "info";
  app.add_option("--config", config_file, "mlopsd's YAML config file (its serving: section)")
      ->check(CLI::ExistingFile);
  app.add_option("--state-dir", state_dir, "mlopsd's state folder (read only)");
  app.add_option("--listen", listen, "HOST:PORT (port 0 picks a free one)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.set_version_flag("--version", mlops::VersionText("mlops-serve"), "print the version and build");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  mlops::serving::ServeFileConfig file;
  if (!config_file.empty()) {
    if (mlops::Status s = mlops::serving::LoadServeFileConfig(config_file, &file); !s.ok()) {
      std::string text = s.message();
      for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 14)) {
        text.insert(at + 1, "mlops-serve: ");
      }
      std::cerr << "mlops-serve: " << text << "\n";
      return 2;
    }
  }
  mlops::serving::ServeAppOptions options;
  options.serving = file.serving;
  options.state_dir = state_dir.empty() ? file.state_dir : state_dir;
  if (options.state_dir.empty()) options.state_dir = "./mlopsd-state";
  options.state_dir = std::filesystem::absolute(options.state_dir).lexically_normal().string();
  if (!listen.empty()) options.serving.listen = listen;
  options.tls_cert = file.tls_cert;
  options.tls_key = file.tls_key;
  if (options.serving.anonymous_predict &&
      !mlops::serving::IsLoopbackListen(options.serving.listen)) {
    std::cerr << "mlops-serve: anonymous_predict needs a loopback listen address, got '"
              << options.serving.listen << "'\n";
    return 2;
  }

  const sigset_t stop_signals = mlops::BlockStopSignals();

  mlops::serving::ServeApp serve(options);
  if (mlops::Status s = serve.Start(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  const int sig = mlops::WaitForStopSignal(stop_signals);
  spdlog::info("received {}, stopping", mlops::StopSignalName(sig));
  serve.Stop();
  return 0;
}
