#include "command_hint.h"

#include <gtest/gtest.h>

namespace mlops::ctl {
namespace {

// A command tree shaped like mlctl's: global options with and without a
// value, nested commands, a command that takes positional arguments.
class CommandHintTest : public ::testing::Test {
 protected:
  CommandHintTest() {
    app_.require_subcommand(1);
    app_.add_option("--server", server_);
    app_.add_flag("--json", json_);
    auto* runs = app_.add_subcommand("runs");
    runs->require_subcommand(1);
    runs->add_subcommand("list");
    runs->add_subcommand("show")->add_option("id", id_);
    app_.add_subcommand("logs")->add_option("run", id_);
  }
  std::string Hint(std::vector<std::string> args) { return UnknownCommandHint(app_, args); }
  CLI::App app_{"a test command", "test"};
  std::string server_;
  bool json_ = false;
  int id_ = 0;
};

TEST_F(CommandHintTest, KnownCommandsGetNoHint) {
  EXPECT_EQ(Hint({"runs", "list"}), "");
  EXPECT_EQ(Hint({"--json", "runs", "show", "3"}), "");
  EXPECT_EQ(Hint({"--server", "http://x", "logs", "runz"}), "");  // a positional, not a command
  EXPECT_EQ(Hint({"runs", "list", "--json"}), "");
  EXPECT_EQ(Hint({}), "");
}

TEST_F(CommandHintTest, UnknownCommandsAreNamedWithTheNearest) {
  EXPECT_EQ(Hint({"runz"}), "unknown command 'runz' for 'test'; did you mean 'runs'? (commands: runs logs)");
  const std::string nested = Hint({"--json", "runs", "lsit"});
  EXPECT_NE(nested.find("unknown command 'lsit' for 'runs'; did you mean 'list'?"),
            std::string::npos) << nested;
  EXPECT_EQ(Hint({"zzz"}).find("did you mean"), std::string::npos);
}

TEST_F(CommandHintTest, AnOptionsValueIsNotTakenForACommand) {
  // "runs" is the value of --server here; "runz" is the command word.
  EXPECT_NE(Hint({"--server", "runs", "runz"}).find("unknown command 'runz'"), std::string::npos);
  EXPECT_EQ(Hint({"--server=runz", "runs", "list"}), "");
}

}  // namespace
}  // namespace mlops::ctl
