// SplitCommandLine: shell quoting without a shell.
#include "command_line.h"

#include <gtest/gtest.h>

namespace mlops::exec {
namespace {

using Words = std::vector<std::string>;

Words Split(const std::string& text) {
  Words argv;
  std::string error;
  EXPECT_TRUE(SplitCommandLine(text, &argv, &error)) << error;
  return argv;
}

std::string Error(const std::string& text) {
  Words argv;
  std::string error;
  EXPECT_FALSE(SplitCommandLine(text, &argv, &error)) << "accepted: " << text;
  return error;
}

TEST(CommandLineTest, BlanksSeparateWords) {
  EXPECT_EQ(Split("  python3   train.py\t--lr 0.1\n"), (Words{"python3", "train.py", "--lr", "0.1"}));
}

TEST(CommandLineTest, QuotesKeepBlanksAndJoinAdjacentParts) {
  EXPECT_EQ(Split(R"(echo 'a b' "c d" e\ f 'g'"h"i '')"),
            (Words{"echo", "a b", "c d", "e f", "ghi", ""}));
}

TEST(CommandLineTest, SingleQuotesAreLiteral) {
  EXPECT_EQ(Split(R"(sh -c 'echo $HOME; ls | wc -l' \$x)"),
            (Words{"sh", "-c", "echo $HOME; ls | wc -l", "$x"}));
}

TEST(CommandLineTest, DoubleQuotesHonourTheirEscapesOnly) {
  EXPECT_EQ(Split(R"(printf "\"\\\$\`\n")"), (Words{"printf", R"("\$`\n)"}));
}

TEST(CommandLineTest, BackslashNewlineContinuesTheLine) {
  EXPECT_EQ(Split("a \\\nb"), (Words{"a", "b"}));
}

TEST(CommandLineTest, HashInsideAWordIsLiteral) {
  EXPECT_EQ(Split("curl http://x/#frag --color=#fff"), (Words{"curl", "http://x/#frag", "--color=#fff"}));
}

TEST(CommandLineTest, ShellSyntaxIsRefusedWithItsColumn) {
  EXPECT_EQ(Error("ls | wc"),
            "run: unquoted '|' at column 4 is shell syntax, but `run` is split into argv without "
            "a shell; quote it, or set `shell: true` to run it with /bin/sh -c");
  for (const char* text : {"a && b", "a; b", "a > out", "a < in", "echo $HOME", "echo `id`",
                           "(a)", "echo # comment"}) {
    EXPECT_NE(Error(text).find("is shell syntax"), std::string::npos) << text;
  }
  EXPECT_NE(Error(R"(echo "$HOME")").find("would be expanded by a shell"), std::string::npos);
}

TEST(CommandLineTest, MalformedTextIsRefused) {
  EXPECT_EQ(Error("echo 'open"), "run: unterminated single quote at column 6");
  EXPECT_EQ(Error("echo \"open"), "run: unterminated double quote at column 6");
  EXPECT_EQ(Error("echo \\"), "run: trailing backslash");
  EXPECT_EQ(Error("   "), "run: the command is empty");
  EXPECT_EQ(Error(std::string("a\0b", 3)), "run: the command contains a NUL byte");
}

TEST(CommandLineTest, JoinQuotesWhatNeedsIt) {
  Words argv = {"echo", "a b", "it's", "", "plain-1.0"};
  EXPECT_EQ(JoinCommandLine(argv), R"(echo 'a b' 'it'\''s' '' plain-1.0)");
  EXPECT_EQ(Split(JoinCommandLine(argv)), argv);
}

}  // namespace
}  // namespace mlops::exec
