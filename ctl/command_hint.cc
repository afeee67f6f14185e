#include "command_hint.h"

#include "mlops/common/nearest_name.h"

namespace mlops::ctl {
namespace {

// The option `token` names, looked up in `app` and the commands above it
// (global options are accepted after a subcommand too).
const CLI::Option* FindOption(const CLI::App* app, const std::string& token) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* opt = app->get_option_no_throw(token)) return opt;
  }
  return nullptr;
}

}  // namespace

std::string UnknownCommandHint(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (token == "--") break;
    if (token.size() > 1 && token[0] == '-') {
      const size_t eq = token.find('=');
      if (eq != std::string::npos) continue;  // --name=value
      const CLI::Option* opt = FindOption(current, token);
      if (opt != nullptr && opt->get_items_expected_min() > 0) ++i;  // its value
      continue;
    }
    const auto subs = current->get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty()) break;
    const CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (const CLI::App* sub : subs) {
      if (sub->check_name(token)) next = sub;
      names.push_back(sub->get_name());
    }
    if (next != nullptr) {
      current = next;
      continue;
    }
    if (current->get_require_subcommand_min() == 0) break;  // a positional argument
    const std::vector<std::string_view> views(names.begin(), names.end());
    std::string hint = "unknown command '" + token + "' for '" + current->get_name() + "'" +
                       DidYouMean(token, views) + " (commands:";
    for (const auto& n : names) hint += " " + n;
    return hint + ")";
  }
  return "";
}

}  // namespace mlops::ctl
