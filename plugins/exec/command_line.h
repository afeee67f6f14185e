// Splits an exec stage's `run` text into an argv vector by the POSIX shell's
// quoting rules, without a shell: blanks separate words; '...' is literal;
// "..." keeps blanks and honours \" \\ \$ \` and \<newline>; a backslash
// outside quotes escapes the next character. Nothing is expanded.
//
// Unquoted shell syntax (| & ; < > ( ) ` $, or # starting a word) is refused,
// as is $ or ` inside double quotes: such text only means what its author
// expects under a shell, which the pipeline must ask for (shell: true).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlops::exec {

// On success fills *argv (at least one word). On failure returns false with
// *error naming the character, its column (1-based) and the fix.
bool SplitCommandLine(std::string_view text, std::vector<std::string>* argv, std::string* error);

// The inverse, for log lines: words quoted so a shell would split them back.
std::string JoinCommandLine(const std::vector<std::string>& argv);

}  // namespace mlops::exec
