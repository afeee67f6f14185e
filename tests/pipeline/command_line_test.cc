#include "pipeline/command_line.h"

#include <gtest/gtest.h>

namespace mlops::pipeline {
namespace {

using Argv = std::vector<std::string>;

Argv Split(const std::string& line) {
  Argv argv;
  std::string error;
  EXPECT_TRUE(SplitCommandLine(line, &argv, &error)) << line << ": " << error;
  return argv;
}

std::string Error(const std::string& line) {
  Argv argv;
  std::string error;
  EXPECT_FALSE(SplitCommandLine(line, &argv, &error)) << line;
  return error;
}

TEST(CommandLineTest, Words) {
  EXPECT_EQ(Split("python3 prepare.py --out features.csv"),
            (Argv{"python3", "prepare.py", "--out", "features.csv"}));
  EXPECT_EQ(Split("  a\t b\n c  "), (Argv{"a", "b", "c"}));
}

TEST(CommandLineTest, Quotes) {
  EXPECT_EQ(Split("echo 'a b' \"c d\""), (Argv{"echo", "a b", "c d"}));
  EXPECT_EQ(Split("echo '' \"\""), (Argv{"echo", "", ""}));
  EXPECT_EQ(Split("echo 'it''s'"), (Argv{"echo", "its"}));
  EXPECT_EQ(Split("echo \"a\\\"b\\\\c\\d\""), (Argv{"echo", "a\"b\\c\\d"}));
  EXPECT_EQ(Split("echo 'f1>=0.9' \"$HOME\""), (Argv{"echo", "f1>=0.9", "$HOME"}));
  EXPECT_EQ(Split("echo a\\ b x\\|y"), (Argv{"echo", "a b", "x|y"}));
  EXPECT_EQ(Split("echo a\\\nb"), (Argv{"echo", "ab"}));
  EXPECT_EQ(Split("echo x#y a~b"), (Argv{"echo", "x#y", "a~b"}));
}

TEST(CommandLineTest, ShellSyntaxRefused) {
  EXPECT_EQ(Error("a | b"), "shell syntax '|' needs 'shell: true' (or quote it, or use 'argv')");
  EXPECT_EQ(Error("a > out"), "shell syntax '>' needs 'shell: true' (or quote it, or use 'argv')");
  EXPECT_EQ(Error("a && b"), "shell syntax '&' needs 'shell: true' (or quote it, or use 'argv')");
  EXPECT_EQ(Error("echo $HOME"),
            "shell syntax '$' needs 'shell: true' (or quote it, or use 'argv')");
  EXPECT_EQ(Error("ls *.csv"), "shell syntax '*' needs 'shell: true' (or quote it, or use 'argv')");
  EXPECT_EQ(Error("a # c"), "shell syntax '#' needs 'shell: true' (or quote it, or use 'argv')");
  EXPECT_EQ(Error("cat ~/x"), "shell syntax '~' needs 'shell: true' (or quote it, or use 'argv')");
}

TEST(CommandLineTest, Malformed) {
  EXPECT_EQ(Error("echo 'abc"), "unterminated single quote");
  EXPECT_EQ(Error("echo \"abc"), "unterminated double quote");
  EXPECT_EQ(Error("echo \\"), "a backslash ends the line");
  EXPECT_EQ(Error(""), "empty command");
  EXPECT_EQ(Error("  \n "), "empty command");
}

}  // namespace
}  // namespace mlops::pipeline
