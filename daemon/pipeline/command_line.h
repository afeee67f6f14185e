// Splits an exec stage's `run` line into an argument vector without a shell,
// so that the exec plugin can spawn it directly (posix_spawn, no /bin/sh).
//
// Words are separated by blanks and newlines. 'single quotes' keep
// everything literally; "double quotes" keep everything but a backslash
// before one of  $ ` " \ newline;  a backslash outside quotes keeps the next
// character. Nothing is expanded: no variables, globs or ~. A character that
// only a shell would give meaning to (| & ; < > ( ) $ ` * ? and # or ~ at
// the start of a word), unquoted, is refused so that such a line is not
// silently run without a shell.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

namespace mlops::pipeline {

// Returns true and fills *argv (at least one word) on success. Otherwise
// returns false and *error says why ("unterminated single quote",
// "shell syntax '|' needs 'shell: true'", "empty command"); *argv is then
// unspecified.
bool SplitCommandLine(const std::string& line, std::vector<std::string>* argv, std::string* error);

}  // namespace mlops::pipeline
