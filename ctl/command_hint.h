// The hint for a mistyped command: CLI11 says only "A subcommand is
// required" or "not expected" when a word names no command, so mlctl looks
// at the command line itself first. Pure; thread-compatible.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace mlops::ctl {

// Walks `args` (argv without the program name) through `app`'s command tree
// and returns "unknown command 'runz' for 'mlctl'; did you mean 'runs'?
// (commands: ...)" for the first word that should name a subcommand and names
// none; "" when every command word is known (the usual parse then reports
// anything else). Options are skipped with their values, wherever they are.
std::string UnknownCommandHint(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace mlops::ctl
